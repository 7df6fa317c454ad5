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
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// results are every figure of a run, as written to --out.
type results struct {
	Machine             machine        `json:"machine"`
	Orgs                int            `json:"orgs"`
	ObjectsPerRoster    int            `json:"objectsPerRoster"`
	NamespacesPerRoster int            `json:"namespacesPerRoster"`
	Seed                uint64         `json:"seed"`
	Baseline            *baselinePhase `json:"baseline,omitempty"`
	Dependency          *rosterPhase   `json:"dependency,omitempty"`
	Quiet               *quietPhase    `json:"quiet,omitempty"`
	Shuffled            *rosterPhase   `json:"shuffled,omitempty"`
	Burst               *rosterPhase   `json:"burst,omitempty"`
	Idle                *idlePhase     `json:"idle,omitempty"`
	Sizes               *sizeFigures   `json:"sizes,omitempty"`
	// Operator are the manager's peaks over the whole run.
	Operator peaks `json:"operator"`
	// Table is the printed table.
	Table []row  `json:"table"`
	Error string `json:"error,omitempty"`
}

type machine struct {
	NProc      int    `json:"nproc"`
	GoVersion  string `json:"goVersion"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Kubectl    string `json:"kubectl"`
	Kubernetes string `json:"kubernetes"`
	Started    string `json:"started"`
}

func describeMachine(kubectl string) machine {
	return machine{
		NProc: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Kubectl: kubectl, Started: time.Now().UTC().Format(time.RFC3339),
	}
}

// applyRun is one kubectl apply of one file.
type applyRun struct {
	File       string  `json:"file"`
	Attempt    int     `json:"attempt,omitempty"`
	Objects    int     `json:"objects"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpuSeconds"` // kubectl's own CPU time, user + system
	Rejected   int     `json:"rejected"`
	FirstError string  `json:"firstError,omitempty"`
}

type baselinePhase struct {
	Objects           int        `json:"objects"`
	Namespaces        []string   `json:"namespaces"`
	ApplySeconds      float64    `json:"applySeconds"`
	KubectlCPUSeconds float64    `json:"kubectlCpuSeconds"`
	Applies           []applyRun `json:"applies"`
	// BurstSeconds is the time the burst's clients take to create the same ConfigMaps.
	BurstSeconds      float64 `json:"burstSeconds"`
	BurstClients      int     `json:"burstClients"`
	BurstCreateErrors int     `json:"burstCreateErrors"`
}

// rosterPhase are the figures of a roster applied (or, in the burst, created) and brought to Ready.
type rosterPhase struct {
	Name       string   `json:"name"`
	Objects    int      `json:"objects"`
	Namespaces []string `json:"namespaces"`
	// Order is the order the kinds' files were applied (or created) in.
	Order []string `json:"order"`
	// ApplySeconds is kubectl's time (every attempt), or the burst's creation time.
	ApplySeconds float64 `json:"applySeconds"`
	// ReadySeconds is from the start of the apply until every object was Ready at its generation.
	ReadySeconds    float64 `json:"readySeconds"`
	ReadyAfterApply float64 `json:"readyAfterApply"`
	// ApplyVsBaseline compares with the baseline's kubectl apply, or for the burst its creation.
	ApplyVsBaseline   float64 `json:"applyVsBaseline,omitempty"`
	KubectlCPUSeconds float64 `json:"kubectlCpuSeconds,omitempty"`
	// Retries are the files applied again; Syncs the rounds of applies after the first.
	Retries      int        `json:"retries"`
	Syncs        int        `json:"syncs"`
	Applies      []applyRun `json:"applies,omitempty"`
	Clients      int        `json:"clients,omitempty"`
	CreateErrors int        `json:"createErrors,omitempty"`
	NotReady     int        `json:"notReady,omitempty"`
	// Writes are the operator's, from the start until all Ready.
	Writes writeFigures `json:"writes"`
	// WritesSettled are the operator's from the start until it stopped writing (SettledSeconds).
	WritesSettled  *writeFigures `json:"writesSettled,omitempty"`
	Settled        bool          `json:"settled,omitempty"`
	SettledSeconds float64       `json:"settledSeconds,omitempty"`
	// Admission is the API server's view of Roster's webhooks during the apply (or creation).
	Admission latencyFigures `json:"admission"`
	// ManagerWebhook is the manager's view of its webhooks during the apply (or creation).
	ManagerWebhook latencyFigures `json:"managerWebhook"`
	// Operator are the manager's counters from the start until all Ready.
	Operator operatorFigures `json:"operator"`
	// CPUApply is the CPU used while applying (or creating), CPUWait from then until all Ready.
	CPUApply *cpuUse `json:"cpuApply,omitempty"`
	CPUWait  *cpuUse `json:"cpuWait,omitempty"`

	readySnap snapshot
}

type quietPhase struct {
	Seconds float64 `json:"seconds"`
	// Writes are the operator's Roster writes in the window; Slices the same per 10 s.
	Writes   writeFigures    `json:"writes"`
	Slices   []float64       `json:"slices"`
	Operator operatorFigures `json:"operator"`
}

type idlePhase struct {
	Kind           string          `json:"kind"`
	Namespace      string          `json:"namespace"`
	Organization   string          `json:"organization"`
	Count          int             `json:"count"`
	P50MS          float64         `json:"p50Ms"`
	P99MS          float64         `json:"p99Ms"`
	MaxMS          float64         `json:"maxMs"`
	LatenciesMS    []float64       `json:"latenciesMs"`
	Admission      latencyFigures  `json:"admission"`
	ManagerWebhook latencyFigures  `json:"managerWebhook"`
	Writes         writeFigures    `json:"writes"`
	Operator       operatorFigures `json:"operator"`
}

// kindSize is the size of the objects of one kind as stored (JSON, managedFields included).
type kindSize struct {
	Kind     string  `json:"kind"`
	Count    int     `json:"count"`
	AvgBytes float64 `json:"avgBytes"`
	MaxBytes int     `json:"maxBytes"`
	MaxName  string  `json:"maxName"`
}

type sizeFigures struct {
	Kinds        []kindSize `json:"kinds"`
	Largest      kindSize   `json:"largest"` // Kind, MaxName and MaxBytes of the largest object
	Baseline     *kindSize  `json:"baseline"`
	TotalObjects int        `json:"totalObjects"`
}

func (f *sizeFigures) add(k kindSize) {
	f.Kinds = append(f.Kinds, k)
	f.TotalObjects += k.Count
	if k.MaxBytes > f.Largest.MaxBytes {
		f.Largest = kindSize{Kind: k.Kind, MaxBytes: k.MaxBytes, MaxName: k.MaxName}
	}
}

// listPage is one page of a list: each item's name and encoded size, and the continue token.
type listPage struct {
	items []struct {
		name string
		size int
	}
	cont string
}

func parseList(raw []byte) (listPage, error) {
	var l struct {
		Metadata struct {
			Continue string `json:"continue"`
		} `json:"metadata"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		return listPage{}, err
	}
	p := listPage{cont: l.Metadata.Continue}
	for _, it := range l.Items {
		var meta struct {
			Metadata struct{ Name, Namespace string } `json:"metadata"`
		}
		if err := json.Unmarshal(it, &meta); err != nil {
			return listPage{}, err
		}
		p.items = append(p.items, struct {
			name string
			size int
		}{meta.Metadata.Namespace + "/" + meta.Metadata.Name, len(it)})
	}
	return p, nil
}

// row is one line of the table.
type row struct {
	Figure   string `json:"figure"`
	Measured string `json:"measured"`
	Target   string `json:"target,omitempty"`
	OK       *bool  `json:"ok,omitempty"`
}

// rows builds the table from whatever phases ran.
func rows(r *results) []row {
	var out []row
	add := func(figure, measured string) { out = append(out, row{Figure: figure, Measured: measured}) }
	check := func(figure, measured, target string, ok bool) {
		out = append(out, row{Figure: figure, Measured: measured, Target: target, OK: &ok})
	}
	if b := r.Baseline; b != nil && b.ApplySeconds > 0 {
		add(fmt.Sprintf("baseline: kubectl apply of %d ConfigMaps (3 files)", b.Objects),
			fmt.Sprintf("%s (kubectl CPU %s)", secs(b.ApplySeconds), secs(b.KubectlCPUSeconds)))
		if b.BurstSeconds > 0 {
			add(fmt.Sprintf("baseline: the same ConfigMaps created by %d clients", b.BurstClients), secs(b.BurstSeconds))
		}
	}
	for _, p := range []*rosterPhase{r.Dependency, r.Shuffled, r.Burst} {
		if p == nil {
			continue
		}
		n := p.Name
		switch n {
		case "burst":
			add(fmt.Sprintf("burst: creation by %d clients (%d objects)", p.Clients, p.Objects),
				fmt.Sprintf("%s, %d failed attempts", secs(p.ApplySeconds), p.CreateErrors))
		case "shuffled":
			add("shuffled: order of the files", strings.Join(p.Order, ", "))
			add(fmt.Sprintf("shuffled: kubectl apply (%d objects, with retries)", p.Objects),
				fmt.Sprintf("%s (kubectl CPU %s)", secs(p.ApplySeconds), secs(p.KubectlCPUSeconds)))
			add("shuffled: files applied again (syncs)", fmt.Sprintf("%d (%d)", p.Retries, p.Syncs))
		default:
			add(fmt.Sprintf("%s: kubectl apply (%d objects)", n, p.Objects),
				fmt.Sprintf("%s (kubectl CPU %s)", secs(p.ApplySeconds), secs(p.KubectlCPUSeconds)))
		}
		if p.ReadySeconds == 0 {
			add(n+": all Ready", fmt.Sprintf("not reached (%d not Ready)", p.NotReady))
			continue
		}
		add(n+": start to all Ready", secs(p.ReadySeconds))
		if n == "burst" {
			check(n+": all Ready / creation time", ratio(p.ReadyAfterApply), "≤ 1.5", p.ReadyAfterApply <= 1.5)
			if p.ApplyVsBaseline > 0 {
				add(n+": creation time / ConfigMaps' creation time", ratio(p.ApplyVsBaseline))
			}
		} else {
			check(n+": all Ready / apply time", ratio(p.ReadyAfterApply), "≤ 1.2", p.ReadyAfterApply <= 1.2)
			check(n+": apply time / baseline", ratio(p.ApplyVsBaseline), "≤ 1.3", p.ApplyVsBaseline > 0 && p.ApplyVsBaseline <= 1.3)
		}
		w := p.Writes
		check(n+": operator writes per object to Ready (status + metadata)",
			fmt.Sprintf("%.2f (%.2f + %.2f; %.0f writes)", w.PerObject, w.Status/float64(p.Objects), w.Metadata/float64(p.Objects), w.Total),
			"≤ 1.2", w.PerObject <= 1.2)
		if s := p.WritesSettled; s != nil {
			add(n+": operator writes per object until at rest", fmt.Sprintf("%.2f (%.0f writes, at rest after %s)",
				s.PerObject, s.Total, secs(p.SettledSeconds)))
		}
		add(n+": operator writes by request (top 4)", topRequests(w.ByRequest, 4))
		add(n+": Events written (notifications)", fmt.Sprintf("%.0f", w.Events))
		add(n+": manager's own API requests (rest_client)", fmt.Sprintf("%.0f writes, all groups (%s)", p.Operator.RESTWrites, methods(p.Operator.RESTRequests)))
		a := p.Admission
		during := "apply"
		if n == "burst" {
			during = "creation"
		}
		admission := fmt.Sprintf("%s: admission p99 during %s (API server, %.0f calls)", n, during, a.Calls)
		if n == "burst" {
			// The target is the bulk apply's; 16 clients as fast as the API server takes them queue for its CPU.
			add(admission, "≤ "+a.P99Le)
		} else {
			check(admission, "≤ "+a.P99Le, "≤ 25ms", a.P99LeSeconds != nil && *a.P99LeSeconds <= 0.025)
		}
		add(n+": admission calls under 5 ms / under 25 ms", share(a.ShareUnder5ms)+" / "+share(a.ShareUnder25ms))
		if c := a.Creates; c != nil {
			add(fmt.Sprintf("%s: admission p99 of the CREATEs only (%.0f calls)", n, c.Calls), "≤ "+c.P99Le+", "+share(c.ShareUnder5ms)+" under 5 ms")
		}
		add(n+": manager's webhook latency: p99 (mean, share under 5 ms)", managerLatency(p.ManagerWebhook))
		add(n+": reconciles per object", fmt.Sprintf("%.2f (%s)", p.Operator.ReconcilesPerObject, perController(p.Operator.ReconcilesByController)))
		add(n+": max workqueue depth", fmt.Sprintf("%.0f", p.Operator.MaxQueueDepth))
		if p.CPUApply != nil {
			what := "applying"
			if n == phaseBurst {
				what = "creating"
			}
			cpu := p.CPUApply.String()
			if p.KubectlCPUSeconds > 0 && p.CPUApply.Seconds > 0 {
				cpu += fmt.Sprintf(", kubectl %.2f", p.KubectlCPUSeconds/p.CPUApply.Seconds)
			}
			add(fmt.Sprintf("%s: CPU while %s (cores)", n, what), cpu)
		}
		if p.CPUWait != nil && p.CPUWait.Seconds >= 5 {
			add(n+": CPU from then until all Ready (cores)", p.CPUWait.String())
		}
		if n == "dependency" && p.Operator.MaxRSSBytes > 0 {
			// The first roster is all the manager caches then: the memory target is per 31,000 objects.
			check(fmt.Sprintf("dependency: operator max RSS / heap in use (%d Roster objects)", p.Objects),
				fmt.Sprintf("%s / %s", mib(p.Operator.MaxRSSBytes), mib(p.Operator.MaxHeapInuseBytes)),
				"< 200 MiB", p.Operator.MaxRSSBytes < 200<<20)
		}
		if n == "dependency" && r.Quiet != nil {
			q := r.Quiet
			check(fmt.Sprintf("quiet: operator writes in %.0f s after all Ready", q.Seconds),
				fmt.Sprintf("%.0f (per 10 s: %s)", q.Writes.Total, floats(q.Slices)), "0", q.Writes.Total == 0)
		}
	}
	if i := r.Idle; i != nil && len(i.LatenciesMS) > 0 {
		add(fmt.Sprintf("idle: %d single %s creates, create→Ready p50", i.Count, i.Kind), fmt.Sprintf("%.1f ms", i.P50MS))
		check("idle: create→Ready p99", fmt.Sprintf("%.1f ms (max %.1f ms)", i.P99MS, i.MaxMS), "< 100 ms", i.P99MS < 100)
		a := i.Admission
		check(fmt.Sprintf("idle: admission p99 (API server, %.0f calls)", a.Calls), "≤ "+a.P99Le, "≤ 5ms",
			a.P99LeSeconds != nil && *a.P99LeSeconds <= 0.005)
		add("idle: admission calls under 5 ms / under 25 ms", share(a.ShareUnder5ms)+" / "+share(a.ShareUnder25ms))
		if c := a.Creates; c != nil {
			add(fmt.Sprintf("idle: admission p99 of the CREATEs only (%.0f calls)", c.Calls), "≤ "+c.P99Le+", "+share(c.ShareUnder5ms)+" under 5 ms")
		}
		add("idle: manager's webhook latency: p99 (mean, share under 5 ms)", managerLatency(i.ManagerWebhook))
		add("idle: operator writes per create", fmt.Sprintf("%.2f", i.Writes.PerObject))
	}
	if r.Operator.Samples > 0 {
		add(fmt.Sprintf("operator: max RSS / max heap in use (%d Roster objects at the end)", r.cachedObjects()), fmt.Sprintf("%s / %s", mib(r.Operator.MaxRSSBytes), mib(r.Operator.MaxHeapInuseBytes)))
	}
	if s := r.Sizes; s != nil {
		for _, k := range s.Kinds {
			if k.Count == 0 {
				continue
			}
			add(fmt.Sprintf("etcd bytes per %s: average / largest (%d objects)", k.Kind, k.Count),
				fmt.Sprintf("%.0f / %d", k.AvgBytes, k.MaxBytes))
		}
		if b := s.Baseline; b != nil && b.Count > 0 {
			add(fmt.Sprintf("etcd bytes per %s: average / largest (%d objects)", b.Kind, b.Count), fmt.Sprintf("%.0f / %d", b.AvgBytes, b.MaxBytes))
		}
		add("largest object", fmt.Sprintf("%s %s: %d bytes", s.Largest.Kind, s.Largest.MaxName, s.Largest.MaxBytes))
	}
	return out
}

// printReport prints the machine and the table.
func printReport(w io.Writer, r *results) {
	r.Table = rows(r)
	m := r.Machine
	fmt.Fprintf(w, "\nmachine: %d CPUs (nproc), %s %s/%s, kubectl %s, Kubernetes %s, started %s\n",
		m.NProc, m.GoVersion, m.OS, m.Arch, m.Kubectl, m.Kubernetes, m.Started)
	fmt.Fprintf(w, "ORGS=%d: %d objects per roster (%d organizations, %d contacts, %d assignments) in %d namespaces; seed %d\n\n",
		r.Orgs, r.ObjectsPerRoster, r.Orgs, r.Orgs*contactsPerOrg, r.Orgs*assignmentsPer, r.NamespacesPerRoster, r.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tmeasured\ttarget\tok")
	fmt.Fprintln(tw, "------\t--------\t------\t--")
	for _, x := range r.Table {
		ok := ""
		if x.OK != nil {
			ok = "✗"
			if *x.OK {
				ok = "✓"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.Figure, x.Measured, x.Target, ok)
	}
	tw.Flush()
	if r.Error != "" {
		fmt.Fprintf(w, "\nthe run stopped early: %s\n", r.Error)
	}
}

func writeJSON(path string, r *results) error {
	if r.Table == nil {
		r.Table = rows(r)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func secs(s float64) string  { return fmt.Sprintf("%.1f s", s) }
func ratio(f float64) string { return fmt.Sprintf("%.2f", f) }
func mib(b float64) string   { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }

func share(s *float64) string {
	if s == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", *s*100)
}

func ms(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f ms", *v)
}

// managerLatency prints the manager's view of its webhooks, interpolated in its native histogram.
func managerLatency(f latencyFigures) string {
	return fmt.Sprintf("%s (%s, %s)", ms(f.P99InterpolatedMS), ms(f.MeanMS), share(f.ShareUnder5ms))
}

// formatBound prints a bucket bound in seconds as milliseconds or seconds.
func formatBound(b float64) string {
	switch {
	case math.IsInf(b, +1):
		return "+Inf"
	case b < 1:
		return fmt.Sprintf("%gms", b*1000)
	default:
		return fmt.Sprintf("%gs", b)
	}
}

func methods(m map[string]float64) string {
	var parts []string
	for _, k := range []string{"POST", "PUT", "PATCH", "DELETE", "GET"} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// topRequests lists the n most frequent requests.
func topRequests(m map[string]float64, n int) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func perController(m map[string]float64) string {
	var parts []string
	for _, k := range []string{"organization", "contact", "roleassignment", "contacttransfer"} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

func floats(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%.0f", f)
	}
	return strings.Join(parts, ", ")
}

// cachedObjects counts the Roster objects the phases created: what the manager caches at the end.
func (r *results) cachedObjects() int {
	n := 0
	for _, p := range []*rosterPhase{r.Dependency, r.Shuffled, r.Burst} {
		if p != nil {
			n += p.Objects
		}
	}
	if r.Idle != nil {
		n += len(r.Idle.LatenciesMS)
	}
	return n
}
