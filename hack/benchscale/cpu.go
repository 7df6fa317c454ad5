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
	"strconv"
	"strings"
	"time"
)

// The CPU the bench and the processes it started used, read from /proc (Linux; elsewhere the figures
// are left out): the machine's busy time, and per process group, the bench's descendants by command
// name. Every process shares the same cores, so where a phase's time goes is read here.

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuGroups are the process groups reported, by command name (/proc/PID/comm); the bench is itself (its
// burst clients and watches; kubectl's runs are counted apart, as kubectl CPU).
var cpuGroups = []string{"kube-apiserver", "etcd", "manager"}

const benchGroup = "bench"

// cpuTimes are cumulative CPU seconds at one moment.
type cpuTimes struct {
	At time.Time
	// Busy and Total are the machine's (all CPUs) non-idle and total time; CPUs how many it has.
	Busy, Total float64
	CPUs        int
	// Groups are the CPU seconds of each group's running processes.
	Groups map[string]float64
}

// cpuUse is what a window used, in cores (CPU seconds per second).
type cpuUse struct {
	Seconds float64            `json:"seconds"`
	CPUs    int                `json:"cpus"`
	Busy    float64            `json:"busyCores"`
	Groups  map[string]float64 `json:"cores"`
}

// readCPU reads the machine's CPU times and those of the bench's process tree.
func readCPU(proc string, self int) cpuTimes {
	t := cpuTimes{At: time.Now(), Groups: map[string]float64{}}
	stat, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err != nil {
		return t
	}
	for _, line := range strings.Split(string(stat), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 4 && f[0] == "cpu":
			for i, v := range f[1:] {
				n, _ := strconv.ParseFloat(v, 64)
				if i >= 8 { // guest time is counted in user time already
					break
				}
				t.Total += n / clockTicks
				if i != 3 && i != 4 && i != 7 { // idle, iowait, steal (another guest's time)
					t.Busy += n / clockTicks
				}
			}
		case len(f) > 0 && strings.HasPrefix(f[0], "cpu"):
			t.CPUs++
		}
	}
	procs := readProcs(proc)
	for pid, p := range procs {
		group := p.comm
		if pid == self {
			group = benchGroup
		} else if !descendsFrom(procs, pid, self) {
			continue
		}
		t.Groups[group] += p.cpu
	}
	return t
}

type procStat struct {
	comm string
	ppid int
	cpu  float64 // utime + stime
}

// readProcs reads every process's command, parent and CPU time.
func readProcs(proc string) map[int]procStat {
	out := map[int]procStat{}
	entries, err := os.ReadDir(proc)
	if err != nil {
		return out
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(proc, e.Name(), "stat"))
		if err != nil {
			continue // it ended
		}
		if p, ok := parseProcStat(string(data)); ok {
			out[pid] = p
		}
	}
	return out
}

// parseProcStat reads /proc/PID/stat: "pid (comm) state ppid ... utime stime cutime cstime ...". The
// command may hold spaces and parentheses, so it ends at the last ')'.
func parseProcStat(s string) (procStat, bool) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 15 {
		return procStat{}, false
	}
	num := func(i int) float64 { n, _ := strconv.ParseFloat(f[i], 64); return n }
	ppid, _ := strconv.Atoi(f[1])
	return procStat{comm: s[open+1 : end], ppid: ppid, cpu: (num(11) + num(12)) / clockTicks}, true // utime, stime
}

func descendsFrom(procs map[int]procStat, pid, ancestor int) bool {
	for range 64 {
		p, ok := procs[pid]
		if !ok {
			return false
		}
		if p.ppid == ancestor {
			return true
		}
		if p.ppid <= 1 {
			return false
		}
		pid = p.ppid
	}
	return false
}

// use is what the window from a to b used; nil when /proc could not be read.
func use(a, b cpuTimes) *cpuUse {
	if a.Total <= 0 || b.Total <= 0 || !b.At.After(a.At) { // no /proc/stat
		return nil
	}
	secs := b.At.Sub(a.At).Seconds()
	u := &cpuUse{Seconds: secs, CPUs: b.CPUs, Groups: map[string]float64{}}
	if total := b.Total - a.Total; total > 0 && b.CPUs > 0 {
		u.Busy = round2((b.Busy - a.Busy) / total * float64(b.CPUs))
	}
	for _, g := range append(cpuGroups, benchGroup) {
		if d := b.Groups[g] - a.Groups[g]; d > 0 {
			u.Groups[g] = round2(d / secs)
		}
	}
	return u
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// String is the table's form: "1.99 of 2 cores busy: kube-apiserver 1.19, manager 0.45, ...".
func (u *cpuUse) String() string {
	if u == nil {
		return "n/a"
	}
	var parts []string
	for _, g := range append(cpuGroups, benchGroup) {
		if c, ok := u.Groups[g]; ok {
			parts = append(parts, fmt.Sprintf("%s %.2f", g, c))
		}
	}
	return fmt.Sprintf("%.2f of %d cores busy: %s", u.Busy, u.CPUs, strings.Join(parts, ", "))
}
