//go:build unix

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
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockDir takes an exclusive lock on dir for as long as this launcher runs
// (the kernel drops it if the launcher is killed), so two launchers never
// share a data directory. The lock file holds the owner's pid.
func lockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, "localcluster.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another localcluster (pid %s) is using %s; stop it first",
				strings.TrimSpace(string(owner)), dir)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}

// stopStale stops the processes whose command line has one of the given
// arguments, in that order: the manager, kube-apiserver and etcd of an earlier
// launcher on the same directory that was killed (SIGKILL) before it could
// stop them. The caller holds the directory's lock, so no live launcher owns
// them.
func stopStale(args ...string) error {
	for _, arg := range args {
		procs, err := findProcs(arg)
		if err != nil {
			log.Printf("warning: cannot look for processes left by an earlier run: %v", err)
			return nil
		}
		for pid, cmdline := range procs {
			log.Printf("stopping pid %d, left running by an earlier run on this directory: %s", pid, cmdline)
			_ = syscall.Kill(pid, syscall.SIGTERM)
			if waitExit(pid, 20*time.Second) {
				continue
			}
			log.Printf("pid %d did not stop; killing it", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			if !waitExit(pid, 5*time.Second) {
				return fmt.Errorf("pid %d, left by an earlier run, is still running; stop it by hand", pid)
			}
		}
	}
	return nil
}

// waitExit waits until pid is gone, or is a zombie whose threads have all
// exited (so it holds no ports or files any more).
func waitExit(pid int, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
		out, err := exec.Command("ps", "-o", "stat=", "-p", strconv.Itoa(pid)).Output()
		if stat := strings.TrimSpace(string(out)); err == nil && strings.HasPrefix(stat, "Z") && !strings.Contains(stat, "l") {
			return true
		}
	}
	return false
}

// findProcs returns the pid and command line of the running processes that
// have arg as a whole argument.
func findProcs(arg string) (map[int]string, error) {
	out, err := exec.Command("ps", "-ww", "-eo", "pid=,args=").Output()
	if err != nil {
		return nil, fmt.Errorf("ps: %w", err)
	}
	procs := map[int]string{}
	for _, line := range strings.Split(string(out), "\n") {
		pidStr, cmdline, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if strings.Contains(" "+cmdline+" ", " "+arg+" ") {
			procs[pid] = cmdline
		}
	}
	return procs, nil
}
