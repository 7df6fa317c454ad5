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

// Command localcluster runs Roster on a laptop that has no cluster: it is what
// `make run` uses when no kubeconfig is configured.
//
// It starts a local control plane (etcd + kube-apiserver, the binaries found
// through KUBEBUILDER_ASSETS, e.g. bin/k8s) with envtest, keeping etcd's data in
// <dir>/etcd so that a restart loses nothing; installs the CRDs from
// config/crd/bases and the webhook configurations from
// config/webhook/manifests.yaml (pointed at the local manager, and skipping the
// manager's own writes as config/default does in a cluster); writes an admin
// kubeconfig to <dir>/kubeconfig; creates the namespace roster-system, where
// the manager keeps its approval token key (the Secret roster-token-key, which
// the manager creates on first start); starts a local mail server on
// 127.0.0.1:2525 (internal/localmail: each message kept in <dir>/mail, its
// recipients, subject and links printed); then runs the manager binary in the
// foreground against it, its approval page on 127.0.0.1:18082. Ctrl-C (or
// SIGTERM) stops the manager, then the mail server and the control plane.
// Deleting <dir> wipes the data.
//
//	KUBEBUILDER_ASSETS=bin/k8s go run ./hack/localcluster --dir bin/local --manager bin/manager [-- manager flags...]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"roster.dev/roster/internal/localmail"
)

const (
	crdDir          = "config/crd/bases"
	webhookManifest = "config/webhook/manifests.yaml"
	contextName     = "roster-local"

	// The manager keeps the key its approval tokens derive from in this Secret
	// (it creates the Secret on first start, but not the namespace).
	tokenKeyNamespace = "roster-system"
	tokenKeySecret    = tokenKeyNamespace + "/roster-token-key"

	managerStopTimeout = 20 * time.Second
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("localcluster: ")
	os.Exit(run())
}

func run() int {
	dirFlag := flag.String("dir", "bin/local", "directory for the control plane's data, certificates, logs and kubeconfig")
	manager := flag.String("manager", "bin/manager", "manager binary to run against the local control plane")
	apiPort := flag.Int("apiserver-port", 16443, "kube-apiserver port on 127.0.0.1")
	webhookPort := flag.Int("webhook-port", 19443, "port on 127.0.0.1 the manager serves webhooks on")
	metricsPort := flag.Int("metrics-port", 18080, "port on 127.0.0.1 the manager serves metrics on (HTTPS)")
	healthPort := flag.Int("health-port", 18081, "port on 127.0.0.1 the manager serves /healthz and /readyz on")
	approvalPort := flag.Int("approval-port", 18082, "port on 127.0.0.1 the manager serves the approval page on")
	mailPort := flag.Int("mail-port", 2525, "port on 127.0.0.1 of the local mail server (no TLS, no authentication); 0 runs none")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: %s [flags] [-- manager flags...]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	extraArgs := flag.Args()
	local := func(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	addrs := managerAddrs{
		webhookPort: *webhookPort,
		metrics:     local(*metricsPort),
		health:      local(*healthPort),
		approval:    local(*approvalPort),
	}

	// Catch signals from the start: a Ctrl-C while the control plane comes up
	// must still stop it.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)

	dir, err := filepath.Abs(*dirFlag)
	if err != nil {
		log.Print(err)
		return 1
	}
	if st, err := os.Stat(*manager); err != nil || st.IsDir() {
		log.Printf("manager binary %s not found; build it with `go build -o %s .`", *manager, *manager)
		return 1
	}
	etcdDir := filepath.Join(dir, "etcd")
	apiDir := filepath.Join(dir, "apiserver")
	certDir := filepath.Join(dir, "webhook-certs")
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.MkdirAll(etcdDir, 0o700); err != nil {
		log.Print(err)
		return 1
	}

	// One launcher per directory; anything still pointing at it is left over
	// from a run that was killed, and gets stopped.
	unlock, err := lockDir(dir)
	if err != nil {
		log.Print(err)
		return 1
	}
	defer unlock()
	if err := stopStale(
		"--webhook-cert-dir="+certDir, // manager
		"--cert-dir="+apiDir,          // kube-apiserver
		"--data-dir="+etcdDir,         // etcd
	); err != nil {
		log.Print(err)
		return 1
	}
	for _, p := range []struct {
		addr, what string
	}{
		{local(*apiPort), "kube-apiserver (--apiserver-port)"},
		{local(*webhookPort), "webhooks (--webhook-port)"},
		{addrs.metrics, "manager metrics (--metrics-port)"},
		{addrs.health, "manager health probes (--health-port)"},
		{addrs.approval, "approval page (--approval-port)"},
	} {
		if err := portFree(p.addr); err != nil {
			log.Printf("%s for %s is taken (another `make run` or operator running?): %v", p.addr, p.what, err)
			return 1
		}
	}
	// The apiserver's serving certificates and the webhook certificates are
	// regenerated on each run (envtest only returns the CA of certificates it
	// generates); only etcd's data is kept.
	for _, d := range []string{apiDir, certDir} {
		if err := os.RemoveAll(d); err != nil {
			log.Print(err)
			return 1
		}
		if err := os.MkdirAll(d, 0o700); err != nil {
			log.Print(err)
			return 1
		}
	}
	if _, err := os.Stat(webhookManifest); err != nil {
		log.Printf("no %s; installing no webhooks", webhookManifest)
	}

	// envtest logs its retries and errors through controller-runtime's logger.
	ctrllog.SetLogger(funcr.New(func(prefix, args string) {
		log.Printf("envtest: %s %s", prefix, args)
	}, funcr.Options{}))

	env, logs, err := newEnv(dir, etcdDir, apiDir, *apiPort, *webhookPort)
	if err != nil {
		log.Print(err)
		return 1
	}
	defer logs.Close()
	log.Printf("starting etcd and kube-apiserver (logs in %s, %s)", logs.etcd.Name(), logs.api.Name())
	started := make(chan error, 1)
	go func() { _, err := env.Start(); started <- err }()
	select {
	case err = <-started:
	case sig := <-sigs:
		log.Printf("got %v; stopping once the control plane has started", sig)
		<-started
		stopEnv(env)
		return 0
	}
	if err != nil {
		log.Printf("starting the control plane: %v", err)
		log.Printf("see %s and %s", logs.etcd.Name(), logs.api.Name())
		stopEnv(env)
		return 1
	}

	version, err := setUp(env, kubeconfig, certDir)
	if err != nil {
		log.Print(err)
		stopEnv(env)
		return 1
	}
	mail := startMail(*mailPort, filepath.Join(*dirFlag, "mail"))
	printUsage(*dirFlag, version, addrs.approvalURL(), mail)

	code := runManager(*manager, extraArgs, kubeconfig, certDir, addrs, sigs)
	if mail.server != nil {
		if err := mail.server.Close(); err != nil {
			log.Printf("local mail server: %v", err)
		}
	}
	stopEnv(env)
	return code
}

// localMail is the local mail server, or why there is none.
type localMail struct {
	addr, dir string
	server    *localmail.Server // nil when none runs
	why       string            // why none runs
}

// startMail starts the local mail server on 127.0.0.1:port, keeping the messages in dir. A port already in
// use is no reason to stop: the launcher says so and goes on without it.
func startMail(port int, dir string) localMail {
	m := localMail{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: displayPath(dir)}
	if port == 0 {
		m.why = "--mail-port=0"
		return m
	}
	s, err := localmail.Start(m.addr, dir, os.Stdout)
	if err != nil {
		m.why = fmt.Sprintf("%s is taken (another `make run`, or a mail catcher of your own?): %v", m.addr, err)
		log.Printf("no local mail server: %s; --mail-port moves it", m.why)
		return m
	}
	m.server = s
	return m
}

// logFiles holds the control plane's output, kept in the data directory.
type logFiles struct{ etcd, api *os.File }

func (l logFiles) Close() {
	l.etcd.Close()
	l.api.Close()
}

func newEnv(dir, etcdDir, apiDir string, apiPort, webhookPort int) (*envtest.Environment, logFiles, error) {
	etcdLog, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		return nil, logFiles{}, err
	}
	apiLog, err := os.Create(filepath.Join(dir, "kube-apiserver.log"))
	if err != nil {
		etcdLog.Close()
		return nil, logFiles{}, err
	}

	// A DataDir (and CertDir) we set is ours: envtest only deletes the
	// directories it created itself.
	etcd := &envtest.Etcd{DataDir: etcdDir, Out: etcdLog, Err: etcdLog}
	// envtest turns fsync off for speed; this data is meant to last.
	etcd.Configure().Set("unsafe-no-fsync", "false")
	api := &envtest.APIServer{CertDir: apiDir, Out: apiLog, Err: apiLog}
	api.SecureServing.Address = "127.0.0.1"
	api.SecureServing.Port = strconv.Itoa(apiPort)

	env := &envtest.Environment{
		ControlPlane: envtest.ControlPlane{Etcd: etcd, APIServer: api},
		// Used when KUBEBUILDER_ASSETS is not set.
		BinaryAssetsDirectory:    "bin/k8s",
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  20 * time.Second,
		CRDInstallOptions:        envtest.CRDInstallOptions{Paths: []string{crdDir}},
		ErrorIfCRDPathMissing:    true,
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			LocalServingHost: "127.0.0.1",
			LocalServingPort: webhookPort,
		},
	}
	if _, err := os.Stat(webhookManifest); err == nil {
		wo := &env.WebhookInstallOptions
		if wo.MutatingWebhooks, wo.ValidatingWebhooks, err = readWebhooks(webhookManifest); err != nil {
			logFiles{etcdLog, apiLog}.Close()
			return nil, logFiles{}, err
		}
	}
	return env, logFiles{etcdLog, apiLog}, nil
}

// setUp writes the kubeconfig, copies the webhook serving certificate where
// the manager will read it, creates the namespace of the token key, and
// returns the API server's version.
func setUp(env *envtest.Environment, kubeconfig, certDir string) (string, error) {
	// envtest writes the webhook certificate to a temporary directory of its
	// own (removed by Stop); give the manager a stable path.
	for _, f := range []string{"tls.crt", "tls.key"} {
		data, err := os.ReadFile(filepath.Join(env.WebhookInstallOptions.LocalServingCertDir, f))
		if err != nil {
			return "", fmt.Errorf("reading the webhook certificate: %w", err)
		}
		if err := os.WriteFile(filepath.Join(certDir, f), data, 0o600); err != nil {
			return "", err
		}
	}

	user, err := writeKubeconfig(env, "admin", kubeconfig)
	if err != nil {
		return "", err
	}
	// The manager runs as a user of its own, as it runs under its own ServiceAccount in a cluster: the
	// status of the Roster kinds is written by the operator only, so the admin's writes are refused.
	if _, err := writeKubeconfig(env, operatorUser, operatorKubeconfig(kubeconfig)); err != nil {
		return "", err
	}

	dc, err := discovery.NewDiscoveryClientForConfig(user.Config())
	if err != nil {
		return "", err
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("asking the API server its version: %w", err)
	}

	cs, err := kubernetes.NewForConfig(user.Config())
	if err != nil {
		return "", err
	}
	if err := ensureNamespace(cs, tokenKeyNamespace); err != nil {
		return "", err
	}
	return v.GitVersion, nil
}

// operatorUser is the Kubernetes user the local manager runs as.
const operatorUser = "roster-operator"

// operatorKubeconfig is where the manager's own kubeconfig lives, next to the admin's.
func operatorKubeconfig(kubeconfig string) string {
	return filepath.Join(filepath.Dir(kubeconfig), "operator.kubeconfig")
}

// writeKubeconfig provisions a cluster-admin user called name and writes its kubeconfig to path.
func writeKubeconfig(env *envtest.Environment, name, path string) (*envtest.AuthenticatedUser, error) {
	user, err := env.AddUser(envtest.User{Name: name, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("provisioning the user %s: %w", name, err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.Load(raw)
	if err != nil {
		return nil, err
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	cluster, authInfo := cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo]
	ctx.Cluster, ctx.AuthInfo, ctx.Namespace = contextName, contextName+"-"+name, "default"
	cfg.Clusters = map[string]*clientcmdapi.Cluster{ctx.Cluster: cluster}
	cfg.AuthInfos = map[string]*clientcmdapi.AuthInfo{ctx.AuthInfo: authInfo}
	cfg.Contexts = map[string]*clientcmdapi.Context{contextName: ctx}
	cfg.CurrentContext = contextName
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return user, nil
}

// ensureNamespace creates the namespace name unless it exists (it does after
// the first run: etcd's data is kept).
func ensureNamespace(cs kubernetes.Interface, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the namespace %s (it holds the approval token key): %w", name, err)
	}
	return nil
}

// displayPath shows a path relative to the working directory when it is below it (the Makefile passes
// absolute paths).
func displayPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
				return rel
			}
		}
	}
	return path
}

func printUsage(dir, version, approvalURL string, mail localMail) {
	dir = displayPath(dir)
	mailText := fmt.Sprintf(`Mail: an SMTP server on %s keeps each message in %s/
  and prints its recipient, subject and links here. Point an organization at it:
  kubectl patch organization <name> --type merge -p '{"spec":{"notifications":{"email":{"smtp":{"host":"127.0.0.1","port":%s,"from":"roster@example.com","tls":"None"}}}}}'`,
		mail.addr, mail.dir, mail.addr[strings.LastIndex(mail.addr, ":")+1:])
	if mail.server == nil {
		mailText = "Mail: no local mail server (" + mail.why + ")."
	}
	fmt.Fprintf(os.Stderr, `
Local control plane ready (Kubernetes %s), data in %s/.
In another shell:
  export KUBECONFIG=%s
  kubectl apply -f config/samples/
  kubectl get roster -A
%s
Approval page: %s/approve/<transfer-uid>?token=...
  (the link comes in the approval emails, with a code for
  kubectl annotate -n <namespace> contacttransfer <transfer> roster.dev/approve=<code>)
Stop with Ctrl-C; `+"`make clean-local`"+` wipes the data.

`, version, dir, filepath.Join(dir, "kubeconfig"), mailText, approvalURL)
}

// managerAddrs are where the manager serves, all on 127.0.0.1.
type managerAddrs struct {
	webhookPort               int
	metrics, health, approval string // host:port
}

// approvalURL is the approval page's URL, as the links in the emails show it.
func (a managerAddrs) approvalURL() string { return "http://" + a.approval }

// runManager runs the manager in the foreground until it exits or a signal
// comes, and returns the launcher's exit code. The manager flags in extra come
// last, so they override the launcher's.
func runManager(path string, extra []string, kubeconfig, certDir string, addrs managerAddrs, sigs <-chan os.Signal) int {
	args := append([]string{
		"--webhook-host=127.0.0.1",
		"--webhook-port=" + strconv.Itoa(addrs.webhookPort),
		"--webhook-cert-dir=" + certDir,
		"--metrics-bind-address=" + addrs.metrics,
		"--health-probe-bind-address=" + addrs.health,
		"--approval-bind-address=" + addrs.approval,
		"--approval-base-url=" + addrs.approvalURL(),
		// Explicit, so that a POD_NAMESPACE in the environment does not move it
		// out of the namespace created above.
		"--token-key-secret=" + tokenKeySecret,
		// Local mail catchers and webhook receivers listen on this machine.
		"--notification-allowed-cidrs=127.0.0.0/8,::1/128",
	}, extra...)
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+operatorKubeconfig(kubeconfig))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// Its own process group: a terminal's Ctrl-C reaches only us, and the
	// manager gets the signal exactly once, from us (controller-runtime exits
	// at once on a second one).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log.Printf("running %s %s", path, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		log.Printf("starting the manager: %v", err)
		return 1
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()

	select {
	case <-done:
		code := cmd.ProcessState.ExitCode()
		if code < 0 { // killed by a signal
			code = 1
		}
		log.Printf("manager exited (%v)", cmd.ProcessState)
		return code
	case sig := <-sigs:
		log.Printf("got %v; stopping the manager", sig)
		_ = cmd.Process.Signal(sig)
		select {
		case <-done:
		case <-time.After(managerStopTimeout):
			log.Printf("manager still running after %v; killing it", managerStopTimeout)
			_ = cmd.Process.Kill()
			<-done
		}
		return 0
	}
}

func stopEnv(env *envtest.Environment) {
	log.Print("stopping the control plane")
	if err := env.Stop(); err != nil {
		log.Printf("stopping the control plane: %v", err)
	}
}

func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}
