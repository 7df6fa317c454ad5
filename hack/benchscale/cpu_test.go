/*
Copyright 2026 The Roster Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	for _, tt := range []struct {
		name, stat string
		want       procStat
		ok         bool
	}{
		{"plain", "4242 (kube-apiserver) S 4200 4242 4200 0 -1 4194560 100 0 0 0 1234 566 7 8 20 0 12 0 99",
			procStat{comm: "kube-apiserver", ppid: 4200, cpu: 18}, true},
		{"a command with spaces and parentheses", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 50 50 0 0 20 0 1 0 5",
			procStat{comm: "a (b) c", ppid: 1, cpu: 1}, true},
		{"truncated", "7 (x) R 1 7", procStat{}, false},
		{"no command", "7 x R 1 7 7 0 -1 0 0 0 0 0 50 50 0 0", procStat{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseProcStat(tt.stat)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("parseProcStat = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// fakeProc writes a /proc with the machine's cpu line (user, nice, system, idle, iowait, irq, softirq,
// steal in ticks) and processes pid → (comm, ppid, utime+stime ticks).
func fakeProc(t *testing.T, cpu [8]int, procs map[int]struct {
	comm       string
	ppid, tick int
}) string {
	t.Helper()
	dir := t.TempDir()
	stat := fmt.Sprintf("cpu  %d %d %d %d %d %d %d %d 500 500\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\nintr 1\n",
		cpu[0], cpu[1], cpu[2], cpu[3], cpu[4], cpu[5], cpu[6], cpu[7])
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	for pid, p := range procs {
		d := filepath.Join(dir, fmt.Sprint(pid))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%d (%s) S %d 0 0 0 -1 0 0 0 0 0 %d 0 0 0 20 0 1 0 1", pid, p.comm, p.ppid, p.tick)
		if err := os.WriteFile(filepath.Join(d, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadCPUCountsTheBenchsTreeOnly(t *testing.T) {
	type p = struct {
		comm       string
		ppid, tick int
	}
	before := fakeProc(t, [8]int{100, 0, 100, 700, 0, 0, 0, 100}, map[int]p{
		10: {"benchscale", 1, 100}, 11: {"localcluster", 10, 5}, 12: {"kube-apiserver", 11, 1000},
		13: {"etcd", 11, 200}, 14: {"manager", 11, 300}, 99: {"etcd", 1, 5000}, // another etcd, not ours
	})
	after := fakeProc(t, [8]int{400, 0, 200, 800, 0, 0, 0, 200}, map[int]p{
		10: {"benchscale", 1, 130}, 11: {"localcluster", 10, 5}, 12: {"kube-apiserver", 11, 1240},
		13: {"etcd", 11, 240}, 14: {"manager", 11, 390}, 99: {"etcd", 1, 9000},
	})
	a, b := readCPU(before, 10), readCPU(after, 10)
	if a.CPUs != 2 || a.Total != 10 || a.Busy != 2 {
		t.Fatalf("read %+v", a)
	}
	if want := map[string]float64{benchGroup: 1, "localcluster": 0.05, "kube-apiserver": 10, "etcd": 2, "manager": 3}; !reflect.DeepEqual(a.Groups, want) {
		t.Fatalf("groups %v, want %v", a.Groups, want)
	}
	// Over two seconds the machine was busy 4 of the 6 CPU seconds /proc/stat counted, on 2 CPUs.
	a.At, b.At = time.Unix(100, 0), time.Unix(102, 0)
	u := use(a, b)
	want := &cpuUse{Seconds: 2, CPUs: 2, Busy: 1.33, Groups: map[string]float64{
		"kube-apiserver": 1.2, "etcd": 0.2, "manager": 0.45, benchGroup: 0.15}}
	if !reflect.DeepEqual(u, want) {
		t.Fatalf("use = %+v, want %+v", u, want)
	}
	if s := u.String(); s != "1.33 of 2 cores busy: kube-apiserver 1.20, etcd 0.20, manager 0.45, bench 0.15" {
		t.Fatalf("String() = %q", s)
	}
}

func TestNoProcNoFigures(t *testing.T) {
	a, b := readCPU(t.TempDir(), 1), readCPU(t.TempDir(), 1)
	if u := use(a, b); u != nil {
		t.Fatalf("use = %+v without /proc, want nil", u)
	}
	if s := (*cpuUse)(nil).String(); s != "n/a" {
		t.Fatalf("String() = %q", s)
	}
}
