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

package approvalweb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	. "github.com/onsi/gomega"

	"roster.dev/roster/api/v1alpha1"
)

const (
	testNS    = "acme"
	testName  = "billing-to-bob"
	goodToken = "s3cr3t-T0ken_abcdefghijklmnop"
)

type call struct {
	Op, Namespace, Name, Token string
	Decision                   v1alpha1.Decision
}

// fakeDecider knows one transfer and one token; err, when set, is returned for the right token.
type fakeDecider struct {
	mu    sync.Mutex
	view  View
	err   error
	calls []call
}

func (f *fakeDecider) record(c call) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.calls
}

func (f *fakeDecider) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeDecider) check(namespace, name, token string) error {
	if namespace != testNS || name != testName || token != goodToken {
		return ErrInvalidToken
	}
	return f.err
}

func (f *fakeDecider) View(_ context.Context, namespace, name, token string) (View, error) {
	f.record(call{Op: "View", Namespace: namespace, Name: name, Token: token})
	if err := f.check(namespace, name, token); err != nil {
		return View{}, err
	}
	return f.view, nil
}

func (f *fakeDecider) Decide(_ context.Context, namespace, name, token string, d v1alpha1.Decision) (View, error) {
	f.record(call{Op: "Decide", Namespace: namespace, Name: name, Token: token, Decision: d})
	if err := f.check(namespace, name, token); err != nil {
		return View{}, err
	}
	v := f.view
	v.Decision = d
	return v, nil
}

func sampleView(locale string) View {
	return View{
		Namespace:    testNS,
		Name:         testName,
		Organization: "ACME <Corp>",
		Role:         "billing",
		Scope:        "eu-west",
		From:         "Alice Martin",
		To:           "Bob Durand",
		RequestedBy:  "Carol Admin",
		Reason:       "Alice leaves the company",
		Party:        "Bob Durand",
		Locale:       locale,
		ExpiresAt:    time.Date(2026, time.August, 14, 9, 30, 0, 0, time.UTC),
	}
}

func newTestServer(t *testing.T, f *fakeDecider, log logr.Logger) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewHandler(f, log))
	t.Cleanup(srv.Close)
	return srv
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

func do(g *WithT, req *http.Request) (*http.Response, string) {
	resp, err := noRedirect.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return resp, string(body)
}

func get(g *WithT, u string) (*http.Response, string) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	g.Expect(err).NotTo(HaveOccurred())
	return do(g, req)
}

func post(g *WithT, u string, form url.Values) (*http.Response, string) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(g, req)
}

func pageURL(base string) string { return base + "/approve/" + testNS + "/" + testName }

func expectSecurityHeaders(g *WithT, resp *http.Response) {
	g.Expect(resp.Header.Get("Content-Security-Policy")).To(Equal(
		"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"))
	g.Expect(resp.Header.Get("X-Frame-Options")).To(Equal("DENY"))
	g.Expect(resp.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
	g.Expect(resp.Header.Get("Referrer-Policy")).To(Equal("no-referrer"))
	g.Expect(resp.Header.Get("Cache-Control")).To(Equal("no-store"))
	g.Expect(resp.Header.Get("Content-Type")).To(Equal("text/html; charset=utf-8"))
}

func TestGetValidTokenShowsTransferInEnglish(t *testing.T) {
	g := NewWithT(t)
	f := &fakeDecider{view: sampleView("en")}
	srv := newTestServer(t, f, logr.Discard())

	resp, body := get(g, Link(srv.URL, testNS, testName, goodToken))
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	expectSecurityHeaders(g, resp)
	g.Expect(body).To(ContainSubstring(`<html lang="en">`))
	g.Expect(body).To(ContainSubstring("ACME &lt;Corp&gt;"), "values are HTML-escaped")
	g.Expect(body).To(ContainSubstring("billing"))
	g.Expect(body).To(ContainSubstring("eu-west"))
	g.Expect(body).To(ContainSubstring("Alice Martin"))
	g.Expect(body).To(ContainSubstring("Bob Durand"))
	g.Expect(body).To(ContainSubstring("Carol Admin"))
	g.Expect(body).To(ContainSubstring("Alice leaves the company"))
	g.Expect(body).To(ContainSubstring("14 August 2026 at 09:30 UTC"))
	g.Expect(body).To(ContainSubstring(`datetime="2026-08-14T09:30:00Z"`))
	g.Expect(body).To(ContainSubstring(`<form method="post" action="./` + testName + `">`))
	g.Expect(body).To(ContainSubstring(`<input type="hidden" name="token" value="` + goodToken + `">`))
	g.Expect(body).To(ContainSubstring(`name="decision" value="Approved">Approve</button>`))
	g.Expect(body).To(ContainSubstring(`name="decision" value="Refused">Refuse</button>`))
	g.Expect(strings.ToLower(body)).NotTo(ContainSubstring("<script"))
	g.Expect(f.Calls()).To(Equal([]call{{Op: "View", Namespace: testNS, Name: testName, Token: goodToken}}))
}

func TestGetValidTokenShowsTransferInFrench(t *testing.T) {
	g := NewWithT(t)
	v := sampleView("fr")
	v.From, v.Scope = "", ""
	f := &fakeDecider{view: v}
	srv := newTestServer(t, f, logr.Discard())

	resp, body := get(g, Link(srv.URL, testNS, testName, goodToken))
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring(`<html lang="fr">`))
	g.Expect(body).To(ContainSubstring("Bonjour Bob Durand"))
	g.Expect(body).To(ContainSubstring("Rôle"))
	g.Expect(body).To(ContainSubstring("personne (le rôle est vacant)"))
	g.Expect(body).NotTo(ContainSubstring("Périmètre"), "no scope row for an unscoped role")
	g.Expect(body).To(ContainSubstring("14 août 2026 à 09:30 UTC"))
	g.Expect(body).To(ContainSubstring(`value="Approved">Approuver</button>`))
	g.Expect(body).To(ContainSubstring(`value="Refused">Refuser</button>`))
	g.Expect(body).To(ContainSubstring(`value="` + goodToken + `"`))
}

func TestGetInvalidOrMissingTokenIsTheSame404(t *testing.T) {
	g := NewWithT(t)
	f := &fakeDecider{view: sampleView("fr")}
	srv := newTestServer(t, f, logr.Discard())

	wrongResp, wrong := get(g, Link(srv.URL, testNS, testName, "wrong"))
	missingResp, missing := get(g, pageURL(srv.URL))
	emptyResp, empty := get(g, pageURL(srv.URL)+"?token=")
	unknownResp, unknown := get(g, Link(srv.URL, testNS, "no-such-transfer", goodToken))

	for _, resp := range []*http.Response{wrongResp, missingResp, emptyResp, unknownResp} {
		g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
		expectSecurityHeaders(g, resp)
	}
	g.Expect(wrong).To(ContainSubstring("This link is not valid or has expired."))
	g.Expect(wrong).To(ContainSubstring("Ce lien n’est pas valide ou a expiré."))
	g.Expect(missing).To(Equal(wrong))
	g.Expect(empty).To(Equal(wrong))
	g.Expect(unknown).To(Equal(wrong))
	g.Expect(wrong).NotTo(ContainSubstring("wrong"))
	// A missing token never reaches the Decider (it is not an attempt).
	g.Expect(f.Calls()).To(HaveLen(2))
}

func TestPostRecordsDecision(t *testing.T) {
	for _, tc := range []struct {
		decision      v1alpha1.Decision
		locale, title string
	}{
		{v1alpha1.DecisionApproved, "en", "Your approval was recorded"},
		{v1alpha1.DecisionRefused, "en", "Your refusal was recorded"},
		{v1alpha1.DecisionApproved, "fr", "Votre approbation a été enregistrée"},
		{v1alpha1.DecisionRefused, "fr", "Votre refus a été enregistré"},
	} {
		t.Run(string(tc.decision)+"-"+tc.locale, func(t *testing.T) {
			g := NewWithT(t)
			f := &fakeDecider{view: sampleView(tc.locale)}
			srv := newTestServer(t, f, logr.Discard())

			resp, body := post(g, pageURL(srv.URL), url.Values{"token": {goodToken}, "decision": {string(tc.decision)}})
			g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
			expectSecurityHeaders(g, resp)
			g.Expect(body).To(ContainSubstring("<h1>" + tc.title + "</h1>"))
			g.Expect(body).To(ContainSubstring(`<html lang="` + tc.locale + `">`))
			g.Expect(body).NotTo(ContainSubstring(goodToken))
			g.Expect(body).NotTo(ContainSubstring("<form"))
			g.Expect(f.Calls()).To(Equal([]call{{Op: "Decide", Namespace: testNS, Name: testName, Token: goodToken,
				Decision: tc.decision}}))
		})
	}
}

func TestPostInvalidTokenIsTheGeneric404(t *testing.T) {
	g := NewWithT(t)
	f := &fakeDecider{view: sampleView("en")}
	srv := newTestServer(t, f, logr.Discard())

	_, generic := get(g, pageURL(srv.URL))
	resp, body := post(g, pageURL(srv.URL), url.Values{"token": {"wrong"}, "decision": {"Approved"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	expectSecurityHeaders(g, resp)
	g.Expect(body).To(Equal(generic))

	resp, body = post(g, pageURL(srv.URL), url.Values{"decision": {"Refused"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(body).To(Equal(generic))
	g.Expect(f.Calls()).To(HaveLen(1), "a missing token never reaches the Decider")
}

func TestPostBadDecisionIs400(t *testing.T) {
	g := NewWithT(t)
	f := &fakeDecider{view: sampleView("en")}
	srv := newTestServer(t, f, logr.Discard())

	for _, d := range []string{"", "Pending", "approved", "Approved ", "Yes"} {
		resp, body := post(g, pageURL(srv.URL), url.Values{"token": {goodToken}, "decision": {d}})
		g.Expect(resp.StatusCode).To(Equal(http.StatusBadRequest), "decision %q", d)
		expectSecurityHeaders(g, resp)
		g.Expect(body).To(ContainSubstring("This request is not valid."))
	}
	// The decision in the query string does not count: only the posted form does.
	resp, _ := post(g, pageURL(srv.URL)+"?decision=Approved", url.Values{"token": {goodToken}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
	g.Expect(f.Calls()).To(BeEmpty())
}

func TestPostBodyIsLimited(t *testing.T) {
	g := NewWithT(t)
	f := &fakeDecider{view: sampleView("en")}
	srv := newTestServer(t, f, logr.Discard())

	resp, _ := post(g, pageURL(srv.URL), url.Values{"token": {goodToken}, "decision": {"Approved"},
		"padding": {strings.Repeat("x", 8<<10)}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusRequestEntityTooLarge))
	expectSecurityHeaders(g, resp)
	g.Expect(f.Calls()).To(BeEmpty())
}

func TestDeciderErrorIs503AndDoesNotLogTheToken(t *testing.T) {
	g := NewWithT(t)
	var mu sync.Mutex
	var logs []string
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, prefix+" "+args)
	}, funcr.Options{Verbosity: 10})

	// A careless Decider quotes the token in its error: the handler must still keep it out of the logs.
	f := &fakeDecider{view: sampleView("en"),
		err: fmt.Errorf("get secret for token %s: %w", goodToken, errors.New("connection refused"))}
	srv := newTestServer(t, f, log)

	resp, body := get(g, Link(srv.URL, testNS, testName, goodToken))
	g.Expect(resp.StatusCode).To(Equal(http.StatusServiceUnavailable))
	expectSecurityHeaders(g, resp)
	g.Expect(body).To(ContainSubstring("Try again in a moment"))
	g.Expect(body).NotTo(ContainSubstring(goodToken))
	g.Expect(body).NotTo(ContainSubstring("connection refused"))

	resp, body = post(g, pageURL(srv.URL), url.Values{"token": {goodToken}, "decision": {"Approved"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusServiceUnavailable))
	g.Expect(body).To(ContainSubstring("Try again in a moment"))

	mu.Lock()
	defer mu.Unlock()
	g.Expect(logs).To(HaveLen(2))
	all := strings.Join(logs, "\n")
	g.Expect(all).To(ContainSubstring("connection refused"))
	g.Expect(all).To(ContainSubstring(testName))
	g.Expect(all).NotTo(ContainSubstring(goodToken))
	g.Expect(all).NotTo(ContainSubstring("token="))
}

func TestHealthzAndOtherRoutes(t *testing.T) {
	g := NewWithT(t)
	f := &fakeDecider{view: sampleView("en")}
	srv := newTestServer(t, f, logr.Discard())

	resp, body := get(g, srv.URL+"/healthz")
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(body).To(Equal("ok"))
	expectSecurityHeaders(g, resp)

	for _, path := range []string{"/", "/approve", "/approve/" + testNS, "/approve/" + testNS + "/" + testName + "/x",
		"/favicon.ico"} {
		resp, _ := get(g, srv.URL+path+"?token="+goodToken)
		g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound), path)
		expectSecurityHeaders(g, resp)
	}
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		req, err := http.NewRequest(method, Link(srv.URL, testNS, testName, goodToken), nil)
		g.Expect(err).NotTo(HaveOccurred())
		resp, _ := do(g, req)
		g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound), method)
		expectSecurityHeaders(g, resp)
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/healthz", nil)
	g.Expect(err).NotTo(HaveOccurred())
	resp, _ = do(g, req)
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(f.Calls()).To(BeEmpty())
}

func TestLinkEscapes(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Link("https://roster.example.com", "acme", "billing-to-bob", "abc_DEF-123")).To(Equal(
		"https://roster.example.com/approve/acme/billing-to-bob?token=abc_DEF-123"))
	g.Expect(Link("https://roster.example.com/prefix/", "a b", "x/y?z", "t+o&k=e n/")).To(Equal(
		"https://roster.example.com/prefix/approve/a%20b/x%2Fy%3Fz?token=t%2Bo%26k%3De+n%2F"))

	u, err := url.Parse(Link("https://h", "ns", "n", "t+o&k=e n/"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(u.Query().Get("token")).To(Equal("t+o&k=e n/"))
}

func TestLinkRoundTripsThroughTheHandler(t *testing.T) {
	g := NewWithT(t)
	token := "tok+en/with=odd&chars"
	var got call
	f := &recordingDecider{fn: func(c call) { got = c }}
	srv := httptest.NewServer(NewHandler(f, logr.Discard()))
	defer srv.Close()

	resp, _ := get(g, Link(srv.URL, "ns", "name.with.dots", token))
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(got).To(Equal(call{Op: "View", Namespace: "ns", Name: "name.with.dots", Token: token}))
}

type recordingDecider struct{ fn func(call) }

func (r *recordingDecider) View(_ context.Context, ns, name, token string) (View, error) {
	r.fn(call{Op: "View", Namespace: ns, Name: name, Token: token})
	return View{}, ErrInvalidToken
}

func (r *recordingDecider) Decide(_ context.Context, ns, name, token string, d v1alpha1.Decision) (View, error) {
	r.fn(call{Op: "Decide", Namespace: ns, Name: name, Token: token, Decision: d})
	return View{}, ErrInvalidToken
}

func TestServerStartsAndStopsWithContext(t *testing.T) {
	g := NewWithT(t)
	s := NewServer("127.0.0.1:0", NewHandler(&fakeDecider{view: sampleView("en")}, logr.Discard()))
	g.Expect(s.NeedLeaderElection()).To(BeFalse())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()

	g.Eventually(s.Addr).ShouldNot(BeNil())
	base := "http://" + s.Addr().String()
	g.Eventually(func(g Gomega) {
		resp, err := http.Get(base + "/healthz")
		g.Expect(err).NotTo(HaveOccurred())
		defer func() { _ = resp.Body.Close() }()
		g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	}).Should(Succeed())

	cancel()
	g.Eventually(done).WithTimeout(15 * time.Second).Should(Receive(BeNil()))
	_, err := http.Get(base + "/healthz")
	g.Expect(err).To(HaveOccurred(), "the server no longer listens")
}

func TestServerFailsWhenAddressIsTaken(t *testing.T) {
	g := NewWithT(t)
	busy := httptest.NewServer(http.NotFoundHandler())
	defer busy.Close()

	s := NewServer(busy.Listener.Addr().String(), http.NotFoundHandler())
	g.Expect(s.Start(context.Background())).To(MatchError(ContainSubstring("listen")))
}
