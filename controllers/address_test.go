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
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/notify/smtptest"
)

// linkOf waits for a notification of typ about obj to reach contact, and returns its recipient entry.
func recipientOf(ns, name string, typ notify.Type, contact string) notify.Recipient {
	GinkgoHelper()
	var out notify.Recipient
	Eventually(func(g Gomega) {
		found := false
		for _, n := range sent.about(ns, name, typ) {
			for _, r := range n.Recipients {
				if r.Contact == contact {
					out, found = r, true
				}
			}
		}
		g.Expect(found).To(BeTrue(), "no %s to %s yet", typ, contact)
	}).Should(Succeed())
	return out
}

// usePage opens a link of the approval page, checks the page, and posts the decision.
func usePage(link, decision string) {
	GinkgoHelper()
	resp, err := http.Get(link)
	Expect(err).NotTo(HaveOccurred())
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusOK), string(page))
	u, err := url.Parse(link)
	Expect(err).NotTo(HaveOccurred())
	token := u.Query().Get("token")
	u.RawQuery = ""
	resp, err = http.PostForm(u.String(), url.Values{"token": {token}, "decision": {decision}})
	Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
}

var _ = Describe("Security #7: addresses are verified", func() {

	setup := func() (string, *v1alpha1.Organization) {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
		ns := newNamespace()
		org := organization(ns, "acme", initialRosterWindow(3*time.Second), func(o *v1alpha1.Organization) {
			o.Spec.Notifications = &v1alpha1.NotificationSettings{Email: &v1alpha1.EmailSettings{SMTP: v1alpha1.SMTPSettings{
				Host: smtp.Host(), Port: int32(smtp.Port()), From: "roster@acme.example", TLS: v1alpha1.SMTPTLSNone}}}
		})
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "frank"),
			contact(ns, "acme", "carol"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-admin", "administrative", "", "carol"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"))
		Eventually(holderOf(assignment(ns, "acme", "acme-billing", "", "", ""))).Should(Equal("bob"))
		afterInitialRoster(org)
		return ns, org
	}
	setEmail := func(c *v1alpha1.Contact, email string) {
		GinkgoHelper()
		edit(c, func() { c.Spec.Email = email })
	}

	It("takes a first address as declared, and verifies it when a token sent there is used", func() {
		ns, _ := setup()
		bob := contact(ns, "acme", "bob")
		Eventually(condition(bob, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.EmailDeclaredReason))
		Expect(bob.Status.VerifiedEmail).To(Equal("bob@acme.example"))

		t := transfer(ns, "bob-away", "billing", "", "bob", "frank", "bob")
		create(t)
		Expect(recipientOf(ns, t.Name, notify.TransferRequested, "bob").Email).To(Equal("bob@acme.example"))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "bob", 1))
		Eventually(decisionOf(t, "bob")).Should(HaveField("Email", "bob@acme.example"))
		Eventually(condition(bob, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.EmailVerifiedReason))
	})

	It("Security #7: an approver's new address takes effect only once it confirms and the old address approves", func() {
		ns, _ := setup()
		alice := contact(ns, "acme", "alice")
		Eventually(condition(alice, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.EmailDeclaredReason))

		// A namespace editor points alice's address at a mailbox it controls.
		setEmail(alice, "alice@evil.example")
		Eventually(condition(alice, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.EmailAwaitingConfirmationReason))
		Expect(alice.Status.VerifiedEmail).To(Equal("alice@acme.example"))
		Expect(alice.Status.EmailChange).To(And(HaveField("Email", "alice@evil.example"), HaveField("NeedsApproval", true)))

		// The new address gets its confirmation link; the old address is told, with the link that approves.
		confirm := recipientOf(ns, "alice", notify.EmailConfirmationRequested, "alice")
		Expect(confirm.Email).To(Equal("alice@evil.example"))
		Expect(confirm.Link).To(HavePrefix(approvalPage.URL + "/confirm/" + string(alice.UID) + "?token="))
		old := recipientOf(ns, "alice", notify.EmailChangeRequested, "alice")
		Expect(old.Email).To(Equal("alice@acme.example"))
		Expect(old.Link).NotTo(BeEmpty())
		Expect(recipientOf(ns, "alice", notify.EmailChangeRequested, "carol").Link).NotTo(BeEmpty(), "another initiator may approve")

		// Meanwhile alice's tokens go to her verified address, resends included.
		t := transfer(ns, "to-frank", "billing", "", "bob", "frank", "alice")
		create(t)
		Expect(recipientOf(ns, t.Name, notify.TransferRequested, "alice").Email).To(Equal("alice@acme.example"))

		// The new address confirms: not enough for an approver.
		usePage(confirm.Link, "Approved")
		Eventually(func() *metav1.Time { return fetch(alice).Status.EmailChange.ConfirmedAt }).ShouldNot(BeNil())
		skipAhead(approval.ResendInterval) // a transfer issues at most one round every ResendInterval
		annotate(t, v1alpha1.ResendAnnotation, "")
		Eventually(func() int32 { return fetch(t).Status.NotifiedRound }).Should(BeEquivalentTo(2))
		for _, n := range sent.about(ns, t.Name, notify.TransferRequested) {
			for _, r := range n.Recipients {
				if r.Contact == "alice" {
					Expect(r.Email).To(Equal("alice@acme.example"))
				}
			}
		}
		// The confirmation link is single-use.
		resp, err := http.Get(confirm.Link)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusNotFound))

		// The old address approves: the new address is in effect, and the pending round goes there.
		usePage(old.Link, "Approved")
		Eventually(condition(alice, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.EmailVerifiedReason))
		Expect(alice.Status.VerifiedEmail).To(Equal("alice@evil.example"))
		Eventually(func() int32 { return fetch(t).Status.Round }).Should(BeEquivalentTo(3))
		Eventually(func() string {
			r := recipientOf(ns, t.Name, notify.TransferRequested, "alice")
			for _, n := range sent.about(ns, t.Name, notify.TransferRequested) {
				if strings.HasSuffix(n.Key, "/round-3") {
					for _, rr := range n.Recipients {
						if rr.Contact == "alice" {
							r = rr
						}
					}
				}
			}
			return r.Email
		}).Should(Equal("alice@evil.example"))
	})

	It("Security #7: a refusal by the old address keeps the verified address", func() {
		ns, _ := setup()
		alice := contact(ns, "acme", "alice")
		Eventually(condition(alice, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.EmailDeclaredReason))
		setEmail(alice, "alice@evil.example")
		usePage(recipientOf(ns, "alice", notify.EmailConfirmationRequested, "alice").Link, "Approved")
		usePage(recipientOf(ns, "alice", notify.EmailChangeRequested, "alice").Link, "Refused")
		Eventually(condition(alice, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.EmailChangeRefusedReason))
		Consistently(func() string { return fetch(alice).Status.VerifiedEmail }).Should(Equal("alice@acme.example"))
	})

	It("asks a contact whose approval does not count only to confirm its new address", func() {
		ns, _ := setup()
		frank := contact(ns, "acme", "frank")
		Eventually(condition(frank, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.EmailDeclaredReason))
		setEmail(frank, "frank@new.example")
		old := recipientOf(ns, "frank", notify.EmailChangeRequested, "frank")
		Expect(old.Email).To(Equal("frank@acme.example"))
		Expect(old.Link).To(BeEmpty(), "the old address is only told")
		usePage(recipientOf(ns, "frank", notify.EmailConfirmationRequested, "frank").Link, "Approved")
		Eventually(condition(frank, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.EmailVerifiedReason))
		Expect(frank.Status.VerifiedEmail).To(Equal("frank@new.example"))
	})

	It("keeps addresses as declared when the organization sends no email", func() {
		ns := newNamespace()
		create(organization(ns, "quiet"), contact(ns, "quiet", "alice"))
		alice := contact(ns, "quiet", "alice")
		Eventually(condition(alice, v1alpha1.EmailVerifiedCondition)).Should(haveStatus(metav1.ConditionUnknown, v1alpha1.NoEmailChannelReason))
		setEmail(alice, "alice@elsewhere.example")
		Eventually(func() string { return fetch(alice).Status.VerifiedEmail }).Should(Equal("alice@elsewhere.example"))
	})
})
