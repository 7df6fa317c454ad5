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

// Package fleet runs whole operators as a production deployment runs them, several at once against one
// control plane: the writes an organization costs with nothing but the operator's own configuration,
// shards that split the namespaces, and a standby that takes over from a stopped leader.
package fleet

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/controllers"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/approvalweb"
	"roster.dev/roster/internal/shard"
	"roster.dev/roster/internal/testsupport"
	"roster.dev/roster/internal/webhooks"
)

var (
	testEnv          *envtest.Environment
	cfg              *rest.Config
	k8sClient        client.Client
	scheme           = runtime.NewScheme()
	operatorUsername string
	keys             *approval.Keyring
)

func TestFleet(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Fleet Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(20 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(v1alpha1.AddToScheme(scheme)).To(Succeed())

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: envtest.WebhookInstallOptions{Paths: []string{filepath.Join("..", "..", "config", "webhook")}},
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	review := &authenticationv1.SelfSubjectReview{}
	Expect(k8sClient.Create(context.Background(), review)).To(Succeed())
	operatorUsername = review.Status.UserInfo.Username
	Expect(k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "roster-system"}})).To(Succeed())
	keys, err = approval.LoadOrCreateKey(context.Background(), k8sClient, types.NamespacedName{Namespace: "roster-system", Name: "roster-token-key"})
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// operator is one running manager, configured as main configures it.
type operator struct {
	mgr    ctrl.Manager
	page   *httptest.Server
	writes *writeCounter
	stop   func()
}

// operatorOptions say how an operator of the fleet runs.
type operatorOptions struct {
	// shardSelector is --shard-namespace-selector.
	shardSelector string
	// webhookPort serves the admission webhooks there (0: no webhooks).
	webhookPort int
	// leaderElection elects a leader among the operators with the same shard.
	leaderElection bool
}

// startOperator runs an operator until the spec ends or its stop is called.
func startOperator(o operatorOptions) *operator {
	GinkgoHelper()
	op := &operator{writes: &writeCounter{}}
	selector, err := shard.Parse(o.shardSelector)
	Expect(err).NotTo(HaveOccurred())
	mgrOpts := ctrl.Options{
		Scheme:  scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		NewClient: func(config *rest.Config, options client.Options) (client.Client, error) {
			return op.writes.wrap(config, options)
		},
		LeaderElection:                o.leaderElection,
		LeaderElectionID:              shard.LeaderElectionID("roster.dev", selector),
		LeaderElectionNamespace:       "roster-system",
		LeaderElectionReleaseOnCancel: true,
		// Short leases, for a takeover within seconds.
		LeaseDuration: ptr(4 * time.Second), RenewDeadline: ptr(3 * time.Second), RetryPeriod: ptr(500 * time.Millisecond),
		// Several operators register the same controllers in this process.
		Controller: config.Controller{SkipNameValidation: ptr(true)},
	}
	if o.webhookPort != 0 {
		wh := testEnv.WebhookInstallOptions
		mgrOpts.WebhookServer = webhook.NewServer(webhook.Options{Host: wh.LocalServingHost, Port: o.webhookPort, CertDir: wh.LocalServingCertDir})
	}
	var owned *shard.Shard
	if selector != nil {
		owned, err = shard.Load(context.Background(), k8sClient, selector)
		Expect(err).NotTo(HaveOccurred())
	}
	controllers.ScopeCache(&mgrOpts, owned)
	op.mgr, err = ctrl.NewManager(cfg, mgrOpts)
	Expect(err).NotTo(HaveOccurred())
	if owned != nil {
		Expect(op.mgr.Add(&shard.Watcher{Shard: owned, Informers: op.mgr.GetCache()})).To(Succeed())
	}

	ctx, cancel := context.WithCancel(context.Background())
	op.page = httptest.NewServer(nil)
	opts := controllers.Options{MaxConcurrentReconciles: 2, Keys: keys, ApprovalBaseURL: op.page.URL, ArrivalWait: controllers.DefaultArrivalWait}
	Expect(controllers.Setup(ctx, op.mgr, opts)).To(Succeed())
	if o.webhookPort != 0 {
		Expect(webhooks.Setup(op.mgr, webhooks.Options{OperatorUsername: operatorUsername})).To(Succeed())
	}
	backend := &approvalweb.Backend{Reader: op.mgr.GetClient(), Client: op.mgr.GetClient(), Keys: keys,
		Announcer: &controllers.ApprovalAnnouncer{Client: op.mgr.GetClient(), Deliverer: controllers.NewDeliverer(op.mgr, opts)}}
	addresses := &approvalweb.AddressBackend{Reader: op.mgr.GetClient(), Client: op.mgr.GetClient(), Keys: keys}
	op.page.Config.Handler = approvalweb.NewHandlerWithOptions(approvalweb.Pages{Backend: backend, AddressBackend: addresses},
		ctrl.Log.WithName("approval-page"), approvalweb.Options{PerClient: approvalweb.Limit{Burst: 1000, Every: time.Millisecond}})

	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		Expect(op.mgr.Start(ctx)).To(Succeed())
	}()
	var once sync.Once
	op.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			op.page.Close()
		})
	}
	DeferCleanup(op.stop)
	if o.webhookPort != 0 {
		Eventually(func() error { return op.mgr.GetWebhookServer().StartedChecker()(nil) }).Should(Succeed())
	}
	// Running, as when an apply comes: the objects a spec creates next arrive as events, not in the
	// caches' first lists.
	synced, cancelSync := context.WithTimeout(ctx, 20*time.Second)
	defer cancelSync()
	Expect(op.mgr.GetCache().WaitForCacheSync(synced)).To(BeTrue(), "the operator's caches sync")
	return op
}

// leads tells whether the operator won its election.
func (op *operator) leads() bool {
	select {
	case <-op.mgr.Elected():
		return true
	default:
		return false
	}
}

// writeCounter counts an operator's writes per namespace and kind.
type writeCounter struct {
	mu sync.Mutex
	n  map[string]map[string]int // namespace → "op kind" → writes
}

func (w *writeCounter) add(ns, what string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n == nil {
		w.n = map[string]map[string]int{}
	}
	if w.n[ns] == nil {
		w.n[ns] = map[string]int{}
	}
	w.n[ns][what]++
}

// in returns the writes to objects of namespace ns so far.
func (w *writeCounter) in(ns string) func() int {
	return func() int {
		w.mu.Lock()
		defer w.mu.Unlock()
		total := 0
		for _, n := range w.n[ns] {
			total += n
		}
		return total
	}
}

// namespaces returns the namespaces written to, with the writes to each.
func (w *writeCounter) namespaces() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for ns, kinds := range w.n {
		for _, n := range kinds {
			out[ns] += n
		}
	}
	return out
}

// describe names the writes to namespace ns by operation and kind, for failure messages.
func (w *writeCounter) describe(ns string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprint(w.n[ns])
}

// wrap builds the manager's client as controller-runtime does, counting its writes.
func (w *writeCounter) wrap(config *rest.Config, options client.Options) (client.Client, error) {
	return testsupport.CountingClient(config, options, func(op string, obj client.Object, _ client.Patch) {
		w.add(obj.GetNamespace(), fmt.Sprintf("%s %T", op, obj))
	})
}

// freePort returns a port of 127.0.0.1 nothing listens on, other than the webhook port of testEnv,
// which is free between two specs and which the kernel may then hand out.
func freePort() int {
	GinkgoHelper()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		port := l.Addr().(*net.TCPAddr).Port
		Expect(l.Close()).To(Succeed())
		if port != testEnv.WebhookInstallOptions.LocalServingPort {
			return port
		}
	}
}

func ptr[T any](v T) *T { return &v }
