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
	"bytes"
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// runner runs the phases against a started operator.
type runner struct {
	opts     options
	cs       kubernetes.Interface
	dyn      dynamic.Interface
	burstDyn dynamic.Interface
	tracker  *tracker
	sampler  *sampler
	scraper  scraper
	res      *results
}

// Namespace prefixes of the phases.
const (
	nsBaseline = "base"
	// nsBaselineBurst holds the same ConfigMaps, created by the burst's clients.
	nsBaselineBurst = "baseb"
	nsDependency    = "dep"
	nsShuffled      = "shuf"
	nsBurst         = "burst"
)

// The phases, in the order they run.
const (
	phaseBaseline   = "baseline"
	phaseDependency = "dependency"
	phaseShuffled   = "shuffled"
	phaseBurst      = "burst"
	phaseIdle       = "idle"
)

var allPhases = []string{phaseBaseline, phaseDependency, phaseShuffled, phaseBurst, phaseIdle}

// idleNamespace is where the idle phase creates its contacts: in the first organization of the first
// roster the run created.
func (b *runner) idleNamespace() string {
	for _, p := range []*rosterPhase{b.res.Dependency, b.res.Shuffled, b.res.Burst} {
		if p != nil && len(p.Namespaces) > 0 {
			return p.Namespaces[0]
		}
	}
	return namespaceName(nsDependency, 0)
}

// idleGap is the pause between two idle creates, so that each starts with the operator at rest.
const idleGap = 250 * time.Millisecond

// settleQuietFor is how long the operator must make no write, its queues empty, to be at rest.
const settleQuietFor = 3 * time.Second

func (b *runner) all(ctx context.Context) error {
	o, res := b.opts, b.res
	shape := generateRoster(nsDependency, o.orgs)
	res.Orgs, res.ObjectsPerRoster, res.NamespacesPerRoster = o.orgs, shape.count(), len(shape.Namespaces)
	res.Seed = o.seed
	log.Printf("ORGS=%d: %d objects per roster in %d namespaces", o.orgs, shape.count(), len(shape.Namespaces))

	var err error
	if o.phases[phaseBaseline] {
		if res.Baseline, err = b.baseline(ctx, configMapBaseline(shape, nsBaseline)); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
	}
	if o.phases[phaseDependency] {
		dep, err := b.applyPhase(ctx, phaseDependency, shape, dependencyOrder, nil, false)
		res.Dependency = &dep
		if err != nil {
			return fmt.Errorf("dependency order: %w", err)
		}
		if res.Quiet, err = b.quiet(ctx, dep.readySnap); err != nil {
			return fmt.Errorf("quiet: %w", err)
		}
	}
	if o.phases[phaseShuffled] {
		rng := rand.New(rand.NewPCG(o.seed, o.seed^0x5eed))
		order := shuffledKinds(rng)
		shuf, err := b.applyPhase(ctx, phaseShuffled, generateRoster(nsShuffled, o.orgs), order, rng, true)
		res.Shuffled = &shuf
		if err != nil {
			return fmt.Errorf("shuffled order: %w", err)
		}
	}
	if o.phases[phaseBurst] {
		burst, err := b.burst(ctx, generateRoster(nsBurst, o.orgs))
		res.Burst = &burst
		if err != nil {
			return fmt.Errorf("burst: %w", err)
		}
	}
	if o.phases[phaseIdle] {
		if res.Idle, err = b.idle(ctx, b.idleNamespace(), orgName(0)); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
	}
	if res.Sizes, err = b.sizes(ctx); err != nil {
		return fmt.Errorf("sizes: %w", err)
	}
	res.Operator = b.sampler.overall()
	return nil
}

func (b *runner) createNamespaces(ctx context.Context, names []string) error {
	for _, n := range names {
		_, err := b.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", n, err)
		}
	}
	return nil
}

// baseline applies the ConfigMaps, one file per kind, as the roster phases apply theirs.
func (b *runner) baseline(ctx context.Context, cms *roster) (*baselinePhase, error) {
	log.Printf("baseline: applying %d ConfigMaps", cms.count())
	if err := b.createNamespaces(ctx, cms.Namespaces); err != nil {
		return nil, err
	}
	p := &baselinePhase{Objects: cms.count(), Namespaces: cms.Namespaces}
	dir := filepath.Join(b.opts.cluster.Dir, "baseline")
	ctx, cancel := context.WithTimeout(ctx, b.opts.phaseTimeout)
	defer cancel()
	start := time.Now()
	for _, k := range dependencyOrder {
		file := filepath.Join(dir, strings.TrimSuffix(fileNames[k], ".yaml")+"-configmaps.yaml")
		if err := writeYAML(file, cms.ByKind[k]); err != nil {
			return nil, err
		}
		run, err := b.kubectlApply(ctx, file, len(cms.ByKind[k]))
		p.Applies = append(p.Applies, run)
		if err != nil {
			return p, err
		}
	}
	p.ApplySeconds = time.Since(start).Seconds()
	for _, a := range p.Applies {
		p.KubectlCPUSeconds += a.CPUSeconds
	}
	log.Printf("baseline: %.1f s", p.ApplySeconds)

	// The same ConfigMaps again, in other namespaces, created as the burst phase creates the roster.
	burst := configMapBaseline(cms, nsBaselineBurst)
	if err := b.createNamespaces(ctx, burst.Namespaces); err != nil {
		return p, err
	}
	start = time.Now()
	for _, k := range dependencyOrder {
		_, failures, err := b.createAll(ctx, burst.ByKind[k])
		p.BurstCreateErrors += failures
		if err != nil {
			return p, err
		}
	}
	p.BurstSeconds, p.BurstClients = time.Since(start).Seconds(), b.opts.burstClients
	p.Namespaces = append(p.Namespaces, burst.Namespaces...)
	log.Printf("baseline: created by %d clients in %.1f s", b.opts.burstClients, p.BurstSeconds)
	return p, nil
}

// kubectlApply runs kubectl apply --server-side on file, which holds objects objects.
func (b *runner) kubectlApply(ctx context.Context, file string, objects int) (applyRun, error) {
	cmd := exec.CommandContext(ctx, b.opts.kubectl, "--kubeconfig", b.opts.cluster.kubeconfig(),
		"apply", "--server-side", "--field-manager=gitops", "-o", "name", "-f", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	run := applyRun{File: filepath.Base(file), Objects: objects, Seconds: time.Since(start).Seconds()}
	if ps := cmd.ProcessState; ps != nil {
		run.CPUSeconds = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	if err != nil {
		run.Rejected = strings.Count(stderr.String(), "Error from server")
		run.FirstError = firstLine(stderr.String())
		if ctx.Err() != nil || run.Rejected == 0 {
			return run, fmt.Errorf("kubectl apply -f %s: %w: %s", file, err, lastLines(stderr.String()))
		}
	}
	return run, nil
}

// applyPhase applies a roster with kubectl, one file per kind in the order kinds; with rng each file's
// objects are shuffled. With retry, a file whose apply some objects of are refused (their referents are
// not there yet) is applied again after the others, as a GitOps tool's next sync would.
func (b *runner) applyPhase(ctx context.Context, name string, r *roster, kinds []string, rng *rand.Rand, retry bool) (rosterPhase, error) {
	p := rosterPhase{Name: name, Objects: r.count(), Namespaces: r.Namespaces, Order: kinds}
	log.Printf("%s: applying %d objects, files in the order %s", name, r.count(), strings.Join(kinds, ", "))
	if err := b.createNamespaces(ctx, r.Namespaces); err != nil {
		return p, err
	}
	files := map[string]string{}
	for _, k := range kinds {
		objs := r.ByKind[k]
		if rng != nil {
			objs = shuffled(objs, rng)
		}
		files[k] = filepath.Join(b.opts.cluster.Dir, name, fileNames[k])
		if err := writeYAML(files[k], objs); err != nil {
			return p, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.phaseTimeout)
	defer cancel()

	before, err := b.scraper.snapshot(ctx)
	if err != nil {
		return p, err
	}
	b.sampler.restart()
	clients := clientWrites{}
	start := time.Now()
	pending := kinds
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			if !retry {
				return p, fmt.Errorf("kubectl refused %s", strings.Join(pending, ", "))
			}
			if attempt > 10 {
				return p, fmt.Errorf("%s still refused after %d syncs", strings.Join(pending, ", "), attempt)
			}
			p.Retries += len(pending)
			p.Syncs = attempt
		}
		var failed []string
		for _, k := range pending {
			run, err := b.kubectlApply(ctx, files[k], len(r.ByKind[k]))
			run.Attempt = attempt + 1
			p.Applies = append(p.Applies, run)
			clients["APPLY "+resources[k].Resource] += float64(len(r.ByKind[k]))
			if err != nil {
				return p, err
			}
			if run.Rejected > 0 {
				log.Printf("%s: %d of %d objects of %s refused (%s); applying it again after the others",
					name, run.Rejected, run.Objects, run.File, run.FirstError)
				failed = append(failed, k)
			}
		}
		pending = failed
	}
	applyEnd := time.Now()
	for _, a := range p.Applies {
		p.KubectlCPUSeconds += a.CPUSeconds
	}
	afterApply, err := b.scraper.snapshot(ctx)
	if err != nil {
		return p, err
	}
	p.ApplySeconds = applyEnd.Sub(start).Seconds()
	p.Admission = apiAdmissionLatency(before.API, afterApply.API)
	p.ManagerWebhook = managerWebhookLatency(before.Manager, afterApply.Manager)
	log.Printf("%s: applied in %.1f s; waiting until all %d objects are Ready", name, p.ApplySeconds, r.count())

	if err := b.finish(ctx, &p, r, start, before, afterApply, clients); err != nil {
		return p, err
	}
	if base := b.res.Baseline; base != nil && base.ApplySeconds > 0 {
		p.ApplyVsBaseline = p.ApplySeconds / base.ApplySeconds
	}
	return p, nil
}

// finish waits until every object of r is Ready, reads the phase's figures up to then, and (except
// for the dependency phase, which the quiet phase follows) waits until the operator is at rest.
func (b *runner) finish(ctx context.Context, p *rosterPhase, r *roster, start time.Time, before, applied snapshot, clients clientWrites) error {
	keys, listed := r.keys(), r.listed()
	readyAt, err := b.tracker.waitReady(ctx, keys, listed)
	if err != nil {
		lines, n := b.tracker.notReady(keys, listed, 20)
		p.NotReady = n
		return fmt.Errorf("%w\n%s", err, strings.Join(lines, "\n"))
	}
	p.ReadySeconds = readyAt.Sub(start).Seconds()
	if p.ApplySeconds > 0 {
		p.ReadyAfterApply = p.ReadySeconds / p.ApplySeconds
	}
	ready, err := b.scraper.snapshot(ctx)
	if err != nil {
		return err
	}
	p.readySnap = ready
	p.CPUApply, p.CPUWait = use(before.CPU, applied.CPU), use(applied.CPU, ready.CPU)
	p.Writes = operatorWrites(before.API, ready.API, clients, p.Objects)
	p.Operator = operatorCounters(before.Manager, ready.Manager, p.Objects)
	p.Operator.peaks = b.sampler.restart()
	log.Printf("%s: all Ready (with their roles listed) %.1f s after the start (%.2f× the apply); operator writes per object %.2f",
		p.Name, p.ReadySeconds, p.ReadyAfterApply, p.Writes.PerObject)
	if p.Name == phaseDependency {
		return nil
	}
	settledAt, settled, err := b.settle(ctx)
	if err != nil {
		return err
	}
	after, err := b.scraper.snapshot(ctx)
	if err != nil {
		return err
	}
	w := operatorWrites(before.API, after.API, clients, p.Objects)
	p.WritesSettled, p.Settled = &w, settled
	p.SettledSeconds = settledAt.Sub(start).Seconds()
	return nil
}

// settle waits, up to --settle, until the operator has made no write and its queues stayed empty for
// settleQuietFor (read from its metrics every half second). It returns when that quiet began.
func (b *runner) settle(ctx context.Context) (time.Time, bool, error) {
	deadline := time.Now().Add(b.opts.settleLimit)
	last, since := -1.0, time.Now()
	for time.Now().Before(deadline) {
		m, err := scrapeHTTP(ctx, b.scraper.managerURL)
		if err != nil {
			return time.Time{}, false, err
		}
		writes := m.sum(restRequests, func(l labels) bool { return httpWriteMethods[l["method"]] })
		if writes != last || m.sum(queueDepth, all) > 0 {
			last, since = writes, time.Now()
		} else if time.Since(since) >= settleQuietFor {
			return since, true, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, false, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	log.Printf("the operator still writes %v after all Ready; going on", b.opts.settleLimit)
	return time.Now(), false, nil
}

// quiet counts the operator's writes for --quiet after the dependency phase was all Ready, in 10 s
// slices.
func (b *runner) quiet(ctx context.Context, from snapshot) (*quietPhase, error) {
	log.Printf("quiet: counting the operator's writes for %v", b.opts.quiet)
	q := &quietPhase{Seconds: b.opts.quiet.Seconds()}
	end := from.At.Add(b.opts.quiet)
	prev := from
	for prev.At.Before(end) {
		wait := min(10*time.Second, time.Until(end))
		select {
		case <-ctx.Done():
			return q, ctx.Err()
		case <-time.After(wait):
		}
		s, err := b.scraper.snapshot(ctx)
		if err != nil {
			return q, err
		}
		q.Slices = append(q.Slices, operatorWrites(prev.API, s.API, nil, 0).Total)
		prev = s
	}
	q.Writes = operatorWrites(from.API, prev.API, nil, 0)
	q.Operator = operatorCounters(from.Manager, prev.Manager, 0)
	q.Operator.peaks = b.sampler.restart()
	q.Seconds = prev.At.Sub(from.At).Seconds()
	log.Printf("quiet: %.0f operator writes in %.0f s", q.Writes.Total, q.Seconds)
	return q, nil
}

// burst creates a roster with concurrent clients: the organizations, then the contacts, then the
// assignments, each stage as fast as the API server takes it.
func (b *runner) burst(ctx context.Context, r *roster) (rosterPhase, error) {
	p := rosterPhase{Name: phaseBurst, Objects: r.count(), Namespaces: r.Namespaces, Order: dependencyOrder,
		Clients: b.opts.burstClients}
	log.Printf("burst: creating %d objects with %d clients", r.count(), b.opts.burstClients)
	if err := b.createNamespaces(ctx, r.Namespaces); err != nil {
		return p, err
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.phaseTimeout)
	defer cancel()
	before, err := b.scraper.snapshot(ctx)
	if err != nil {
		return p, err
	}
	b.sampler.restart()
	clients := clientWrites{}
	start := time.Now()
	for _, k := range dependencyOrder {
		attempts, failures, err := b.createAll(ctx, r.ByKind[k])
		clients["POST "+resources[k].Resource] += float64(attempts)
		p.CreateErrors += failures
		if err != nil {
			return p, err
		}
	}
	p.ApplySeconds = time.Since(start).Seconds()
	afterCreate, err := b.scraper.snapshot(ctx)
	if err != nil {
		return p, err
	}
	p.Admission = apiAdmissionLatency(before.API, afterCreate.API)
	p.ManagerWebhook = managerWebhookLatency(before.Manager, afterCreate.Manager)
	if base := b.res.Baseline; base != nil && base.BurstSeconds > 0 {
		p.ApplyVsBaseline = p.ApplySeconds / base.BurstSeconds
	}
	log.Printf("burst: created in %.1f s (%d failed attempts retried); waiting until all are Ready", p.ApplySeconds, p.CreateErrors)
	return p, b.finish(ctx, &p, r, start, before, afterCreate, clients)
}

// createAll creates objs with --burst-clients workers; a failed create is retried up to 5 times (as a
// controller would), and every attempt is counted.
func (b *runner) createAll(ctx context.Context, objs []*unstructured.Unstructured) (attempts, failures int, err error) {
	work := make(chan *unstructured.Unstructured)
	var nAttempts, nFailures atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range b.opts.burstClients {
		wg.Go(func() {
			for o := range work {
				var err error
				for try := range 5 {
					if try > 0 {
						time.Sleep(time.Duration(try) * 200 * time.Millisecond)
					}
					nAttempts.Add(1)
					_, err = b.burstDyn.Resource(resources[o.GetKind()]).Namespace(o.GetNamespace()).
						Create(ctx, o, metav1.CreateOptions{FieldManager: "burst"})
					if err == nil || ctx.Err() != nil {
						break
					}
					nFailures.Add(1)
				}
				if err != nil {
					once.Do(func() {
						firstErr = fmt.Errorf("creating %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
					})
				}
			}
		})
	}
	for _, o := range objs {
		select {
		case work <- o:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return int(nAttempts.Load()), int(nFailures.Load()), firstErr
}

// idle creates Contacts in an existing organization one at a time, each watched until Ready.
func (b *runner) idle(ctx context.Context, ns, org string) (*idlePhase, error) {
	p := &idlePhase{Kind: kindContact, Namespace: ns, Organization: org, Count: b.opts.idle}
	log.Printf("idle: %d single Contacts in %s/%s, one at a time", b.opts.idle, ns, org)
	ctx, cancel := context.WithTimeout(ctx, b.opts.phaseTimeout)
	defer cancel()
	before, err := b.scraper.snapshot(ctx)
	if err != nil {
		return p, err
	}
	b.sampler.restart()
	for i := range b.opts.idle {
		name := fmt.Sprintf("%s-idle-%03d", org, i)
		c := newContact(ns, org, i, name)
		key := objectKey(kindContact, ns, name)
		start := time.Now()
		if _, err := b.dyn.Resource(resources[kindContact]).Namespace(ns).Create(ctx, c, metav1.CreateOptions{FieldManager: "idle"}); err != nil {
			return p, fmt.Errorf("creating Contact %s/%s: %w", ns, name, err)
		}
		readyAt, err := b.tracker.waitReady(ctx, []string{key}, nil)
		if err != nil {
			lines, _ := b.tracker.notReady([]string{key}, nil, 1)
			return p, fmt.Errorf("%w\n%s", err, strings.Join(lines, "\n"))
		}
		p.LatenciesMS = append(p.LatenciesMS, float64(readyAt.Sub(start).Microseconds())/1000)
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(idleGap):
		}
	}
	after, err := b.scraper.snapshot(ctx)
	if err != nil {
		return p, err
	}
	sorted := slices.Clone(p.LatenciesMS)
	slices.Sort(sorted)
	p.P50MS, p.P99MS, p.MaxMS = percentile(sorted, 0.50), percentile(sorted, 0.99), sorted[len(sorted)-1]
	p.Admission = apiAdmissionLatency(before.API, after.API)
	p.ManagerWebhook = managerWebhookLatency(before.Manager, after.Manager)
	p.Writes = operatorWrites(before.API, after.API, clientWrites{"POST contacts": float64(b.opts.idle)}, b.opts.idle)
	p.Operator = operatorCounters(before.Manager, after.Manager, b.opts.idle)
	p.Operator.peaks = b.sampler.restart()
	log.Printf("idle: create→Ready p50 %.1f ms, p99 %.1f ms", p.P50MS, p.P99MS)
	return p, nil
}

// percentile is the nearest-rank q-quantile of sorted values.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*q + 0.999999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// kubectlClientVersion checks that kubectl runs and returns its version.
func kubectlClientVersion(ctx context.Context, kubectl string) (string, error) {
	out, err := exec.CommandContext(ctx, kubectl, "version", "--client", "-o", "yaml").Output()
	if err != nil {
		return "", fmt.Errorf("running %s version --client: %w (the bench applies its files with kubectl)", kubectl, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "gitVersion: "); ok {
			return v, nil
		}
	}
	return "unknown", nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(l) > 300 {
		l = l[:300] + "..."
	}
	return l
}

// lastLines is the last lines of kubectl's error output.
func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}

// sizes lists every object of each Roster kind (and the baseline's ConfigMaps) as JSON, managedFields
// included, as the API server stores custom resources in etcd, and measures them.
func (b *runner) sizes(ctx context.Context) (*sizeFigures, error) {
	f := &sizeFigures{}
	kinds := append(slices.Clone(dependencyOrder), "ContactTransfer")
	gvrs := map[string]string{"ContactTransfer": "/apis/roster.dev/v1alpha1/contacttransfers"}
	for _, k := range dependencyOrder {
		gvrs[k] = "/apis/roster.dev/v1alpha1/" + resources[k].Resource
	}
	for _, k := range kinds {
		ks, err := b.measure(ctx, k, []string{gvrs[k]})
		if err != nil {
			return nil, err
		}
		f.add(ks)
	}
	if b.res.Baseline == nil {
		return f, nil
	}
	var paths []string
	for _, ns := range b.res.Baseline.Namespaces {
		paths = append(paths, "/api/v1/namespaces/"+ns+"/configmaps")
	}
	ks, err := b.measure(ctx, "ConfigMap (baseline)", paths)
	if err != nil {
		return nil, err
	}
	f.Baseline = &ks
	return f, nil
}

// measure lists paths page by page and measures each item as the API server encodes it.
func (b *runner) measure(ctx context.Context, kind string, paths []string) (kindSize, error) {
	ks := kindSize{Kind: kind}
	var total int
	for _, path := range paths {
		cont := ""
		for {
			req := b.cs.CoreV1().RESTClient().Get().AbsPath(path).Param("limit", "500").SetHeader("Accept", "application/json")
			if cont != "" {
				req = req.Param("continue", cont)
			}
			raw, err := req.DoRaw(ctx)
			if err != nil {
				return ks, fmt.Errorf("listing %s: %w", path, err)
			}
			page, err := parseList(raw)
			if err != nil {
				return ks, fmt.Errorf("listing %s: %w", path, err)
			}
			for _, it := range page.items {
				ks.Count++
				total += it.size
				if it.size > ks.MaxBytes {
					ks.MaxBytes, ks.MaxName = it.size, it.name
				}
			}
			if cont = page.cont; cont == "" {
				break
			}
		}
	}
	if ks.Count > 0 {
		ks.AvgBytes = float64(total) / float64(ks.Count)
	}
	return ks, nil
}
