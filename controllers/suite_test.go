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

package controllers_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/testsupport"
	"roster.dev/roster/internal/webhooks"
)

var (
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	scheme    = runtime.NewScheme()
	stopMgr   func()

	// sent captures what the operator's Notifier is given: the tests read the parties' tokens from it.
	sent = &capturedNotifications{}
	// logs holds everything the operator logged, to prove no token appears there.
	logs = &syncBuffer{}
	// approvalPage serves the approval page of the running manager; its URL is the links' base URL.
	approvalPage *httptest.Server
	pageHandler  atomic.Value

	// metricsURL is the running manager's metrics endpoint (http://127.0.0.1:PORT/metrics).
	metricsURL string

	// operatorUsername is the user the manager runs as (the admin of the control plane here): the webhooks
	// admit status writes from it only.
	operatorUsername string

	// operatorWrites counts the API writes the operator's client makes (creates, updates, patches and
	// deletes, of objects and of their status).
	operatorWrites atomic.Int64
	// writesByNamespace counts the same writes per namespace, so that a test counts only its own objects
	// (another test's outbox may still retry in the background).
	writesByNamespace sync.Map // namespace -> *atomic.Int64
	// recentWrites names the operator's last writes, for failure messages.
	recentWrites = &writeLog{}
	// beforeOperatorPatch, when set, runs before each patch of an object (not of its status) by the
	// operator: a test plays a concurrent writer there.
	beforeOperatorPatch atomic.Pointer[func(client.Object)]
)

// writeKindsByNamespace counts the operator's writes per namespace by operation and kind (*writeKinds),
// for failure messages.
var writeKindsByNamespace sync.Map

type writeKinds struct {
	mu sync.Mutex
	n  map[string]int
}

func (w *writeKinds) add(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n == nil {
		w.n = map[string]int{}
	}
	w.n[key]++
}

// writesByKindIn describes the operator's writes to objects of namespace ns, by operation and kind.
func writesByKindIn(ns string) string {
	v, ok := writeKindsByNamespace.Load(ns)
	if !ok {
		return "no writes"
	}
	w := v.(*writeKinds)
	w.mu.Lock()
	defer w.mu.Unlock()
	keys := slices.Sorted(maps.Keys(w.n))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%4d %s", w.n[k], k))
	}
	return strings.Join(out, "\n")
}

// writeLog keeps the last writes of the operator.
type writeLog struct {
	mu   sync.Mutex
	last []string
}

func (l *writeLog) add(w string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = append(l.last, w)
	if len(l.last) > 20 {
		l.last = l.last[1:]
	}
}

func (l *writeLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.last, "\n")
}

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controllers Suite")
}

// TestSecurity runs the specs of docs/security.md alone, as `go test ./... -run Security -v` asks: every
// spec whose name holds "Security". Without -run, TestControllers runs them with the rest.
func TestSecurity(t *testing.T) {
	if run := flag.Lookup("test.run"); run == nil || !strings.Contains(run.Value.String(), "Security") {
		t.Skip("the Security specs run within TestControllers; select them alone with -run Security")
	}
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	suiteConfig.FocusStrings = append(suiteConfig.FocusStrings, "Security")
	RunSpecs(t, "Controllers Suite, focused", suiteConfig, reporterConfig)
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(GinkgoWriter, logs)), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(20 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	SetDefaultConsistentlyDuration(2 * time.Second)

	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(v1alpha1.AddToScheme(scheme)).To(Succeed())

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
		WebhookInstallOptions: envtest.WebhookInstallOptions{Paths: []string{filepath.Join("..", "config", "webhook")}},
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred(), "start the control plane (KUBEBUILDER_ASSETS must point at bin/k8s: run `make test`)")

	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	// The manager runs with the admin's config: ask the apiserver who that is, as main does.
	review := &authenticationv1.SelfSubjectReview{}
	Expect(k8sClient.Create(context.Background(), review)).To(Succeed())
	operatorUsername = review.Status.UserInfo.Username
	Expect(operatorUsername).NotTo(BeEmpty())

	// The operator's token key lives in its own namespace.
	Expect(k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "roster-system"}})).To(Succeed())
	approvalPage = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageHandler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	startManager()
})

var _ = AfterSuite(func() {
	if stopMgr != nil {
		stopMgr()
	}
	if approvalPage != nil {
		approvalPage.Close()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// startManager runs the operator's manager, as main does, until the suite ends or restartManager.
func startManager() {
	wh := testEnv.WebhookInstallOptions
	metricsAddr := freeAddress()
	metricsURL = "http://" + metricsAddr + "/metrics"
	mgrOpts := ctrl.Options{
		Scheme:    scheme,
		Metrics:   metricsserver.Options{BindAddress: metricsAddr},
		NewClient: countingWrites,
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wh.LocalServingHost, Port: wh.LocalServingPort, CertDir: wh.LocalServingCertDir,
		}),
		// A restarted manager registers the same controllers again in this process.
		Controller: config.Controller{SkipNameValidation: ptr(true)},
	}
	controllers.ScopeCache(&mgrOpts, nil)
	mgr, err := ctrl.NewManager(cfg, mgrOpts)
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	keys, err := approval.LoadOrCreateKey(ctx, k8sClient, types.NamespacedName{Namespace: "roster-system", Name: "roster-token-key"})
	Expect(err).NotTo(HaveOccurred())
	// The test's SMTP servers and webhook receivers listen on 127.0.0.1, and only there: 127.0.0.2 and the
	// rest stay refused, as in a cluster.
	opts := controllers.Options{MaxConcurrentReconciles: 2, Keys: keys, Notifier: sent, ApprovalBaseURL: approvalPage.URL, Now: testNow,
		Destinations: &notify.Destinations{AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}
	Expect(controllers.Setup(ctx, mgr, opts)).To(Succeed())
	Expect(webhooks.Setup(mgr, webhooks.Options{OperatorUsername: operatorUsername, Now: testNow})).To(Succeed())
	backend := &approvalweb.Backend{Reader: mgr.GetClient(), Client: mgr.GetClient(), Keys: keys, Now: testNow,
		Announcer: &controllers.ApprovalAnnouncer{Client: mgr.GetClient(), Deliverer: controllers.NewDeliverer(mgr, opts)}}
	addresses := &approvalweb.AddressBackend{Reader: mgr.GetClient(), Client: mgr.GetClient(), Keys: keys, Now: testNow}
	// Every test request comes from 127.0.0.1: the per-client limit is lifted (its own tests are in package
	// approvalweb); the per-transfer limits are the defaults.
	reconfirmations := &approvalweb.ReconfirmBackend{Reader: mgr.GetClient(), Client: mgr.GetClient(), Keys: keys, Now: testNow}
	pageHandler.Store(approvalweb.NewHandlerWithOptions(approvalweb.Pages{Backend: backend, AddressBackend: addresses, ReconfirmBackend: reconfirmations},
		ctrl.Log.WithName("approval-page"), approvalweb.Options{PerClient: approvalweb.Limit{Burst: 1000, Every: time.Millisecond}}))
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	stopMgr = func() {
		cancel()
		<-done
	}
}

// freeAddress returns a 127.0.0.1 address with a port free a moment ago.
func freeAddress() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().String()
}

// writesIn returns the operator's writes to objects of namespace ns so far.
func writesIn(ns string) func() int64 {
	return func() int64 {
		n, ok := writesByNamespace.Load(ns)
		if !ok {
			return 0
		}
		return n.(*atomic.Int64).Load()
	}
}

// clockSkew moves the operator's clock ahead of the real one (see skipAhead).
var clockSkew atomic.Int64

func testNow() time.Time { return time.Now().Add(time.Duration(clockSkew.Load())) }

// skipAhead moves the operator's clock d ahead until the test ends.
func skipAhead(d time.Duration) {
	clockSkew.Add(int64(d))
	DeferCleanup(func() { clockSkew.Add(-int64(d)) })
}

// restartManager stops the operator and starts a new one, as a crash and a new pod would.
func restartManager() {
	stopMgr()
	startManager()
}

// newNamespace creates a namespace for one test and deletes it afterwards.
func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "roster-test-"}}
	Expect(k8sClient.Create(context.Background(), ns)).To(Succeed())
	DeferCleanup(func() { _ = k8sClient.Delete(context.Background(), ns) })
	return ns.Name
}

// countingWrites builds the manager's client as controller-runtime does, counting its writes.
func countingWrites(config *rest.Config, options client.Options) (client.Client, error) {
	return testsupport.CountingClient(config, options, func(op string, obj client.Object, p client.Patch) {
		operatorWrites.Add(1)
		n, _ := writesByNamespace.LoadOrStore(obj.GetNamespace(), &atomic.Int64{})
		n.(*atomic.Int64).Add(1)
		kinds, _ := writeKindsByNamespace.LoadOrStore(obj.GetNamespace(), &writeKinds{})
		kinds.(*writeKinds).add(fmt.Sprintf("%s %T", op, obj))
		if p != nil && op != "patch" {
			data, _ := p.Data(obj)
			op += " " + string(data)
		}
		recentWrites.add(fmt.Sprintf("%s %T %s/%s", op, obj, obj.GetNamespace(), obj.GetName()))
		if hook := beforeOperatorPatch.Load(); hook != nil && op == "patch" {
			(*hook)(obj)
		}
	})
}
