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
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clusterConfig says how to run hack/localcluster for the bench.
type clusterConfig struct {
	Launcher, Manager, Dir                                  string
	APIPort, WebhookPort, MetricsPort, HealthPort, ApprPort int
	LogLevel                                                string
	// ManagerArgs are more manager flags, space-separated.
	ManagerArgs string
}

func (c clusterConfig) kubeconfig() string { return filepath.Join(c.Dir, "kubeconfig") }
func (c clusterConfig) metricsURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", c.MetricsPort)
}
func (c clusterConfig) readyzURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/readyz", c.HealthPort)
}

// cluster is a running localcluster: etcd, kube-apiserver and the manager, as `make run` starts them.
type cluster struct {
	cfg  clusterConfig
	cmd  *exec.Cmd
	out  *os.File
	done chan struct{}
}

// wipeDir empties the bench directory, unless a localcluster still holds its lock.
func wipeDir(dir string) error {
	lock := filepath.Join(dir, "localcluster.lock")
	if f, err := os.OpenFile(lock, os.O_RDWR, 0); err == nil {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		f.Close()
		if err != nil {
			return fmt.Errorf("a localcluster still runs on %s (lock %s held): stop it first", dir, lock)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755)
}

// startCluster runs the launcher in a process group of its own (so that a terminal's Ctrl-C reaches
// only the bench, which stops it once), its output in <dir>/operator.log.
func startCluster(cfg clusterConfig) (*cluster, error) {
	for _, bin := range []string{cfg.Launcher, cfg.Manager} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("%s not found: build it first (make bench-scale does)", bin)
		}
	}
	out, err := os.Create(filepath.Join(cfg.Dir, "operator.log"))
	if err != nil {
		return nil, err
	}
	args := []string{
		"--dir", cfg.Dir, "--manager", cfg.Manager,
		"--apiserver-port", strconv.Itoa(cfg.APIPort),
		"--webhook-port", strconv.Itoa(cfg.WebhookPort),
		"--metrics-port", strconv.Itoa(cfg.MetricsPort),
		"--health-port", strconv.Itoa(cfg.HealthPort),
		"--approval-port", strconv.Itoa(cfg.ApprPort),
		"--",
		"--metrics-secure=false",
		"--zap-log-level=" + cfg.LogLevel,
	}
	args = append(args, strings.Fields(cfg.ManagerArgs)...)
	cmd := exec.Command(cfg.Launcher, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = os.Environ()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		cmd.Env = append(cmd.Env, "KUBEBUILDER_ASSETS="+filepath.Join(filepath.Dir(cfg.Launcher), "k8s"))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting %s: %w", cfg.Launcher, err)
	}
	c := &cluster{cfg: cfg, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(c.done) }()
	return c, nil
}

// waitReady waits until the manager answers /readyz (its webhooks are served) and the kubeconfig is
// written, or the launcher exits.
func (c *cluster) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return fmt.Errorf("localcluster exited (%v) before the manager was ready; see %s:\n%s",
				c.cmd.ProcessState, c.out.Name(), tail(c.out.Name(), 20))
		case <-ctx.Done():
			return fmt.Errorf("the manager was not ready within %v (%w); see %s:\n%s",
				timeout, ctx.Err(), c.out.Name(), tail(c.out.Name(), 20))
		case <-t.C:
		}
		if _, err := os.Stat(c.cfg.kubeconfig()); err != nil {
			continue
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.readyzURL(), nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
}

// stop sends SIGTERM to the launcher, which stops the manager and then the control plane, and waits.
// Whatever of its process tree is still there after timeout is killed, by pid.
func (c *cluster) stop(timeout time.Duration) {
	defer c.out.Close()
	select {
	case <-c.done:
		return
	default:
	}
	// The manager, etcd and kube-apiserver run in process groups of their own: note them now, while
	// they are still the launcher's children.
	tree := descendants(c.cmd.Process.Pid)
	log.Printf("stopping the local control plane and the manager (pid %d)", c.cmd.Process.Pid)
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(timeout):
		log.Printf("localcluster did not stop within %v; killing it", timeout)
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
	for pid, cmdline := range tree {
		if now, err := cmdlineOf(pid); err == nil && now == cmdline {
			log.Printf("killing pid %d, left running: %s", pid, cmdline)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// descendants returns every process below pid with its command line, read from /proc.
func descendants(pid int) map[int]string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, err := parentOf(p); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	out := map[int]string{}
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, ch := range children[p] {
			if cmd, err := cmdlineOf(ch); err == nil {
				out[ch] = cmd
			}
			queue = append(queue, ch)
		}
	}
	return out
}

// parentOf reads the parent pid from /proc/<pid>/stat (the field after the state, which follows the
// command name in parentheses).
func parentOf(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, errors.New("malformed stat")
	}
	return strconv.Atoi(f[1])
}

func cmdlineOf(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " ")), nil
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
