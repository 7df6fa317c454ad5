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

package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/netaddr"
	"roster.dev/roster/internal/notify/smtptest"
)

func TestDestinationsAllowsAddr(t *testing.T) {
	company, _ := ParseDestinations("10.20.0.0/16, 192.168.1.7", "")
	for _, tc := range []struct {
		addr    string
		d       *Destinations
		allowed bool
	}{
		{"93.184.216.34", nil, true},
		{"2606:2800:220:1:248:1893:25c8:1946", nil, true},
		{"127.0.0.1", nil, false},
		{"127.1.2.3", nil, false},
		{"::1", nil, false},
		{"::ffff:127.0.0.1", nil, false},
		{"169.254.169.254", nil, false},
		{"fe80::1", nil, false},
		{"10.96.0.1", nil, false},
		{"172.16.5.4", nil, false},
		{"192.168.1.7", nil, false},
		{"100.64.0.1", nil, false},
		{"0.0.0.0", nil, false},
		{"::", nil, false},
		{"fd00::1", nil, false},
		{"224.0.0.1", nil, false},
		{"::1%lo", nil, false},
		{"fe80::1%eth0", nil, false},
		{"fd00:ec2::254%eth0", nil, false},
		{"::7f00:1", nil, false},
		{"2002:7f00:1::", nil, false},
		{"64:ff9b::a9fe:a9fe", nil, false},
		{"192.0.2.10", nil, false},
		{"10.20.3.4", company, true},
		{"10.21.3.4", company, false},
		{"192.168.1.7", company, true},
		{"192.168.1.8", company, false},
		{"127.0.0.1", company, false},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.addr, tc.d != nil), func(t *testing.T) {
			if got := tc.d.AllowsAddr(netip.MustParseAddr(tc.addr)); got != tc.allowed {
				t.Errorf("AllowsAddr(%s) = %v, want %v", tc.addr, got, tc.allowed)
			}
		})
	}
}

func TestParseDestinationsRefusesNonsense(t *testing.T) {
	_, err := ParseDestinations("10.0.0.0/33", "")
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring(`allowed CIDR "10.0.0.0/33"`)))
}

func TestWebhookToASpecialAddressIsNotAllowedByDefault(t *testing.T) {
	srv, requests := startWebhookReceiver(t, http.StatusOK)
	metadata := "http://169.254.169.254/latest/meta-data/"
	zoned := strings.Replace(srv.URL, "127.0.0.1", "[::1%25lo]", 1)
	for _, url := range []string{srv.URL, metadata, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), zoned} {
		t.Run(url, func(t *testing.T) {
			g := NewWithT(t)
			err := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: url, Keys: [][]byte{webhookKey}, Timeout: 2 * time.Second}).
				Notify(context.Background(), transferNotification())
			g.Expect(err).To(MatchError(ErrDestinationNotAllowed))
			g.Expect(Describe(err)).To(Equal("DestinationNotAllowed"))
		})
	}
	NewWithT(t).Expect(requests()).To(BeEmpty())

	t.Run("a host on the allow-list", func(t *testing.T) {
		g := NewWithT(t)
		hosts, err := ParseDestinations("", "LOCALHOST")
		g.Expect(err).NotTo(HaveOccurred())
		err = NewWebhookNotifier(WebhookConfig{Name: "audit", URL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1),
			Keys: [][]byte{webhookKey}, Dial: hosts.DialContext}).Notify(context.Background(), transferNotification())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(requests()).To(HaveLen(1))
	})
}

func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	g := NewWithT(t)
	target, reached := startWebhookReceiver(t, http.StatusOK)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/internal", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()

	err := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: redirector.URL, Keys: [][]byte{webhookKey}, Dial: loopback.DialContext}).
		Notify(context.Background(), transferNotification())

	g.Expect(err).To(HaveOccurred())
	g.Expect(Describe(err)).To(Equal("HTTP 3xx (redirects are not followed)"))
	g.Expect(reached()).To(BeEmpty(), "the body and its signature went nowhere else")
}

func TestEmailToASpecialAddressIsNotAllowedByDefault(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
	cfg := SMTPConfig{Host: srv.Host(), Port: srv.Port(), From: "roster@example.com", TLS: v1alpha1.SMTPTLSNone, Timeout: 2 * time.Second}

	err := NewEmailNotifier(cfg).Notify(context.Background(), transferNotification())

	g.Expect(Describe(err)).To(Equal("DestinationNotAllowed"))
	g.Expect(srv.Messages()).To(BeEmpty())
}

func TestDescribeShowsClassesNotDetails(t *testing.T) {
	dial := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 6443}, Err: err}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{dial(&os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}), "Refused"},
		{dial(&os.SyscallError{Syscall: "connect", Err: syscall.EHOSTUNREACH}), "Unreachable"},
		{fmt.Errorf("webhook: %w", context.DeadlineExceeded), "Timeout"},
		{&net.DNSError{Err: "no such host", Name: "hooks.internal", IsNotFound: true}, "DNS"},
		{errors.New("TLS handshake: x509: certificate signed by unknown authority"), "TLS"},
		{&WebhookStatusError{Webhook: "audit", StatusCode: 503}, "HTTP 5xx"},
		{&WebhookStatusError{Webhook: "audit", StatusCode: 404}, "HTTP 4xx"},
		{&ConfigError{Err: errors.New(`secret "audit" has no data key "key" to sign with`)}, `Config: secret "audit" has no data key "key" to sign with`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			g := NewWithT(t)
			got := Describe(tc.err)
			g.Expect(got).To(Equal(tc.want))
			g.Expect(got).NotTo(ContainSubstring("10.0.0.7"), "no address of the network")
		})
	}
}

func TestPlaintextSMTPOnlyToLoopbackUnlessAllowed(t *testing.T) {
	relay, err := netaddr.ParsePrefixes("10.1.2.0/24", "relay")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	for _, tc := range []struct {
		addr    string
		d       *Destinations
		allowed bool
	}{
		{"127.0.0.1", nil, true},
		{"::1", nil, true},
		{"10.1.2.3", nil, false},
		{"93.184.216.34", nil, false},
		{"10.1.2.3", &Destinations{PlaintextSMTP: relay}, true},
		{"10.1.3.3", &Destinations{PlaintextSMTP: relay}, false},
	} {
		if got := tc.d.AllowsPlaintextSMTP(netip.MustParseAddr(tc.addr)); got != tc.allowed {
			t.Errorf("AllowsPlaintextSMTP(%s) = %v, want %v", tc.addr, got, tc.allowed)
		}
	}

	t.Run("the connection is refused before anything is sent", func(t *testing.T) {
		g := NewWithT(t)
		srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
		cfg := smtpConfig(srv)
		cfg.AllowPlaintext = func(netip.Addr) bool { return false } // as for a server on another host

		err := NewEmailNotifier(cfg).Notify(context.Background(), transferNotification())

		g.Expect(Describe(err)).To(Equal("PlaintextNotAllowed"))
		g.Expect(srv.Messages()).To(BeEmpty())
	})
}

func TestDescribeARefusedRecipient(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSNone, RejectRcpt: []string{"bob@example.com"}})
	err := NewEmailNotifier(smtpConfig(srv)).Notify(context.Background(), transferNotification())
	g.Expect(Describe(err)).To(Equal("SMTP 5xx"))
}
