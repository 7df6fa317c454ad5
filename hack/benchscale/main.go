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

// Command benchscale is `make bench-scale`: a scale benchmark of the operator, measured against a
// ConfigMap baseline in the same run.
//
// It starts the operator on a local control plane as `make run` does (hack/localcluster, under
// bin/bench/, on ports of its own), generates a roster of ORGS organizations (each with 2 sites,
// 10 contacts and 20 role assignments: 31 objects), and runs these phases, each in fresh namespaces:
//
//	baseline    as many ConfigMaps, applied with kubectl apply --server-side, one file per kind, then
//	            created again by the burst's clients
//	dependency  the roster applied the same way, organizations, contacts, then assignments
//	quiet       the operator's writes in the --quiet window after everything is Ready
//	shuffled    a second roster, the files in a shuffled kind order, each file shuffled, refused files
//	            applied again like a GitOps tool's next sync
//	burst       a third roster created by 16 concurrent clients
//	idle        --idle single Contacts created one at a time, each watched until Ready
//
// The figures come from the API server's metrics (writes to roster.dev, admission latency), the
// manager's metrics (reconciles, queue depth, memory, its own API requests and webhook latency), and
// watches on the Roster kinds (when each object is Ready at its current generation). It prints a
// table and writes every figure as JSON (--out).
//
//	KUBEBUILDER_ASSETS=bin/k8s bin/benchscale --orgs 100
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
)

// options are the command's flags.
type options struct {
	orgs         int
	out          string
	quiet        time.Duration
	idle         int
	seed         uint64
	burstClients int
	phaseTimeout time.Duration
	startTimeout time.Duration
	settleLimit  time.Duration
	kubectl      string
	cluster      clusterConfig
	// phases are the phases to run; all of them for the figures of docs/performance.md.
	phases map[string]bool
}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("benchscale: ")
	os.Exit(run())
}

func run() int {
	var o options
	flag.IntVar(&o.orgs, "orgs", 100, "organizations per roster (31 objects each, 10 per namespace)")
	flag.StringVar(&o.out, "out", "", "where to write every figure as JSON (default <dir>/results.json)")
	flag.DurationVar(&o.quiet, "quiet", 60*time.Second, "how long to count the operator's writes once everything is Ready")
	flag.IntVar(&o.idle, "idle", 50, "single creates timed one at a time in the idle phase")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the shuffled phase's order")
	flag.IntVar(&o.burstClients, "burst-clients", 16, "concurrent clients of the burst phase")
	flag.DurationVar(&o.phaseTimeout, "phase-timeout", 0, "longest a phase may take (apply and all Ready); default 15m, or 6s per organization when more")
	flag.DurationVar(&o.startTimeout, "start-timeout", 3*time.Minute, "longest the control plane and the manager may take to start")
	flag.DurationVar(&o.settleLimit, "settle", time.Minute, "longest to wait, after all Ready, for the operator to stop writing before the next phase")
	flag.StringVar(&o.kubectl, "kubectl", "kubectl", "kubectl binary")
	phases := flag.String("phases", strings.Join(allPhases, ","), "comma-separated phases to run, for a quicker look at some figures")
	flag.StringVar(&o.cluster.Dir, "dir", "bin/bench", "directory of the local control plane, the generated files and the log (wiped first)")
	flag.StringVar(&o.cluster.Launcher, "localcluster", "bin/localcluster", "hack/localcluster binary")
	flag.StringVar(&o.cluster.Manager, "manager", "bin/manager", "manager binary")
	flag.IntVar(&o.cluster.APIPort, "apiserver-port", 26443, "kube-apiserver port")
	flag.IntVar(&o.cluster.WebhookPort, "webhook-port", 29443, "manager webhook port")
	flag.IntVar(&o.cluster.MetricsPort, "metrics-port", 28080, "manager metrics port (plain HTTP)")
	flag.IntVar(&o.cluster.HealthPort, "health-port", 28081, "manager health port")
	flag.IntVar(&o.cluster.ApprPort, "approval-port", 28082, "manager approval page port")
	flag.StringVar(&o.cluster.LogLevel, "log-level", "error", "manager --zap-log-level")
	flag.StringVar(&o.cluster.ManagerArgs, "manager-args", "", "more manager flags, space-separated, e.g. --pprof-bind-address=127.0.0.1:28083")
	flag.Parse()
	o.phases = map[string]bool{}
	for p := range strings.SplitSeq(*phases, ",") {
		if !slices.Contains(allPhases, p) {
			fmt.Fprintf(os.Stderr, "--phases: unknown phase %q (phases: %s)\n", p, strings.Join(allPhases, ","))
			return 2
		}
		o.phases[p] = true
	}
	if o.phaseTimeout == 0 {
		// kubectl applies about 35 objects a second here, and ConfigMaps at a third of that.
		o.phaseTimeout = max(15*time.Minute, time.Duration(o.orgs)*6*time.Second)
	}
	if o.out == "" {
		o.out = filepath.Join(o.cluster.Dir, "results.json")
	}
	if o.orgs < 1 || o.idle < 1 || o.burstClients < 1 {
		log.Print("--orgs, --idle and --burst-clients must be at least 1")
		return 2
	}
	for _, p := range []*string{&o.cluster.Dir, &o.cluster.Launcher, &o.cluster.Manager, &o.out} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			log.Print(err)
			return 1
		}
		*p = abs
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	res := &results{}
	err := bench(ctx, o, res)
	if err != nil {
		res.Error = err.Error()
	}
	if res.Machine.NProc > 0 {
		printReport(os.Stdout, res)
	}
	if werr := writeJSON(o.out, res); werr != nil {
		log.Printf("writing %s: %v", o.out, werr)
		if err == nil {
			err = werr
		}
	} else {
		log.Printf("figures written to %s", o.out)
	}
	if err != nil {
		log.Print(err)
		if ctx.Err() != nil || errors.Is(err, context.Canceled) {
			log.Print("interrupted")
			return 130
		}
		return 1
	}
	return 0
}

// bench starts the operator, runs every phase and fills res; the operator is stopped on return.
func bench(ctx context.Context, o options, res *results) error {
	kubectlVersion, err := kubectlClientVersion(ctx, o.kubectl)
	if err != nil {
		return err
	}
	if err := wipeDir(o.cluster.Dir); err != nil {
		return err
	}
	res.Machine = describeMachine(kubectlVersion)
	log.Printf("starting the local control plane and the manager under %s (log: %s)", o.cluster.Dir,
		filepath.Join(o.cluster.Dir, "operator.log"))
	cl, err := startCluster(o.cluster)
	if err != nil {
		return err
	}
	defer cl.stop(90 * time.Second)
	if err := cl.waitReady(ctx, o.startTimeout); err != nil {
		return err
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", o.cluster.kubeconfig())
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 200, 400
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	// The burst's clients: no client-side rate limit, as fast as the API server takes it.
	burstCfg := rest.CopyConfig(cfg)
	burstCfg.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
	burstDyn, err := dynamic.NewForConfig(burstCfg)
	if err != nil {
		return err
	}
	if v, err := cs.Discovery().ServerVersion(); err == nil {
		res.Machine.Kubernetes = v.GitVersion
	}

	watchCtx, cancelWatch := context.WithCancel(ctx)
	defer cancelWatch()
	watchClient, err := watchedClient(cfg)
	if err != nil {
		return err
	}
	tr := newTracker()
	if err := tr.start(watchCtx, watchClient); err != nil {
		return err
	}
	smp := &sampler{url: o.cluster.metricsURL()}
	go smp.loop(watchCtx, time.Second)

	b := &runner{
		opts: o, cs: cs, dyn: dyn, burstDyn: burstDyn, tracker: tr, sampler: smp,
		scraper: scraper{api: cs.CoreV1().RESTClient(), managerURL: o.cluster.metricsURL()},
		res:     res,
	}
	return b.all(ctx)
}
