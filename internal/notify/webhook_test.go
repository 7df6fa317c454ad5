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
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

var webhookKey = []byte("webhook-signing-key-0123456789abcdef")

// webhookRequest is one request the test receiver got.
type webhookRequest struct {
	Method string
	Header http.Header
	Body   []byte
}

// startWebhookReceiver starts an HTTP server that records requests and answers status.
func startWebhookReceiver(t *testing.T, status int) (*httptest.Server, func() []webhookRequest) {
	t.Helper()
	var (
		mu   sync.Mutex
		reqs []webhookRequest
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading body: %v", err)
		}
		mu.Lock()
		reqs = append(reqs, webhookRequest{Method: r.Method, Header: r.Header.Clone(), Body: body})
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "echo "+r.Header.Get(HeaderSignature))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []webhookRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]webhookRequest(nil), reqs...)
	}
}

// verifySignature checks the signature header like a receiver would: HMAC over the raw body.
func verifySignature(key, body []byte, header string) bool {
	sig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

func TestWebhookDelivers(t *testing.T) {
	g := NewWithT(t)
	srv, requests := startWebhookReceiver(t, http.StatusNoContent)
	n := transferNotification()
	w := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL + "/hooks/roster", Key: webhookKey, Timeout: 5 * time.Second})

	g.Expect(w.Notify(context.Background(), n)).To(Succeed())

	reqs := requests()
	g.Expect(reqs).To(HaveLen(1))
	req := reqs[0]
	g.Expect(req.Method).To(Equal(http.MethodPost))
	g.Expect(req.Header.Get("Content-Type")).To(Equal("application/json"))
	g.Expect(req.Header.Get("User-Agent")).To(Equal("roster"))
	g.Expect(req.Header.Get("X-Roster-Delivery")).To(Equal(n.Key))
	g.Expect(req.Header.Get("X-Roster-Event")).To(Equal("TransferRequested"))
	g.Expect(req.Header.Get("X-Roster-Signature")).To(MatchRegexp(`^sha256=[0-9a-f]{64}$`))
	g.Expect(verifySignature(webhookKey, req.Body, req.Header.Get("X-Roster-Signature"))).To(BeTrue())
	g.Expect(verifySignature([]byte("another key"), req.Body, req.Header.Get("X-Roster-Signature"))).To(BeFalse())
	g.Expect(req.Header.Get("X-Roster-Signature")).To(Equal(Sign(webhookKey, req.Body)))

	var p Payload
	g.Expect(json.Unmarshal(req.Body, &p)).To(Succeed())
	g.Expect(p).To(Equal(Payload{
		ID:           n.Key,
		Type:         TransferRequested,
		Organization: "acme",
		Object:       n.Object,
		Recipients:   []string{"alice@example.com", "bob@example.com", "carol@example.com"},
		Facts:        n.Facts,
		OccurredAt:   n.OccurredAt,
	}))

	// The exact field names receivers rely on, and nothing that could carry a token.
	var raw map[string]any
	g.Expect(json.Unmarshal(req.Body, &raw)).To(Succeed())
	g.Expect(raw).To(HaveLen(7))
	for _, k := range []string{"id", "type", "organization", "object", "recipients", "facts", "occurredAt"} {
		g.Expect(raw).To(HaveKey(k))
	}
	g.Expect(raw["occurredAt"]).To(Equal("2026-06-24T09:30:00Z"))
	body := string(req.Body)
	for _, secret := range []string{aliceToken, bobToken, aliceLink, bobLink, "approve.example.com", "Token", "Link", string(webhookKey)} {
		g.Expect(body).NotTo(ContainSubstring(secret))
	}
}

func TestWebhookNeverSendsATokenInFacts(t *testing.T) {
	g := NewWithT(t)
	srv, requests := startWebhookReceiver(t, http.StatusOK)
	n := transferNotification()
	// A fact carrying a token by mistake is dropped, not sent.
	n.Facts = map[string]string{"role": "billing", "note": "approve with " + aliceToken, "url": bobLink}

	g.Expect(NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL, Key: webhookKey}).Notify(context.Background(), n)).To(Succeed())

	body := string(requests()[0].Body)
	g.Expect(body).NotTo(ContainSubstring(aliceToken))
	g.Expect(body).NotTo(ContainSubstring(bobToken))
	var p Payload
	g.Expect(json.Unmarshal([]byte(body), &p)).To(Succeed())
	g.Expect(p.Facts).To(Equal(map[string]string{"role": "billing"}))
}

func TestWebhookNon2xxIsAnError(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			g := NewWithT(t)
			srv, requests := startWebhookReceiver(t, status)
			w := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL, Key: webhookKey})

			err := w.Notify(context.Background(), transferNotification())

			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(`webhook "audit"`))
			g.Expect(err.Error()).To(ContainSubstring(http.StatusText(status)))
			g.Expect(err.Error()).NotTo(ContainSubstring(string(webhookKey)))
			g.Expect(err.Error()).NotTo(ContainSubstring(hex.EncodeToString(webhookKey)))
			var se *WebhookStatusError
			g.Expect(err).To(BeAssignableToTypeOf(se))
			g.Expect(err.(*WebhookStatusError).StatusCode).To(Equal(status))
			g.Expect(requests()).To(HaveLen(1))
		})
	}
}

func TestWebhookTransportError(t *testing.T) {
	g := NewWithT(t)
	srv, _ := startWebhookReceiver(t, http.StatusOK)
	url := srv.URL + "/hook?access_token=query-secret"
	srv.Close()

	err := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: url, Key: webhookKey, Timeout: 2 * time.Second}).
		Notify(context.Background(), transferNotification())

	g.Expect(err).To(MatchError(ContainSubstring(`webhook "audit"`)))
	g.Expect(err.Error()).NotTo(ContainSubstring("query-secret"))
	g.Expect(err.Error()).NotTo(ContainSubstring(string(webhookKey)))
}

func TestWebhookTimeout(t *testing.T) {
	g := NewWithT(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	err := NewWebhookNotifier(WebhookConfig{Name: "slow", URL: srv.URL, Key: webhookKey, Timeout: 100 * time.Millisecond, Client: srv.Client()}).
		Notify(context.Background(), transferNotification())

	g.Expect(err).To(MatchError(context.DeadlineExceeded))
	g.Expect(err.Error()).To(ContainSubstring(`webhook "slow"`))
}

func TestWebhookRequiresAKey(t *testing.T) {
	g := NewWithT(t)
	srv, requests := startWebhookReceiver(t, http.StatusOK)

	err := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL}).Notify(context.Background(), transferNotification())

	g.Expect(err).To(MatchError(ContainSubstring("no signing key")))
	g.Expect(requests()).To(BeEmpty())
}

func TestSign(t *testing.T) {
	g := NewWithT(t)
	// RFC 4231, test case 2.
	g.Expect(Sign([]byte("Jefe"), []byte("what do ya want for nothing?"))).
		To(Equal("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
}
