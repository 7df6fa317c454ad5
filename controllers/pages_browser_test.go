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
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/notify/smtptest"
	"roster.dev/roster/internal/testsupport/browser"
)

// The operator's pages driven in a real headless Chromium, as the people behind the links in the emails use
// them: the link is read from the mail the real SMTP test server received, and the page is served by the
// manager's approval endpoint over the envtest control plane.
//
// Each page is a pageKind; every kind gets the same specs (pageSpecs). A new page needs a pageKind: its
// texts, and a request func that makes a pending request in a locale and returns its link and what it
// records.

// screenshotDir is where the specs leave their screenshots (bin/screenshots at the root of the repository).
var screenshotDir = filepath.Join("..", "bin", "screenshots")

// pageKind is a page of the approval endpoint.
type pageKind struct {
	name string // of the page in spec names and screenshot files
	// request makes a new pending request, with a link for a contact of the locale ("en" or "fr").
	request func(locale string) pageRequest
	texts   map[string]pageTexts // by locale
	// approveValue is the value its approving button submits: Approved unless set.
	approveValue string
}

// approveButton is the selector of the kind's approving button.
func (k pageKind) approveButton() string {
	if k.approveValue == "" {
		return "button[value=Approved]"
	}
	return "button[value=" + k.approveValue + "]"
}

// controls are the buttons a page of the kind shows in a language: approve, and refuse when it has one.
func (k pageKind) controls(locale string) []browser.Control {
	out := []browser.Control{{Role: "button", Name: k.texts[locale].approve}}
	if k.texts[locale].refuse != "" {
		out = append(out, browser.Control{Role: "button", Name: k.texts[locale].refuse})
	}
	return out
}

// pageTexts are what a page shows in a language: its two buttons, and what it says once each is used.
type pageTexts struct {
	approve, refuse   string
	approved, refused string
}

// pageRequest is one pending request and the link of one of its parties.
type pageRequest struct {
	link string
	// decision is what the link's party has recorded: "" while nothing is.
	decision func(Gomega) v1alpha1.Decision
}

// pagesFixture is the organization the browser specs share: the samples of config/samples, sending email
// to a real SMTP server.
type pagesFixture struct {
	ns   string
	smtp *smtptest.Server
	n    atomic.Int32 // names the requests
}

func (f *pagesFixture) next() int { return int(f.n.Add(1)) }

// linkIn waits for a mail of typ to address whose text has a link starting with prefix, and returns it.
func (f *pagesFixture) linkIn(address string, typ notify.Type, prefix string) string {
	GinkgoHelper()
	url := regexp.MustCompile(regexp.QuoteMeta(prefix) + `\S+`)
	var link string
	Eventually(func(g Gomega) {
		for _, m := range mailTo(f.smtp, address, typ) {
			if l := url.FindString(m.Text); l != "" {
				link = l
				return
			}
		}
		g.Expect(link).NotTo(BeEmpty(), "no %s mail to %s with a link %s... yet", typ, address, prefix)
	}).Should(Succeed())
	return link
}

// approvalPageKind is the page of a ContactTransfer's link (/approve): billing moves from bob to ivan, asked
// by alice; alice reads French, ivan English.
func approvalPageKind(f *pagesFixture) pageKind {
	return pageKind{
		name: "approval",
		texts: map[string]pageTexts{
			"en": {approve: "Approve", refuse: "Refuse", approved: "Your approval was recorded", refused: "Your refusal was recorded"},
			"fr": {approve: "Approuver", refuse: "Refuser", approved: "Votre approbation a été enregistrée", refused: "Votre refus a été enregistré"},
		},
		request: func(locale string) pageRequest {
			GinkgoHelper()
			party, address := "ivan", "ivan.petrov@acme.example"
			if locale == "fr" {
				party, address = "alice", "alice.martin@acme.example"
			}
			t := transfer(f.ns, fmt.Sprintf("billing-to-ivan-%d", f.next()), "billing", "", "bob", "ivan", "alice")
			t.Spec.Reason = "Bob moves to the Lisbon office" // as in the README, which shows a screenshot
			create(t)
			link := f.linkIn(address, notify.TransferRequested, approvalPage.URL+"/approve/"+string(fetch(t).UID)+"?token=")
			return pageRequest{link: link, decision: func(g Gomega) v1alpha1.Decision {
				if d := decisionOf(t, party)(g).Decision; d != v1alpha1.DecisionPending {
					return d
				}
				return ""
			}}
		},
	}
}

// addressPageKind is the page of the link sent to a new address (/confirm): a contact without roles changes
// its address, and the new address confirms it (or says it is not its own).
func addressPageKind(f *pagesFixture) pageKind {
	return pageKind{
		name: "address-confirmation",
		texts: map[string]pageTexts{
			"en": {approve: "Confirm", refuse: "This is not my address", approved: "Your address is confirmed", refused: "Your refusal was recorded"},
			"fr": {approve: "Confirmer", refuse: "Ce n'est pas mon adresse", approved: "Votre adresse est confirmée", refused: "Votre refus a été enregistré"},
		},
		request: func(locale string) pageRequest {
			GinkgoHelper()
			name := fmt.Sprintf("newcomer-%d", f.next())
			c := contact(f.ns, "acme", name, func(c *v1alpha1.Contact) {
				c.Spec.Locale, c.Spec.DisplayName = v1alpha1.Locale(locale), "Newcomer "+name
			})
			create(c)
			Eventually(func() string { return fetch(c).Status.VerifiedEmail }).Should(Equal(c.Spec.Email))
			newAddress := name + "@new.example"
			edit(c, func() { c.Spec.Email = newAddress })
			link := f.linkIn(newAddress, notify.EmailConfirmationRequested, approvalPage.URL+"/confirm/"+string(c.UID)+"?token=")
			return pageRequest{link: link, decision: addressDecision(c, newAddress)}
		},
	}
}

// reconfirmPageKind is the page of a re-confirmation request (/reconfirm): the primary contact of an
// organization asking hourly is asked, and confirms it is still the right contact. It has no refusal: a
// contact that is no longer the right one does not confirm.
func reconfirmPageKind(f *pagesFixture) pageKind {
	return pageKind{
		name:         "reconfirmation",
		approveValue: "Confirmed",
		texts: map[string]pageTexts{
			"en": {approve: "I am still the right contact", approved: "your confirmation was recorded"},
			"fr": {approve: "Je suis toujours le bon contact", approved: "votre confirmation a été enregistrée"},
		},
		request: func(locale string) pageRequest {
			GinkgoHelper()
			n := f.next()
			org, name := fmt.Sprintf("yearly-%d", n), fmt.Sprintf("holder-%d", n)
			const every = time.Hour
			c := contact(f.ns, org, name, func(c *v1alpha1.Contact) { c.Spec.Locale = v1alpha1.Locale(locale) })
			create(organization(f.ns, org, withMail(f.smtp), func(o *v1alpha1.Organization) {
				o.Spec.Reconfirmation = &v1alpha1.ReconfirmationSettings{Every: metav1.Duration{Duration: every}}
			}), c, assignment(f.ns, org, org+"-primary", "primary", "", name))
			Eventually(condition(c, v1alpha1.ReconfirmedCondition)).Should(haveStatus(metav1.ConditionUnknown, v1alpha1.AwaitingReconfirmationReason))
			skipAhead(every + time.Minute)
			touchObject(c)
			link := f.linkIn(c.Spec.Email, notify.ReconfirmationRequested, approvalPage.URL+"/reconfirm/"+string(c.UID)+"?token=")
			return pageRequest{link: link, decision: func(g Gomega) v1alpha1.Decision {
				g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(c), c)).To(Succeed())
				if cond := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ReconfirmedCondition); cond != nil &&
					cond.Status == metav1.ConditionTrue && c.Status.ReconfirmedAt != nil {
					return v1alpha1.DecisionApproved
				}
				return ""
			}}
		},
	}
}

// addressDecision reads what the new address decided about the change of c's address.
func addressDecision(c *v1alpha1.Contact, newAddress string) func(Gomega) v1alpha1.Decision {
	return func(g Gomega) v1alpha1.Decision {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(c), c)).To(Succeed())
		switch ch := c.Status.EmailChange; {
		case ch == nil && c.Status.VerifiedEmail == newAddress, ch != nil && ch.ConfirmedAt != nil:
			return v1alpha1.DecisionApproved
		case ch != nil && ch.RefusedBy != "":
			return v1alpha1.DecisionRefused
		}
		return ""
	}
}

var _ = Describe("Pages in a real browser", Ordered, ContinueOnFailure, Label("browser"), func() {
	var b *browser.Browser
	f := &pagesFixture{}

	BeforeAll(func() {
		path, err := browser.Find()
		if err != nil {
			Skip(err.Error())
		}
		b, err = browser.Start(browser.Options{Path: path, Screenshots: screenshotDir})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(b.Close)

		f.smtp = smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
		f.ns = newNamespace()
		for _, obj := range samples(f.ns) {
			if org, ok := obj.(*v1alpha1.Organization); ok {
				withMail(f.smtp)(org)
			}
			create(obj)
		}
		Eventually(condition(organization(f.ns, "acme"), v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Eventually(holderOf(assignment(f.ns, "acme", "acme-billing", "", "", ""))).Should(Equal("bob"))
	})

	// openTab opens a fresh tab, closed when the spec ends.
	openTab := func() *browser.Tab {
		GinkgoHelper()
		tab, err := b.NewTab()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(tab.Close)
		return tab
	}
	// open loads a link and expects the page.
	open := func(tab *browser.Tab, link string) *browser.Response {
		GinkgoHelper()
		resp, err := tab.Open(link)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Status).To(Equal(http.StatusOK), "GET %s", link)
		return resp
	}
	screenshot := func(tab *browser.Tab, name string) {
		GinkgoHelper()
		path, err := tab.Screenshot(name)
		Expect(err).NotTo(HaveOccurred())
		AddReportEntry("screenshot", path)
	}
	// expectDone checks the page shown after a decision, in the party's language.
	expectDone := func(tab *browser.Tab, resp *browser.Response, locale, text string) {
		GinkgoHelper()
		Expect(resp.Status).To(Equal(http.StatusOK))
		Expect(resp.RequestHeader).NotTo(HaveKey("Referer"), "the link, with its token, never leaves in a Referer")
		Expect(tab.Lang()).To(Equal(locale))
		Expect(tab.Text("main")).To(ContainSubstring(text))
	}
	// pressTab moves the focus n times and returns the focused element.
	pressTab := func(tab *browser.Tab, n int) browser.Element {
		GinkgoHelper()
		for range n {
			Expect(tab.Press(browser.KeyTab)).To(Succeed())
		}
		el, err := tab.Focused()
		Expect(err).NotTo(HaveOccurred())
		return el
	}

	pageSpecs := func(kind func() pageKind, refusable bool) {
		It("shows the request in English and in French, each with its lang and a name for every control", func() {
			k := kind()
			for _, locale := range []string{"en", "fr"} {
				req := k.request(locale)
				tab := openTab()
				open(tab, req.link)
				Expect(tab.Lang()).To(Equal(locale))
				Expect(tab.Text("h1")).NotTo(BeEmpty())
				// Every control a person operates has the name a screen reader announces: these two buttons,
				// and no field without a label (the token is a hidden field).
				Expect(tab.Controls()).To(Equal(k.controls(locale)))
				screenshot(tab, k.name+"-"+locale)
			}
		})

		It("answers with strict security headers, as the browser receives them, and cannot be framed", func() {
			k := kind()
			req := k.request("en")
			tab := openTab()
			resp := open(tab, req.link)
			Expect(resp.Header.Get("Content-Security-Policy")).To(And(ContainSubstring("default-src 'none'"),
				ContainSubstring("form-action 'self'"), ContainSubstring("frame-ancestors 'none'"), ContainSubstring("base-uri 'none'")))
			Expect(resp.Header.Get("X-Frame-Options")).To(Equal("DENY"))
			Expect(resp.Header.Get("Referrer-Policy")).To(Equal("no-referrer"))
			Expect(resp.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
			Expect(resp.Header.Get("Cache-Control")).To(Equal("no-store"))
			Expect(resp.Header.Get("Content-Type")).To(Equal("text/html; charset=utf-8"))

			// The page works under its own policy: nothing of it is blocked, and its inline style applies.
			Expect(tab.Violations()).To(BeEmpty())
			Expect(browser.Eval[string](tab, `getComputedStyle(document.querySelector('button')).backgroundColor`)).
				To(Equal("rgb(31, 136, 61)"))
			// A script slipped into the page does not run.
			Expect(browser.Eval[bool](tab, `(() => { const s = document.createElement('script');
				s.textContent = 'window.__ran = true'; document.body.append(s); return window.__ran === true; })()`)).To(BeFalse())
			Expect(tab.Violations()).To(ContainElement(HavePrefix("script-src-elem blocked")))

			// Another origin cannot frame it (clickjacking): the browser shows its error page in the frame.
			framer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><title>framer</title><iframe src="%s"></iframe></html>`, req.link)
			}))
			DeferCleanup(framer.Close)
			open(tab, framer.URL)
			Expect(tab.Frames()).To(ConsistOf(HavePrefix("chrome-error://")))

			Expect(req.decision(Default)).To(BeEmpty(), "loading and framing decide nothing")
		})

		It("decides nothing when the link is opened, however often, and records Approve clicked with the mouse", func() {
			k := kind()
			req := k.request("en")
			tab := openTab()
			open(tab, req.link)
			open(tab, req.link)
			Consistently(req.decision, "1s").Should(BeEmpty(), "a GET never decides (mail scanners open links)")

			resp, err := tab.Click(k.approveButton())
			Expect(err).NotTo(HaveOccurred())
			expectDone(tab, resp, "en", k.texts["en"].approved)
			Eventually(req.decision).Should(Equal(v1alpha1.DecisionApproved))
			screenshot(tab, k.name+"-en-done")

			// The link is single-use: the generic page, in both languages.
			resp, err = tab.Open(req.link)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.Status).To(Equal(http.StatusNotFound))
			Expect(tab.Lang()).To(Equal("en"))
			Expect(tab.Text("h1")).To(Equal("This link is not valid or has expired."))
			Expect(tab.Text(`p[lang="fr"]`)).To(Equal("Ce lien n’est pas valide ou a expiré."))
		})

		if refusable {
			It("records Refuse made with the keyboard alone: Tab, Tab, Space", func() {
				k := kind()
				req := k.request("fr")
				tab := openTab()
				open(tab, req.link)
				Expect(pressTab(tab, 1)).To(And(HaveField("Text", k.texts["fr"].approve), HaveField("FocusVisible", true)))
				Expect(pressTab(tab, 1)).To(And(HaveField("Text", k.texts["fr"].refuse), HaveField("FocusVisible", true)))
				screenshot(tab, k.name+"-fr-keyboard")
				resp, err := tab.PressToSubmit(browser.KeySpace)
				Expect(err).NotTo(HaveOccurred())
				expectDone(tab, resp, "fr", k.texts["fr"].refused)
				Eventually(req.decision).Should(Equal(v1alpha1.DecisionRefused))
			})
		}

		It("records Approve made with the keyboard alone: Tab, Enter", func() {
			k := kind()
			req := k.request("en")
			tab := openTab()
			open(tab, req.link)
			Expect(pressTab(tab, 1)).To(And(HaveField("Tag", "button"), HaveField("Value", cmp.Or(k.approveValue, "Approved")), HaveField("FocusVisible", true)))
			resp, err := tab.PressToSubmit(browser.KeyEnter)
			Expect(err).NotTo(HaveOccurred())
			expectDone(tab, resp, "en", k.texts["en"].approved)
			Eventually(req.decision).Should(Equal(v1alpha1.DecisionApproved))
		})
	}

	Context("the approval page", func() { pageSpecs(func() pageKind { return approvalPageKind(f) }, true) })
	Context("the address-confirmation page", func() { pageSpecs(func() pageKind { return addressPageKind(f) }, true) })
	Context("the re-confirmation page", func() { pageSpecs(func() pageKind { return reconfirmPageKind(f) }, false) })

	It("approves the change of an approver's address on the page of its old address", func() {
		carol := contact(f.ns, "acme", "carol")
		newAddress := "carol@new.example"
		edit(carol, func() { carol.Spec.Email = newAddress })
		confirm := f.linkIn(newAddress, notify.EmailConfirmationRequested, approvalPage.URL+"/confirm/")
		// Alice (French), another initiator, may approve it too.
		approve := f.linkIn("alice.martin@acme.example", notify.EmailChangeRequested, approvalPage.URL+"/confirm/")

		tab := openTab()
		open(tab, confirm)
		resp, err := tab.Click("button[value=Approved]")
		Expect(err).NotTo(HaveOccurred())
		expectDone(tab, resp, "en", "Your address is confirmed")
		Consistently(func() string { return fetch(carol).Status.VerifiedEmail }, "1s").Should(Equal("carol.whitfield@acme.example"),
			"an approver's new address also needs the approval of an initiator")

		open(tab, approve)
		Expect(tab.Lang()).To(Equal("fr"))
		Expect(tab.Text("main")).To(And(ContainSubstring("carol.whitfield@acme.example"), ContainSubstring(newAddress)))
		Expect(tab.Controls()).To(Equal([]browser.Control{{Role: "button", Name: "Approuver"}, {Role: "button", Name: "Refuser"}}))
		screenshot(tab, "address-approval-fr")
		Expect(pressTab(tab, 1)).To(HaveField("Value", "Approved"))
		resp, err = tab.PressToSubmit(browser.KeyEnter)
		Expect(err).NotTo(HaveOccurred())
		expectDone(tab, resp, "fr", "Votre approbation a été enregistrée")
		Eventually(condition(carol, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.EmailVerifiedReason))
		Expect(carol.Status.VerifiedEmail).To(Equal(newAddress))
	})

	// Last: it moves billing to ivan, which the approval page's requests start from.
	It("moves the role once both parties approved on their pages, one by keyboard and one by mouse", func() {
		t := transfer(f.ns, "billing-to-ivan", "billing", "", "bob", "ivan", "alice")
		create(t)
		prefix := approvalPage.URL + "/approve/" + string(fetch(t).UID) + "?token="
		tab := openTab()

		open(tab, f.linkIn("ivan.petrov@acme.example", notify.TransferRequested, prefix))
		Expect(pressTab(tab, 1)).To(HaveField("Value", "Approved"))
		_, err := tab.PressToSubmit(browser.KeyEnter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(decisionOf(t, "ivan")).Should(HaveField("Via", v1alpha1.DecisionViaLink))
		Expect(holderOf(assignment(f.ns, "acme", "acme-billing", "", "", ""))(Default)).To(Equal("bob"))

		open(tab, f.linkIn("alice.martin@acme.example", notify.TransferRequested, prefix))
		resp, err := tab.Click("button[value=Approved]")
		Expect(err).NotTo(HaveOccurred())
		expectDone(tab, resp, "fr", "Votre approbation a été enregistrée")
		Eventually(condition(t, v1alpha1.CompletedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.CompletedReason))
		Expect(holderOf(assignment(f.ns, "acme", "acme-billing", "", "", ""))(Default)).To(Equal("ivan"))
		Expect(decisionOf(t, "alice")(Default).Via).To(Equal(v1alpha1.DecisionViaLink))
	})
})
