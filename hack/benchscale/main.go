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

// Command benchscale measures the operator on a GitOps-sized roster, against the same number of
// ConfigMaps applied the same way in the same run (make bench-scale).
//
// It starts the local control plane and the manager as make run does (bin/localcluster, other ports),
// applies ORGS organizations (10 per namespace; each with 2 sites, 10 contacts and 20 assignments) with
// kubectl apply --server-side, one file per kind in dependency order, waits until every object is
// Ready, then reads the figures from the apiserver's and the operator's own metrics.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	apiPort     = 26443
	metricsAddr = "127.0.0.1:28080"
	healthAddr  = "127.0.0.1:28081"
)

var kinds = []string{"organizations", "contacts", "roleassignments"}

func main() {
	log.SetFlags(0)
	log.SetPrefix("benchscale: ")
	orgs := flag.Int("orgs", 100, "organizations to generate (10 per namespace, 31 objects each)")
	dir := flag.String("dir", "bin/bench", "directory for the control plane, the generated files and the results (wiped first)")
	out := flag.String("out", "", "JSON results (default <dir>/results.json)")
	quiet := flag.Duration("quiet", time.Minute, "how long to count the operator's writes once everything is Ready")
	timeout := flag.Duration("timeout", 30*time.Minute, "longest wait for everything to be Ready")
	flag.Parse()
	if *out == "" {
		*out = filepath.Join(*dir, "results.json")
	}
	if err := run(*orgs, *dir, *out, *quiet, *timeout); err != nil {
		log.Fatal(err)
	}
}

// result is every figure of a run.
type result struct {
	Orgs, Objects, CPUs                 int
	BaselineApplySeconds                float64
	RosterApplySeconds                  float64
	AllReadySeconds                     float64
	ReadyAfterApply                     float64 // all Ready time / apply time
	ApplyVsBaseline                     float64
	StatusWrites, MetadataWrites        float64
	WritesPerObject                     float64
	QuietWrites                         float64
	AdmissionCalls                      float64
	AdmissionUnder5ms, AdmissionUnder25 float64
	ReconcilesPerObject                 float64
	MaxRSSMiB, MaxHeapMiB               float64
	BytesPerObject                      map[string]float64
	LargestObject                       string
	LargestObjectBytes                  int
}

func run(orgs int, dir, out string, quiet, timeout time.Duration) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stop, err := startOperator(dir)
	if err != nil {
		return err
	}
	defer stop()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 200, 400
	cs := kubernetes.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ctx := context.Background()
	r := result{Orgs: orgs, CPUs: runtime.NumCPU(), BytesPerObject: map[string]float64{}}

	roster := generate(orgs, "bench")
	r.Objects = roster.objects()
	baseline := baselineOf(roster, "baseline")
	rosterFiles, err := roster.write(dir, "roster")
	if err != nil {
		return err
	}
	baselineFiles, err := baseline.write(dir, "baseline")
	if err != nil {
		return err
	}

	// kubectl's first call fills its discovery cache: not a cost of either side.
	if err := exec.Command("kubectl", "--kubeconfig", kubeconfig, "api-resources").Run(); err != nil {
		return fmt.Errorf("kubectl api-resources: %w", err)
	}
	log.Printf("baseline: %d ConfigMaps", r.Objects)
	if r.BaselineApplySeconds, err = apply(kubeconfig, baselineFiles); err != nil {
		return err
	}

	log.Printf("roster: %d organizations, %d objects", orgs, r.Objects)
	before, err := scrapeAPIServer(ctx, cs)
	if err != nil {
		return err
	}
	opBefore, _ := scrapeOperator()
	sampler := startSampler()
	start := time.Now()
	if r.RosterApplySeconds, err = apply(kubeconfig, rosterFiles); err != nil {
		return err
	}
	if err := waitReady(ctx, dyn, r.Objects, timeout); err != nil {
		return err
	}
	r.AllReadySeconds = time.Since(start).Seconds()
	ready, err := scrapeAPIServer(ctx, cs)
	if err != nil {
		return err
	}
	opReady, _ := scrapeOperator()
	log.Printf("all Ready after %.1fs; counting writes for %v", r.AllReadySeconds, quiet)
	time.Sleep(quiet)
	after, err := scrapeAPIServer(ctx, cs)
	if err != nil {
		return err
	}
	r.MaxRSSMiB, r.MaxHeapMiB = sampler.stop()

	r.ReadyAfterApply = r.AllReadySeconds / r.RosterApplySeconds
	r.ApplyVsBaseline = r.RosterApplySeconds / r.BaselineApplySeconds
	r.StatusWrites = operatorWrites(before, ready, true)
	r.MetadataWrites = operatorWrites(before, ready, false)
	r.WritesPerObject = (r.StatusWrites + r.MetadataWrites) / float64(r.Objects)
	r.QuietWrites = operatorWrites(ready, after, true) + operatorWrites(ready, after, false)
	admission := func(l map[string]string) bool { return strings.HasSuffix(l["name"], ".roster.dev") }
	r.AdmissionUnder5ms, r.AdmissionCalls = share(before, ready, "apiserver_admission_webhook_admission_duration_seconds", 0.005, admission)
	r.AdmissionUnder25, _ = share(before, ready, "apiserver_admission_webhook_admission_duration_seconds", 0.025, admission)
	r.ReconcilesPerObject = (opReady.sum("controller_runtime_reconcile_total", nil) - opBefore.sum("controller_runtime_reconcile_total", nil)) / float64(r.Objects)
	if err := measureSizes(ctx, dyn, &r); err != nil {
		return err
	}
	report(os.Stdout, r)
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(data, '\n'), 0o644)
}

// startOperator runs bin/localcluster in its own process group and waits until the manager is ready.
func startOperator(dir string) (func(), error) {
	logFile, err := os.Create(filepath.Join(dir, "operator.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("bin/localcluster", "--dir", dir,
		"--apiserver-port", fmt.Sprint(apiPort), "--webhook-port", "29443", "--metrics-port", "28080",
		"--health-port", "28081", "--approval-port", "28082", "--manager", "bin/manager",
		"--", "--metrics-secure=false", "--zap-log-level=error")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		logFile.Close()
	}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + healthAddr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return stop, nil
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	stop()
	return nil, fmt.Errorf("the operator was not ready within 5 minutes: see %s", logFile.Name())
}

// apply runs kubectl apply --server-side on each file in turn, as a GitOps tool applies, and returns the
// time it took.
func apply(kubeconfig string, files []string) (float64, error) {
	start := time.Now()
	for _, f := range files {
		cmd := exec.Command("kubectl", "--kubeconfig", kubeconfig, "apply", "--server-side", "--field-manager=gitops", "-f", f)
		cmd.Stdout = io.Discard
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("kubectl apply -f %s: %v: %s", f, err, stderr.String())
		}
	}
	return time.Since(start).Seconds(), nil
}

func gvr(kind string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "roster.dev", Version: "v1alpha1", Resource: kind}
}

// waitReady polls until n objects of the three kinds are Ready for their generation.
func waitReady(ctx context.Context, dyn dynamic.Interface, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ready := 0
		for _, kind := range kinds {
			list, err := dyn.Resource(gvr(kind)).List(ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			for _, item := range list.Items {
				if isReady(item) {
					ready++
				}
			}
		}
		if ready >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d objects Ready after %v", ready, n, timeout)
		}
		time.Sleep(time.Second)
	}
}

func isReady(u unstructured.Unstructured) bool {
	raw, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var conds []metav1.Condition
	for _, c := range raw {
		m, _ := c.(map[string]any)
		gen, _ := m["observedGeneration"].(int64)
		conds = append(conds, metav1.Condition{Type: fmt.Sprint(m["type"]), Status: metav1.ConditionStatus(fmt.Sprint(m["status"])), ObservedGeneration: gen})
	}
	c := meta.FindStatusCondition(conds, "Ready")
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == u.GetGeneration()
}

// scrapeAPIServer reads the apiserver's request and admission metrics.
func scrapeAPIServer(ctx context.Context, cs *kubernetes.Clientset) (samples, error) {
	body, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	return parseText(strings.NewReader(string(body)), "apiserver_request_total", "apiserver_admission_webhook_admission_duration_seconds")
}

// scrapeOperator reads the manager's metrics (plain HTTP: --metrics-secure=false).
func scrapeOperator() (samples, error) {
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return parseText(resp.Body, "controller_runtime_reconcile_total", "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes")
}

// operatorWrites counts the writes to roster.dev objects between two scrapes: of status, or of the
// objects themselves. kubectl's server-side apply is the verb APPLY; every other write is the operator's.
func operatorWrites(before, after samples, status bool) float64 {
	keep := func(l map[string]string) bool {
		if l["group"] != "roster.dev" || (l["subresource"] == "status") != status {
			return false
		}
		switch l["verb"] {
		case "PATCH", "PUT", "UPDATE", "POST", "CREATE", "DELETE":
			return true
		}
		return false
	}
	return after.sum("apiserver_request_total", keep) - before.sum("apiserver_request_total", keep)
}

// sampler reads the operator's memory every second.
type sampler struct {
	done      chan struct{}
	rss, heap float64
	finished  chan struct{}
}

func startSampler() *sampler {
	s := &sampler{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(s.finished)
		for {
			if m, err := scrapeOperator(); err == nil {
				s.rss = max(s.rss, m.sum("process_resident_memory_bytes", nil))
				s.heap = max(s.heap, m.sum("go_memstats_heap_inuse_bytes", nil))
			}
			select {
			case <-s.done:
				return
			case <-time.After(time.Second):
			}
		}
	}()
	return s
}

func (s *sampler) stop() (rssMiB, heapMiB float64) {
	close(s.done)
	<-s.finished
	return s.rss / (1 << 20), s.heap / (1 << 20)
}

// measureSizes sets the average JSON size per kind (custom resources are stored in etcd as JSON) and the
// largest object.
func measureSizes(ctx context.Context, dyn dynamic.Interface, r *result) error {
	for _, kind := range kinds {
		list, err := dyn.Resource(gvr(kind)).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		total := 0
		for _, item := range list.Items {
			data, err := json.Marshal(item.Object)
			if err != nil {
				return err
			}
			total += len(data)
			if len(data) > r.LargestObjectBytes {
				r.LargestObjectBytes, r.LargestObject = len(data), kind+"/"+item.GetNamespace()+"/"+item.GetName()
			}
		}
		if len(list.Items) > 0 {
			r.BytesPerObject[kind] = float64(total) / float64(len(list.Items))
		}
	}
	return nil
}

// report prints the table of figures against the targets of docs/performance.md.
func report(w io.Writer, r result) {
	ok := func(pass bool) string {
		if pass {
			return "yes"
		}
		return "NO"
	}
	fmt.Fprintf(w, "\n%d organizations, %d objects, %d CPUs\n\n", r.Orgs, r.Objects, r.CPUs)
	fmt.Fprintf(w, "| figure | measured | target | met |\n|---|---|---|---|\n")
	row := func(name, measured, target string, pass bool) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", name, measured, target, ok(pass))
	}
	row("all objects Ready after the apply ends", fmt.Sprintf("%.2f× the apply time (%.0f s / %.0f s)", r.ReadyAfterApply, r.AllReadySeconds, r.RosterApplySeconds), "≤ 1.2×", r.ReadyAfterApply <= 1.2)
	row("operator writes per object to reach Ready", fmt.Sprintf("%.2f (%.2f status, %.2f metadata)", r.WritesPerObject, r.StatusWrites/float64(r.Objects), r.MetadataWrites/float64(r.Objects)), "≤ 1.2", r.WritesPerObject <= 1.2)
	row(fmt.Sprintf("operator writes in the %s after everything is Ready", "quiet period"), fmt.Sprintf("%.0f", r.QuietWrites), "0", r.QuietWrites == 0)
	row("admission calls under 5 ms / 25 ms during the apply", fmt.Sprintf("%.1f %% / %.1f %% of %.0f", 100*r.AdmissionUnder5ms, 100*r.AdmissionUnder25, r.AdmissionCalls), "p99 < 25 ms", r.AdmissionUnder25 >= 0.99)
	row("apply through the webhooks vs as many ConfigMaps", fmt.Sprintf("%.2f× (%.0f s / %.0f s)", r.ApplyVsBaseline, r.RosterApplySeconds, r.BaselineApplySeconds), "≤ 1.3×", r.ApplyVsBaseline <= 1.3)
	row("operator RSS (max)", fmt.Sprintf("%.0f MiB (heap %.0f MiB)", r.MaxRSSMiB, r.MaxHeapMiB), "< 200 MiB at 31,000 objects", r.MaxRSSMiB < 200)
	fmt.Fprintf(w, "\nreconciles per object: %.2f\n", r.ReconcilesPerObject)
	for _, kind := range kinds {
		fmt.Fprintf(w, "bytes per object, %s: %.0f\n", kind, r.BytesPerObject[kind])
	}
	fmt.Fprintf(w, "largest object: %s, %d bytes\n", r.LargestObject, r.LargestObjectBytes)
}
