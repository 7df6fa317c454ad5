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
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// loopback lets the tests reach their local servers, which the default destinations refuse.
var loopback = &Destinations{AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

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

// verify checks a delivery as a receiver would, with the Standard Webhooks project's own Go library (its
// raw-key form: our Secret's "key").
func verify(key []byte, req webhookRequest) error {
	wh, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return err
	}
	return wh.Verify(req.Body, req.Header)
}

func TestWebhookDelivers(t *testing.T) {
	g := NewWithT(t)
	srv, requests := startWebhookReceiver(t, http.StatusNoContent)
	n := transferNotification()
	w := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL + "/hooks/roster", Keys: [][]byte{webhookKey}, Dial: loopback.DialContext, Timeout: 5 * time.Second})

	g.Expect(w.Notify(context.Background(), n)).To(Succeed())

	reqs := requests()
	g.Expect(reqs).To(HaveLen(1))
	req := reqs[0]
	g.Expect(req.Method).To(Equal(http.MethodPost))
	g.Expect(req.Header.Get("Content-Type")).To(Equal("application/json"))
	g.Expect(req.Header.Get("User-Agent")).To(Equal("roster"))
	g.Expect(req.Header.Get("X-Roster-Delivery")).To(Equal(n.Key))
	g.Expect(req.Header.Get("X-Roster-Event")).To(Equal("TransferRequested"))
	g.Expect(req.Header.Get("webhook-id")).To(Equal(n.Key))
	g.Expect(req.Header.Get("webhook-timestamp")).To(MatchRegexp(`^[0-9]{10}$`))
	g.Expect(req.Header.Get("webhook-signature")).To(MatchRegexp(`^v1,[A-Za-z0-9+/]{43}=$`))
	g.Expect(verify(webhookKey, req)).To(Succeed(), "the Standard Webhooks library accepts it")
	g.Expect(verify([]byte("another-key-of-at-least-32-bytes!!"), req)).NotTo(Succeed())
	tampered := req
	tampered.Body = append([]byte(nil), req.Body...)
	tampered.Body[len(tampered.Body)-2] ^= 1
	g.Expect(verify(webhookKey, tampered)).NotTo(Succeed(), "the body is signed")
	replayed := req
	replayed.Header = req.Header.Clone()
	ts, err := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	g.Expect(err).NotTo(HaveOccurred())
	replayed.Header.Set("webhook-timestamp", fmt.Sprint(ts-1))
	g.Expect(verify(webhookKey, replayed)).NotTo(Succeed(), "the timestamp is signed: it cannot be moved to replay a message")

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

	g.Expect(NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL, Keys: [][]byte{webhookKey}, Dial: loopback.DialContext}).Notify(context.Background(), n)).To(Succeed())

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
			w := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL, Keys: [][]byte{webhookKey}, Dial: loopback.DialContext})

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

	err := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: url, Keys: [][]byte{webhookKey}, Dial: loopback.DialContext, Timeout: 2 * time.Second}).
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

	err := NewWebhookNotifier(WebhookConfig{Name: "slow", URL: srv.URL, Keys: [][]byte{webhookKey}, Dial: loopback.DialContext, Timeout: 100 * time.Millisecond, Client: srv.Client()}).
		Notify(context.Background(), transferNotification())

	g.Expect(err).To(MatchError(context.DeadlineExceeded))
	g.Expect(err.Error()).To(ContainSubstring(`webhook "slow"`))
}

func TestWebhookRequiresAKey(t *testing.T) {
	g := NewWithT(t)
	srv, requests := startWebhookReceiver(t, http.StatusOK)

	err := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL, Dial: loopback.DialContext}).Notify(context.Background(), transferNotification())

	g.Expect(err).To(MatchError(ContainSubstring("no signing key")))
	g.Expect(requests()).To(BeEmpty())
}

func TestSignMatchesTheStandardWebhooksLibrary(t *testing.T) {
	g := NewWithT(t)
	at := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id":"k"}`)
	wh, err := standardwebhooks.NewWebhookRaw(webhookKey)
	g.Expect(err).NotTo(HaveOccurred())
	want, err := wh.Sign("msg_1", at, body)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(Sign([][]byte{webhookKey}, "msg_1", at, body)).To(Equal(want))
}

func TestWebhookKeyRotationSignsWithBothKeys(t *testing.T) {
	g := NewWithT(t)
	srv, requests := startWebhookReceiver(t, http.StatusOK)
	oldKey := []byte("the-previous-key-of-at-least-32-bytes")
	w := NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL, Keys: [][]byte{webhookKey, oldKey}, Dial: loopback.DialContext})

	g.Expect(w.Notify(context.Background(), transferNotification())).To(Succeed())

	req := requests()[0]
	g.Expect(strings.Fields(req.Header.Get("webhook-signature"))).To(HaveLen(2))
	g.Expect(verify(webhookKey, req)).To(Succeed(), "a receiver that moved to the new key")
	g.Expect(verify(oldKey, req)).To(Succeed(), "a receiver still on the previous key")
}

func TestParseWebhookKey(t *testing.T) {
	random := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		name    string
		raw     string
		want    []byte
		wantErr string
	}{
		{"raw bytes", string(random), random, ""},
		{"whsec form", "whsec_" + base64.StdEncoding.EncodeToString(random), random, ""},
		{"whsec form with a newline from a file", "whsec_" + base64.StdEncoding.EncodeToString(random) + "\n", random, ""},
		{"too short", "hmac-key", nil, "the key has 8 bytes, at least 32"},
		{"whsec too short", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short")), nil, "the key has 5 bytes"},
		{"whsec not base64", "whsec_!!!", nil, "standard base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := ParseWebhookKey([]byte(tc.raw))
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				g.Expect(err.Error()).NotTo(ContainSubstring(tc.raw))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
			wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString(got))
			g.Expect(err).NotTo(HaveOccurred())
			sig, _ := wh.Sign("id", time.Unix(1, 0), []byte("b"))
			g.Expect(Sign([][]byte{got}, "id", time.Unix(1, 0), []byte("b"))).To(Equal(sig))
		})
	}
}

func TestWebhookIDIsHeaderSafe(t *testing.T) {
	g := NewWithT(t)
	srv, requests := startWebhookReceiver(t, http.StatusOK)
	n := transferNotification()
	n.Key = "org-uid/Notice/line\nbreak%20"

	g.Expect(NewWebhookNotifier(WebhookConfig{Name: "audit", URL: srv.URL, Keys: [][]byte{webhookKey}, Dial: loopback.DialContext}).
		Notify(context.Background(), n)).To(Succeed())

	req := requests()[0]
	g.Expect(req.Header.Get("webhook-id")).To(Equal("org-uid/Notice/line%0Abreak%2520"))
	g.Expect(verify(webhookKey, req)).To(Succeed())
}
