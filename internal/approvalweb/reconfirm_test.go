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
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/index"
)

// reconfirmWorld is the real page and ReconfirmBackend over a fake client holding one contact (testUID)
// with a request in progress, and the test transfer (otherUID).
type reconfirmWorld struct {
	srv   *httptest.Server
	c     client.Client
	keys  *approval.Keyring
	asked time.Time
}

func newReconfirmWorld(t *testing.T, locale v1alpha1.Locale, opts Options) *reconfirmWorld {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	asked := backendNow.Add(-time.Hour)
	bob := testContact("bob", "Bob Durand", locale)
	bob.UID = testUID
	bob.Status.RolesSummary = "billing"
	bob.Status.Reconfirmation = &v1alpha1.ReconfirmationRequest{Round: 1, AskedAt: metav1.NewTime(asked), DueAt: metav1.NewTime(asked.Add(336 * time.Hour))}
	tr := testTransfer()
	tr.UID = otherUID
	byUID := func(o client.Object) []string { return []string{string(o.GetUID())} }
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(bob, tr, testOrganization()).
		WithStatusSubresource(&v1alpha1.Contact{}, &v1alpha1.ContactTransfer{}).
		WithIndex(&v1alpha1.Contact{}, index.ByUID, byUID).WithIndex(&v1alpha1.ContactTransfer{}, index.ByUID, byUID).Build()
	keys := backendKeys(t, 7)
	now := func() time.Time { return backendNow }
	pages := Pages{
		Backend:          &Backend{Reader: c, Client: c, Keys: keys, Now: now},
		AddressBackend:   &AddressBackend{Reader: c, Client: c, Keys: keys, Now: now},
		ReconfirmBackend: &ReconfirmBackend{Reader: c, Client: c, Keys: keys, Now: now},
	}
	srv := httptest.NewServer(NewHandlerWithOptions(pages, logr.Discard(), opts))
	t.Cleanup(srv.Close)
	return &reconfirmWorld{srv: srv, c: c, keys: keys, asked: asked}
}

func (w *reconfirmWorld) link() string {
	return approval.ReconfirmLink(w.srv.URL, testUID, w.keys.ReconfirmToken(testUID, 1, w.asked))
}

func (w *reconfirmWorld) bob(g *WithT) *v1alpha1.Contact {
	c := &v1alpha1.Contact{}
	g.Expect(w.c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: "bob"}, c)).To(Succeed())
	return c
}

func tokenOf(g *WithT, link string) string {
	u, err := url.Parse(link)
	g.Expect(err).NotTo(HaveOccurred())
	return u.Query().Get("token")
}

func TestReconfirmPageConfirmsOnPostOnlyAndOnce(t *testing.T) {
	g := NewWithT(t)
	w := newReconfirmWorld(t, "", unlimited)
	link := w.link()
	action := w.srv.URL + "/reconfirm/" + testUID

	resp, body := get(g, link)
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	expectSecurityHeaders(g, resp)
	g.Expect(body).To(ContainSubstring(`<html lang="en">`))
	g.Expect(body).To(ContainSubstring("<h1>Are you still the right contact?</h1>"))
	g.Expect(body).To(ContainSubstring(`<button class="approve" type="submit" name="decision" value="Confirmed">I am still the right contact</button>`))
	g.Expect(body).To(ContainSubstring("ACME Corp"))
	g.Expect(body).To(ContainSubstring("Bob Durand"))
	g.Expect(body).To(ContainSubstring(`<form method="post" action="./` + testUID + `">`))
	for range 3 {
		_, _ = get(g, link)
	}
	g.Expect(w.bob(g).Status.ReconfirmedAt).To(BeNil(), "a GET changes nothing")
	g.Expect(w.bob(g).Status.Reconfirmation).NotTo(BeNil())

	resp, _ = post(g, action, url.Values{"token": {tokenOf(g, link)}, "decision": {"Approved"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusBadRequest), "only Confirmed is an answer")

	resp, body = post(g, action, url.Values{"token": {tokenOf(g, link)}, "decision": {"Confirmed"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	expectSecurityHeaders(g, resp)
	g.Expect(body).To(ContainSubstring("your confirmation was recorded"))
	g.Expect(body).NotTo(ContainSubstring("<form"))
	g.Expect(body).NotTo(ContainSubstring(tokenOf(g, link)))
	bob := w.bob(g)
	g.Expect(bob.Status.ReconfirmedAt.Time.Equal(backendNow)).To(BeTrue(), "reconfirmedAt %v", bob.Status.ReconfirmedAt)
	g.Expect(bob.Status.Reconfirmation).To(BeNil(), "the request is answered: its link is used up")

	resp, _ = post(g, action, url.Values{"token": {tokenOf(g, link)}, "decision": {"Confirmed"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound), "a reused link fails")
	resp, _ = get(g, link)
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
}

func TestReconfirmPageRefusesOtherSecrets(t *testing.T) {
	g := NewWithT(t)
	w := newReconfirmWorld(t, "", unlimited)
	good := tokenOf(g, w.link())
	_, invalid := get(g, w.srv.URL+"/reconfirm/"+testUID+"?token=wrong")
	for name, u := range map[string]string{
		"a forged token":                                        approval.ReconfirmLink(w.srv.URL, testUID, backendKeys(t, 8).ReconfirmToken(testUID, 1, w.asked)),
		"the token of another round":                            approval.ReconfirmLink(w.srv.URL, testUID, w.keys.ReconfirmToken(testUID, 2, w.asked)),
		"the token of another request":                          approval.ReconfirmLink(w.srv.URL, testUID, w.keys.ReconfirmToken(testUID, 1, w.asked.Add(time.Second))),
		"the contact's transfer link token":                     approval.ReconfirmLink(w.srv.URL, testUID, w.keys.Token(testUID, 1, "bob", approval.PurposeLink)),
		"an address token":                                      approval.ReconfirmLink(w.srv.URL, testUID, w.keys.EmailToken(testUID, 1, "bob@acme.example", "bob", approval.PurposeConfirmEmail)),
		"a transfer party's token on /reconfirm":                approval.ReconfirmLink(w.srv.URL, otherUID, w.keys.Token(otherUID, 1, "bob", approval.PurposeLink)),
		"the re-confirmation token on /approve":                 approval.Link(w.srv.URL, testUID, good),
		"the re-confirmation token on /approve of the transfer": approval.Link(w.srv.URL, otherUID, good),
		"the re-confirmation token on /confirm":                 approval.ConfirmLink(w.srv.URL, testUID, good),
	} {
		resp, body := get(g, u)
		g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound), name)
		g.Expect(body).To(Equal(invalid), name)
		parsed, _ := url.Parse(u)
		token := parsed.Query().Get("token")
		parsed.RawQuery = ""
		resp, _ = post(g, parsed.String(), url.Values{"token": {token}, "decision": {"Confirmed"}})
		g.Expect(resp.StatusCode).To(SatisfyAny(Equal(http.StatusNotFound), Equal(http.StatusBadRequest)), name)
	}
	resp, _ := post(g, w.srv.URL+"/approve/"+otherUID, url.Values{"token": {good}, "decision": {"Approved"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound), "the re-confirmation token approves no transfer")
	g.Expect(w.bob(g).Status.ReconfirmedAt).To(BeNil())
	tr := &v1alpha1.ContactTransfer{}
	g.Expect(w.c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: testName}, tr)).To(Succeed())
	g.Expect(approval.DecisionOf(tr, "bob")).To(Equal(v1alpha1.DecisionPending))
}

func TestReconfirmPageInEachLanguage(t *testing.T) {
	for _, tc := range []struct {
		locale       v1alpha1.Locale
		lang, title  string
		button, done string
	}{
		{"fr", "fr", "Êtes-vous toujours le bon contact ?", "Je suis toujours le bon contact", "votre confirmation a été enregistrée"},
		{"pt-BR", "pt", "Você ainda é o contato certo?", "Ainda sou o contato certo", "sua confirmação foi registrada"},
		{"de", "en", "Are you still the right contact?", "I am still the right contact", "your confirmation was recorded"},
	} {
		t.Run(string(tc.locale), func(t *testing.T) {
			g := NewWithT(t)
			w := newReconfirmWorld(t, tc.locale, unlimited)
			resp, body := get(g, w.link())
			g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
			g.Expect(body).To(ContainSubstring(`<html lang="` + tc.lang + `">`))
			g.Expect(body).To(ContainSubstring("<h1>" + tc.title + "</h1>"))
			g.Expect(body).To(ContainSubstring(`value="Confirmed">` + tc.button + `</button>`))
			resp, body = post(g, w.srv.URL+"/reconfirm/"+testUID, url.Values{"token": {tokenOf(g, w.link())}, "decision": {"Confirmed"}})
			g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
			g.Expect(body).To(ContainSubstring(`<html lang="` + tc.lang + `">`))
			g.Expect(body).To(ContainSubstring(tc.done))
		})
	}
}

func TestReconfirmPageIsRateLimitedPerContact(t *testing.T) {
	g := NewWithT(t)
	w := newReconfirmWorld(t, "", Options{PerClient: Limit{Burst: 1000, Every: time.Millisecond}})
	var last *http.Response
	for range 50 {
		last, _ = post(g, w.srv.URL+"/reconfirm/"+testUID, url.Values{"token": {"guess"}, "decision": {"Confirmed"}})
		if last.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	g.Expect(last.StatusCode).To(Equal(http.StatusTooManyRequests), "guesses at one contact's link are limited")
	g.Expect(last.Header.Get("Retry-After")).NotTo(BeEmpty())
	expectSecurityHeaders(g, last)
}
