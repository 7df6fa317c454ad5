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

// Command manager runs the Roster operator: the controllers of the four roster.dev kinds, their admission
// webhooks, and the health and metrics endpoints.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	rosterv1alpha1 "roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/controllers"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/approvalweb"
	"roster.dev/roster/internal/netaddr"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/shard"
	"roster.dev/roster/internal/webhooks"
)

var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(rosterv1alpha1.AddToScheme(scheme))
}

// options are the manager's command-line settings.
type options struct {
	metricsAddr        string
	pprofAddr          string
	metricsSecure      bool
	probeAddr          string
	leaderElect        bool
	leaderElectionNS   string
	enableWebhooks     bool
	webhookHost        string
	webhookPort        int
	webhookCertDir     string
	enableHTTP2        bool
	maxConcurrentRecon int
	arrivalWait        time.Duration
	approvalAddr       string
	approvalBaseURL    string
	approvalProxies    string
	tokenKeySecret     string
	operatorUsername   string
	allowedCIDRs       string
	allowedHosts       string
	plaintextSMTP      string
	shardSelector      string
}

func main() {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", "0", "Address of the metrics endpoint, e.g. :8443 (HTTPS) or :8080 (HTTP); 0 disables it.")
	flag.StringVar(&o.pprofAddr, "pprof-bind-address", "0", "Address of Go's pprof endpoints (heap and CPU profiles), e.g. 127.0.0.1:6060; 0 disables them. They are unauthenticated: bind to localhost.")
	flag.BoolVar(&o.metricsSecure, "metrics-secure", true, "Serve metrics over HTTPS, authenticated and authorized by the apiserver.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz endpoints.")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so that only one of several replicas reconciles.")
	flag.StringVar(&o.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader election lease (default: the pod's namespace).")
	flag.BoolVar(&o.enableWebhooks, "enable-webhooks", true, "Serve the admission webhooks (disable when running outside the cluster against a remote one).")
	flag.StringVar(&o.webhookHost, "webhook-host", "", "Address the webhook server binds to (default: all interfaces).")
	flag.IntVar(&o.webhookPort, "webhook-port", 9443, "Port of the webhook server.")
	flag.StringVar(&o.webhookCertDir, "webhook-cert-dir", "", "Directory holding tls.crt and tls.key for the webhook server (default: controller-runtime's).")
	flag.BoolVar(&o.enableHTTP2, "enable-http2", false, "Allow HTTP/2 on the webhook and metrics servers (off by default: CVE-2023-44487, CVE-2023-39325).")
	flag.IntVar(&o.maxConcurrentRecon, "max-concurrent-reconciles", 2, "Objects of one kind reconciled in parallel.")
	flag.DurationVar(&o.arrivalWait, "arrival-wait", controllers.DefaultArrivalWait,
		"The most a contact created with its organization's roster waits for its assignments before its first status (0: no wait).")
	flag.StringVar(&o.approvalAddr, "approval-bind-address", ":8082", "Address of the approval page behind the links in approval emails; 0 disables it.")
	flag.StringVar(&o.approvalBaseURL, "approval-base-url", "http://localhost:8082", "External URL of the approval page, as the links in emails show it.")
	flag.StringVar(&o.approvalProxies, "approval-trusted-proxies", "", "Comma-separated addresses or CIDRs of the reverse proxies in front of the approval page, whose X-Forwarded-For names the client the page rate-limits (default: none, X-Forwarded-For is ignored).")
	flag.StringVar(&o.tokenKeySecret, "token-key-secret", defaultTokenKeySecret(), "namespace/name of the Secret holding the key approval tokens derive from; created when missing.")
	flag.StringVar(&o.operatorUsername, "operator-username", "", "Kubernetes username of the operator, the only writer of status admitted by the webhooks (default: asked of the apiserver with a SelfSubjectReview).")
	zapOpts := zap.Options{Development: false}
	flag.StringVar(&o.allowedCIDRs, "notification-allowed-cidrs", "", "Comma-separated CIDRs (or addresses) that webhooks and SMTP servers may be reached at although loopback, link-local, private or reserved (default: none; public addresses only).")
	flag.StringVar(&o.allowedHosts, "notification-allowed-hosts", "", "Comma-separated host names that webhooks and SMTP servers may be reached at whatever they resolve to, e.g. an internal mail relay (default: none).")
	flag.StringVar(&o.plaintextSMTP, "smtp-plaintext-cidrs", "", "Comma-separated CIDRs where an SMTP server with tls: None may be, besides loopback (default: none; clear text shows the approval secrets to every network in between).")
	flag.StringVar(&o.shardSelector, "shard-namespace-selector", "", "Label selector of the namespaces this replica owns, e.g. roster.dev/shard=eu: it reconciles, caches and serves approvals for those only (default: every namespace). Give each shard its own webhook namespaceSelector and approval URL; see docs/performance.md.")
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	if err := run(o); err != nil {
		ctrl.Log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

// defaultGCPercent is the manager's GOGC when the environment sets none.
const defaultGCPercent = 50

func run(o options) error {
	log := ctrl.Log.WithName("setup")
	// The manager waits on the API server far more than it computes: collecting when the heap has grown
	// by half (Go's default: doubled) keeps its peak memory a third lower for a little CPU. GOGC overrides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	// The cache grows with the fleet: under a container memory limit the heap is bounded at 90% of it
	// (GOMEMLIMIT, or AUTOMEMLIMIT=off, overrides), so that the garbage collector works harder before the
	// pod would be killed.
	if limit, err := memlimit.Set(); err != nil {
		log.Info("no heap limit from the container's memory limit", "reason", err.Error())
	} else if limit != math.MaxInt64 {
		log.Info("heap limited", "GOMEMLIMIT", limit)
	}

	var tlsOpts []func(*tls.Config)
	if !o.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.metricsSecure, TLSOpts: tlsOpts}
	if o.metricsSecure {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	cfg := ctrl.GetConfigOrDie()
	selector, err := shard.Parse(o.shardSelector)
	if err != nil {
		return fmt.Errorf("--shard-namespace-selector: %w", err)
	}
	var owned *shard.Shard
	if selector != nil {
		direct, err := client.New(cfg, client.Options{Scheme: scheme})
		if err != nil {
			return err
		}
		if owned, err = shard.Load(context.Background(), direct, selector); err != nil {
			return err
		}
		log.Info("sharded", "selector", selector.String(), "namespaces", owned.Namespaces)
	}
	mgrOpts := ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsOpts,
		HealthProbeBindAddress:        o.probeAddr,
		PprofBindAddress:              o.pprofAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              shard.LeaderElectionID("roster.dev", selector),
		LeaderElectionNamespace:       o.leaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
	}
	if o.enableWebhooks {
		mgrOpts.WebhookServer = webhook.NewServer(webhook.Options{
			Host: o.webhookHost, Port: o.webhookPort, CertDir: o.webhookCertDir, TLSOpts: tlsOpts,
		})
	}

	controllers.ScopeCache(&mgrOpts, owned)
	mgr, err := ctrl.NewManager(cfg, mgrOpts)
	if err != nil {
		return err
	}
	if owned != nil {
		if err := mgr.Add(&shard.Watcher{Shard: owned, Informers: mgr.GetCache()}); err != nil {
			return err
		}
	}
	ctx := ctrl.SetupSignalHandler()
	keys, err := loadKeys(ctx, mgr, o.tokenKeySecret)
	if err != nil {
		return err
	}
	destinations, err := notify.ParseDestinations(o.allowedCIDRs, o.allowedHosts)
	if err != nil {
		return fmt.Errorf("--notification-allowed-cidrs: %w", err)
	}
	if destinations.PlaintextSMTP, err = netaddr.ParsePrefixes(o.plaintextSMTP, "plaintext SMTP CIDR"); err != nil {
		return fmt.Errorf("--smtp-plaintext-cidrs: %w", err)
	}
	ctrlOpts := controllers.Options{MaxConcurrentReconciles: o.maxConcurrentRecon, ArrivalWait: o.arrivalWait,
		FleetMetricsMaxAge: controllers.DefaultFleetMetricsMaxAge, Keys: keys, ApprovalBaseURL: o.approvalBaseURL,
		Destinations: destinations}
	if err := controllers.Setup(ctx, mgr, ctrlOpts); err != nil {
		return err
	}
	if o.approvalAddr != "0" {
		proxies, err := approvalweb.ParseTrustedProxies(o.approvalProxies)
		if err != nil {
			return fmt.Errorf("--approval-trusted-proxies: %w", err)
		}
		backend := &approvalweb.Backend{Reader: mgr.GetClient(), Client: mgr.GetClient(), Keys: keys,
			Announcer: &controllers.ApprovalAnnouncer{Client: mgr.GetClient(), Deliverer: controllers.NewDeliverer(mgr, ctrlOpts)}}
		addresses := &approvalweb.AddressBackend{Reader: mgr.GetClient(), Client: mgr.GetClient(), Keys: keys}
		reconfirmations := &approvalweb.ReconfirmBackend{Reader: mgr.GetClient(), Client: mgr.GetClient(), Keys: keys}
		page := approvalweb.NewHandlerWithOptions(approvalweb.Pages{Backend: backend, AddressBackend: addresses, ReconfirmBackend: reconfirmations},
			ctrl.Log.WithName("approval-page"), approvalweb.Options{TrustedProxies: proxies})
		if err := mgr.Add(approvalweb.NewServer(o.approvalAddr, page)); err != nil {
			return err
		}
	}

	if o.enableWebhooks {
		username := o.operatorUsername
		if username == "" {
			if username, err = whoAmI(ctx, mgr.GetConfig()); err != nil {
				return err
			}
		}
		log.Info("status writes admitted from the operator only", "operatorUsername", username)
		if err := webhooks.Setup(mgr, webhooks.Options{OperatorUsername: username}); err != nil {
			return err
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	readyCheck := healthz.Ping
	if o.enableWebhooks {
		readyCheck = mgr.GetWebhookServer().StartedChecker()
	}
	if err := mgr.AddReadyzCheck("readyz", readyCheck); err != nil {
		return err
	}

	log.Info("starting manager", "leaderElection", o.leaderElect, "webhooks", o.enableWebhooks)
	return mgr.Start(ctx)
}

// defaultTokenKeySecret keeps the token key next to the operator: in its pod's namespace when it runs in a
// cluster, else roster-system.
func defaultTokenKeySecret() string {
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = "roster-system"
	}
	return ns + "/roster-token-key"
}

// whoAmI asks the apiserver which user the operator's credentials authenticate as (a SelfSubjectReview,
// authentication.k8s.io/v1): the webhooks admit status writes from that user only.
func whoAmI(ctx context.Context, cfg *rest.Config) (string, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("finding the operator's own username with a SelfSubjectReview (or set --operator-username): %w", err)
	}
	if review.Status.UserInfo.Username == "" {
		return "", fmt.Errorf("the apiserver's SelfSubjectReview named no user: set --operator-username")
	}
	return review.Status.UserInfo.Username, nil
}

// loadKeys reads (or creates) the token key, straight from the apiserver: the cache is not started yet.
func loadKeys(ctx context.Context, mgr ctrl.Manager, ref string) (*approval.Keyring, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return nil, fmt.Errorf("--token-key-secret %q: want namespace/name", ref)
	}
	c, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme()})
	if err != nil {
		return nil, err
	}
	return approval.LoadOrCreateKey(ctx, c, types.NamespacedName{Namespace: ns, Name: name})
}
