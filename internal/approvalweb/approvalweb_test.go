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
	"roster.dev/roster/internal/approval"
)

const (
	testNS    = "acme"
	testName  = "billing-to-bob"
	testUID   = "0b5a3c1e-7f0e-4b8e-9d7a-1f0c2d3e4f50"
	otherUID  = "7d1e0c55-2b3a-4c8d-9e0f-a1b2c3d4e5f6"
	goodToken = "s3cr3t-T0ken_abcdefghijklmnop"
)

type call struct {
	Op, UID, Token string
	Decision       v1alpha1.Decision
}

// fakeDecider knows one transfer (testUID) and one token; err, when set, is returned for the right token.
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

func (f *fakeDecider) check(uid, token string) error {
	if uid != testUID || token != goodToken {
		return ErrInvalidToken
	}
	return f.err
}

func (f *fakeDecider) View(_ context.Context, uid, token string) (View, error) {
	f.record(call{Op: "View", UID: uid, Token: token})
	if err := f.check(uid, token); err != nil {
		return View{}, err
	}
	return f.view, nil
}

func (f *fakeDecider) Decide(_ context.Context, uid, token string, d v1alpha1.Decision) (View, error) {
	f.record(call{Op: "Decide", UID: uid, Token: token, Decision: d})
	if err := f.check(uid, token); err != nil {
		return View{}, err
	}
	v := f.view
	v.Decision = d
	return v, nil
}

func sampleView(locale string) View {
	return View{
		UID:          testUID,
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

// unlimited are Options whose rate limits no test of the page's other behaviour reaches.
var unlimited = Options{
	PerClient:       Limit{Burst: 1 << 20, Every: time.Millisecond},
	PerTransfer:     Limit{Burst: 1 << 20, Every: time.Millisecond},
	PerTransferPost: Limit{Burst: 1 << 20, Every: time.Millisecond},
}

func newTestServer(t *testing.T, d Decider, log logr.Logger) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewHandlerWithOptions(d, log, unlimited))
	t.Cleanup(srv.Close)
	return srv
}

// link is the party's link to the test transfer, as the emails carry it.
func link(base, token string) string { return approval.Link(base, testUID, token) }

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

func pageURL(base string) string { return base + "/approve/" + testUID }

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

	resp, body := get(g, link(srv.URL, goodToken))
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
	g.Expect(body).To(ContainSubstring(`<form method="post" action="./` + testUID + `">`))
	g.Expect(body).To(ContainSubstring(`<input type="hidden" name="token" value="` + goodToken + `">`))
	g.Expect(body).To(ContainSubstring(`name="decision" value="Approved">Approve</button>`))
	g.Expect(body).To(ContainSubstring(`name="decision" value="Refused">Refuse</button>`))
	g.Expect(strings.ToLower(body)).NotTo(ContainSubstring("<script"))
	g.Expect(f.Calls()).To(Equal([]call{{Op: "View", UID: testUID, Token: goodToken}}))
}

func TestGetShowsTheOtherPartiesStillAwaited(t *testing.T) {
	g := NewWithT(t)
	v := sampleView("en")
	v.AwaitingOneOf = []string{"Carol Admin", "Dave <Ops>"}
	srv := newTestServer(t, &fakeDecider{view: v}, logr.Discard())
	_, body := get(g, link(srv.URL, goodToken))
	g.Expect(body).To(ContainSubstring("<dt>Also awaited</dt><dd>one of Carol Admin, Dave &lt;Ops&gt;</dd>"))

	v = sampleView("fr")
	v.Awaiting = []string{"Bob Durand"}
	srv = newTestServer(t, &fakeDecider{view: v}, logr.Discard())
	_, body = get(g, link(srv.URL, goodToken))
	g.Expect(body).To(ContainSubstring("<dt>Également attendus</dt><dd>Bob Durand</dd>"))

	v = sampleView("pt")
	v.Awaiting = []string{"Bob Durand"}
	v.AwaitingOneOf = []string{"Carol Admin"}
	srv = newTestServer(t, &fakeDecider{view: v}, logr.Discard())
	_, body = get(g, link(srv.URL, goodToken))
	g.Expect(body).To(ContainSubstring("<dt>Também aguardados</dt><dd>Bob Durand; um de Carol Admin</dd>"))

	srv = newTestServer(t, &fakeDecider{view: sampleView("en")}, logr.Discard())
	_, body = get(g, link(srv.URL, goodToken))
	g.Expect(body).NotTo(ContainSubstring("Also awaited"), "nothing when nobody else is awaited")
}

func TestGetValidTokenShowsTransferInFrench(t *testing.T) {
	g := NewWithT(t)
	v := sampleView("fr")
	v.From, v.Scope = "", ""
	f := &fakeDecider{view: v}
	srv := newTestServer(t, f, logr.Discard())

	resp, body := get(g, link(srv.URL, goodToken))
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

func TestGetValidTokenShowsTransferInPortuguese(t *testing.T) {
	for _, locale := range []string{"pt", "pt-BR", "pt_BR"} {
		t.Run(locale, func(t *testing.T) {
			g := NewWithT(t)
			v := sampleView(locale)
			v.From, v.Scope = "", ""
			f := &fakeDecider{view: v}
			srv := newTestServer(t, f, logr.Discard())

			resp, body := get(g, link(srv.URL, goodToken))
			g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
			g.Expect(body).To(ContainSubstring(`<html lang="pt">`))
			g.Expect(body).To(ContainSubstring("<title>Mudança de contato</title>"))
			g.Expect(body).To(ContainSubstring("Olá Bob Durand"))
			g.Expect(body).To(ContainSubstring("Função"))
			g.Expect(body).To(ContainSubstring("ninguém (a função está vaga)"))
			g.Expect(body).NotTo(ContainSubstring("Escopo"), "no scope row for an unscoped role")
			g.Expect(body).To(ContainSubstring("14 de agosto de 2026 às 09:30 UTC"))
			g.Expect(body).To(ContainSubstring(`value="Approved">Aprovar</button>`))
			g.Expect(body).To(ContainSubstring(`value="Refused">Recusar</button>`))
			g.Expect(body).To(ContainSubstring("Este link é pessoal: não o encaminhe."))
			g.Expect(body).To(ContainSubstring(`value="` + goodToken + `"`))
		})
	}
}

func TestLocalize(t *testing.T) {
	g := NewWithT(t)
	for locale, want := range map[string]string{
		"": "en", "en": "en", "de": "en", "es-419": "en", "frx": "en", "ptx": "en",
		"fr": "fr", "fr-CA": "fr", "fr_FR": "fr", "FR": "fr",
		"pt": "pt", "pt-BR": "pt", "pt_BR": "pt", "PT-br": "pt",
	} {
		m, lang := localize(locale)
		g.Expect(lang).To(Equal(want), "locale %q", locale)
		g.Expect(m).To(BeIdenticalTo(map[string]*messages{"en": english, "fr": french, "pt": portuguese}[want]), "locale %q", locale)
		a, lang := addressLocale(locale)
		g.Expect(lang).To(Equal(want), "address page, locale %q", locale)
		g.Expect(a).To(BeIdenticalTo(addressTexts[want]), "address page, locale %q", locale)
	}
}

// fakePages is a fakeDecider that also knows one change of address (testUID, goodToken).
type fakePages struct {
	*fakeDecider
	address AddressView
}

func (f *fakePages) ViewAddress(_ context.Context, uid, token string) (AddressView, error) {
	f.record(call{Op: "ViewAddress", UID: uid, Token: token})
	if err := f.check(uid, token); err != nil {
		return AddressView{}, err
	}
	return f.address, nil
}

func (f *fakePages) DecideAddress(_ context.Context, uid, token string, approve bool) (AddressView, error) {
	d := v1alpha1.DecisionRefused
	if approve {
		d = v1alpha1.DecisionApproved
	}
	f.record(call{Op: "DecideAddress", UID: uid, Token: token, Decision: d})
	if err := f.check(uid, token); err != nil {
		return AddressView{}, err
	}
	return f.address, nil
}

func TestAddressPageInEachLanguage(t *testing.T) {
	for _, tc := range []struct {
		locale, lang                           string
		title, confirm, notMine, approve, done string
	}{
		{"en", "en", "Change of address", "Confirm", "This is not my address", "Approve", "Your address is confirmed."},
		{"fr", "fr", "Changement d&#39;adresse", "Confirmer", "Ce n&#39;est pas mon adresse", "Approuver", "Votre adresse est confirmée."},
		{"pt", "pt", "Mudança de endereço de e-mail", "Confirmar", "Este endereço não é meu", "Aprovar", "Seu endereço foi confirmado."},
		{"pt-BR", "pt", "Mudança de endereço de e-mail", "Confirmar", "Este endereço não é meu", "Aprovar", "Seu endereço foi confirmado."},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			g := NewWithT(t)
			f := &fakePages{fakeDecider: &fakeDecider{}, address: AddressView{Organization: "ACME Corp", Contact: "Bob Durand",
				Current: "bob@old.example", New: "bob@new.example", Confirm: true, Locale: tc.locale}}
			srv := newTestServer(t, f, logr.Discard())
			confirmURL := srv.URL + "/confirm/" + testUID

			resp, body := get(g, confirmURL+"?token="+goodToken)
			g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
			g.Expect(body).To(ContainSubstring(`<html lang="` + tc.lang + `">`))
			g.Expect(body).To(ContainSubstring("<h1>" + tc.title + "</h1>"))
			g.Expect(body).To(ContainSubstring(`value="Approved">` + tc.confirm + `</button>`))
			g.Expect(body).To(ContainSubstring(`value="Refused">` + tc.notMine + `</button>`))

			f.address.Confirm = false
			_, body = get(g, confirmURL+"?token="+goodToken)
			g.Expect(body).To(ContainSubstring(`value="Approved">` + tc.approve + `</button>`))

			f.address.Confirm = true
			resp, body = post(g, confirmURL, url.Values{"token": {goodToken}, "decision": {"Approved"}})
			g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
			g.Expect(body).To(ContainSubstring(`<html lang="` + tc.lang + `">`))
			g.Expect(body).To(ContainSubstring(tc.done))
			g.Expect(body).NotTo(ContainSubstring(goodToken))
		})
	}
}

func TestGetInvalidOrMissingTokenIsTheSame404(t *testing.T) {
	g := NewWithT(t)
	f := &fakeDecider{view: sampleView("fr")}
	srv := newTestServer(t, f, logr.Discard())

	wrongResp, wrong := get(g, link(srv.URL, "wrong"))
	missingResp, missing := get(g, pageURL(srv.URL))
	emptyResp, empty := get(g, pageURL(srv.URL)+"?token=")
	unknownResp, unknown := get(g, approval.Link(srv.URL, otherUID, goodToken))

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
		{v1alpha1.DecisionApproved, "pt", "Sua aprovação foi registrada"},
		{v1alpha1.DecisionRefused, "pt", "Sua recusa foi registrada"},
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
			g.Expect(f.Calls()).To(Equal([]call{{Op: "Decide", UID: testUID, Token: goodToken, Decision: tc.decision}}))
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

	resp, body := get(g, link(srv.URL, goodToken))
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
	g.Expect(all).To(ContainSubstring(testUID))
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

	_, generic := get(g, pageURL(srv.URL))
	for _, path := range []string{"/", "/approve", "/approve/", "/approve/" + testUID + "/x", "/approve/" + testUID + "/",
		"/favicon.ico", "/approve/" + testNS + "/" + testName} {
		resp, body := get(g, srv.URL+path+"?token="+goodToken)
		g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound), path)
		g.Expect(body).To(Equal(generic), path)
		expectSecurityHeaders(g, resp)
	}
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		req, err := http.NewRequest(method, link(srv.URL, goodToken), nil)
		g.Expect(err).NotTo(HaveOccurred())
		resp, body := do(g, req)
		g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound), method)
		g.Expect(body).To(Equal(generic), method)
		expectSecurityHeaders(g, resp)
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/healthz", nil)
	g.Expect(err).NotTo(HaveOccurred())
	resp, _ = do(g, req)
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(f.Calls()).To(BeEmpty())
}

// logSink records every log line, at every verbosity.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *logSink) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lines = append(s.lines, prefix+" "+args)
	}, funcr.Options{Verbosity: 10})
}

func (s *logSink) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

func TestInvalidPathIsTheGeneric404WithoutLookUpOrLog(t *testing.T) {
	f := &fakeDecider{view: sampleView("en")}
	logs := &logSink{}
	h := NewHandlerWithOptions(f, logs.logger(), unlimited)
	serve := func(method, target string, body io.Reader) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, body)
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	generic := serve(http.MethodGet, "/approve/"+testUID, nil).Body.String()
	NewWithT(t).Expect(generic).To(ContainSubstring("This link is not valid or has expired."))
	form := url.Values{"token": {goodToken}, "decision": {"Approved"}}.Encode()

	for _, tc := range []struct{ name, path string }{
		{"not a UUID", "/approve/billing-to-bob"},
		{"namespace and name", "/approve/acme/billing-to-bob"},
		{"uppercase", "/approve/" + strings.ToUpper(testUID)},
		{"no dashes", "/approve/" + strings.ReplaceAll(testUID, "-", "")},
		{"braces", "/approve/{" + testUID + "}"},
		{"urn", "/approve/urn:uuid:" + testUID},
		{"overlong", "/approve/" + testUID + "0"},
		{"very long", "/approve/" + strings.Repeat("a", 4096)},
		{"short", "/approve/" + testUID[:35]},
		{"escaped slash", "/approve/" + testUID[:8] + "%2F" + testUID[9:]},
		{"escaped slash after", "/approve/" + testUID + "%2Fx"},
		{"escaped character", "/approve/%30" + testUID[1:]},
		{"double-escaped slash", "/approve/" + testUID[:8] + "%252F" + testUID[9:]},
		{"dot segment", "/approve/../approve/" + testUID},
		{"dot segment after", "/approve/" + testUID + "/.."},
		{"double slash", "//approve/" + testUID},
		{"trailing slash", "/approve/" + testUID + "/"},
		{"encoded NUL", "/approve/" + testUID + "%00"},
		{"non-hex", "/approve/0b5a3c1e-7f0e-4b8e-9d7a-1f0c2d3e4f5g"},
		{"dashes misplaced", "/approve/0b5a3c1e7-f0e-4b8e-9d7a-1f0c2d3e4f50"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			for _, rec := range []*httptest.ResponseRecorder{
				serve(http.MethodGet, tc.path+"?token="+goodToken, nil),
				serve(http.MethodPost, tc.path, strings.NewReader(form)),
			} {
				g.Expect(rec.Code).To(Equal(http.StatusNotFound))
				g.Expect(rec.Header().Get("Location")).To(BeEmpty(), "no redirect repeats the token")
				g.Expect(rec.Body.String()).To(Equal(generic))
				g.Expect(rec.Header().Get("Content-Security-Policy")).To(Equal(contentSecurityPolicy))
			}
		})
	}
	g := NewWithT(t)
	g.Expect(f.Calls()).To(BeEmpty(), "an invalid path never reaches the Decider")
	g.Expect(logs.Lines()).To(BeEmpty(), "an invalid path is not logged")
}

func TestOverlongTokenIsTheGeneric404WithoutLookUp(t *testing.T) {
	g := NewWithT(t)
	f := &fakeDecider{view: sampleView("en")}
	srv := newTestServer(t, f, logr.Discard())
	_, generic := get(g, pageURL(srv.URL))

	long := strings.Repeat("A", maxTokenBytes+1)
	resp, body := get(g, link(srv.URL, long))
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(body).To(Equal(generic))
	resp, body = post(g, pageURL(srv.URL), url.Values{"token": {long}, "decision": {"Approved"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(body).To(Equal(generic))
	g.Expect(f.Calls()).To(BeEmpty())
}

func TestGetNeverDecides(t *testing.T) {
	for _, tc := range []struct {
		name, target string
		status       int
	}{
		{"right token", "?token=" + goodToken, http.StatusOK},
		{"right token and a decision in the query", "?token=" + goodToken + "&decision=Approved", http.StatusOK},
		{"wrong token", "?token=wrong", http.StatusNotFound},
		{"wrong token and a decision in the query", "?token=wrong&decision=Refused", http.StatusNotFound},
		{"no token", "", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			f := &fakeDecider{view: sampleView("en")}
			srv := newTestServer(t, f, logr.Discard())
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				req, err := http.NewRequest(method, pageURL(srv.URL)+tc.target, nil)
				g.Expect(err).NotTo(HaveOccurred())
				resp, _ := do(g, req)
				g.Expect(resp.StatusCode).To(Equal(tc.status), method)
			}
			for _, c := range f.Calls() {
				g.Expect(c.Op).To(Equal("View"), "a GET only ever views")
			}
		})
	}
}

func TestLinkRoundTripsThroughTheHandler(t *testing.T) {
	g := NewWithT(t)
	token := "tok+en/with=odd&chars"
	var got call
	f := &recordingDecider{fn: func(c call) { got = c }}
	srv := newTestServer(t, f, logr.Discard())

	resp, _ := get(g, approval.Link(srv.URL, testUID, token))
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(got).To(Equal(call{Op: "View", UID: testUID, Token: token}))

	resp, _ = get(g, approval.Link(srv.URL+"/", testUID, goodToken))
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(got).To(Equal(call{Op: "View", UID: testUID, Token: goodToken}), "a base URL's trailing slash is dropped")
}

type recordingDecider struct{ fn func(call) }

func (r *recordingDecider) View(_ context.Context, uid, token string) (View, error) {
	r.fn(call{Op: "View", UID: uid, Token: token})
	return View{}, ErrInvalidToken
}

func (r *recordingDecider) Decide(_ context.Context, uid, token string, d v1alpha1.Decision) (View, error) {
	r.fn(call{Op: "Decide", UID: uid, Token: token, Decision: d})
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
