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
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/notify/smtptest"
)

// touchObject changes an annotation, which makes the operator reconcile obj at once, as the requeue it
// scheduled would once the real clock got there.
func touchObject(obj client.Object) {
	GinkgoHelper()
	edit(obj, func() {
		a := obj.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a["test.roster.dev/clock"] = testNow().Format(time.RFC3339Nano)
		obj.SetAnnotations(a)
	})
}

// linkIn returns the first line of an email's text that holds a link of the approval page under path.
func linkIn(text, path string) string {
	GinkgoHelper()
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, approvalPage.URL+path) {
			return strings.TrimSpace(line)
		}
	}
	Fail("no " + path + " link in:\n" + text)
	return ""
}

// countMail counts the messages of one type sent to an address, for Eventually and Consistently.
func countMail(smtp *smtptest.Server, address string, typ notify.Type) func() int {
	return func() int { return len(mailTo(smtp, address, typ)) }
}

// postForm posts a form to a link of the approval page (without its query) and returns the status code.
func postForm(link string, form url.Values) int {
	GinkgoHelper()
	u, err := url.Parse(link)
	Expect(err).NotTo(HaveOccurred())
	u.RawQuery = ""
	resp, err := http.PostForm(u.String(), form)
	Expect(err).NotTo(HaveOccurred())
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func tokenInLink(link string) string {
	GinkgoHelper()
	u, err := url.Parse(link)
	Expect(err).NotTo(HaveOccurred())
	return u.Query().Get("token")
}

var _ = Describe("Reminders", func() {
	// setup: acme sends email; alice is primary, dave technical, bob billing; a transfer of billing from
	// bob to frank, asked by alice, awaits alice and frank (bob is told).
	setup := func(smtp *smtptest.Server, mutate ...func(*v1alpha1.Organization)) *v1alpha1.ContactTransfer {
		ns := newNamespace()
		billing := assignment(ns, "acme", "acme-billing", "billing", "", "bob")
		create(organization(ns, "acme", append([]func(*v1alpha1.Organization){withMail(smtp)}, mutate...)...),
			contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "dave"), contact(ns, "acme", "frank"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-technical", "technical", "", "dave"), billing)
		Eventually(holderOf(billing)).Should(Equal("bob"))
		t := transfer(ns, "billing-to-frank", "billing", "", "bob", "frank", "alice")
		create(t)
		Eventually(countMail(smtp, "frank@acme.example", notify.TransferRequested)).Should(Equal(1))
		Eventually(countMail(smtp, "alice@acme.example", notify.TransferRequested)).Should(Equal(1))
		return t
	}

	It("remind the undecided parties at 50% and 90% of the token lifetime, once each, across replays and restarts", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
		t := setup(smtp)
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
		Eventually(decisionOf(t, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))

		skipAhead(84*time.Hour + time.Minute) // half of the default tokenTTL (168h)
		touchObject(t)
		Eventually(countMail(smtp, "frank@acme.example", notify.TransferReminder)).Should(Equal(1))
		Expect(fetch(t).Status.Reminded).To(Equal([]string{"50%"}))
		reminder := mailTo(smtp, "frank@acme.example", notify.TransferReminder)[0]
		Expect(reminder.Subject).To(Equal("[acme] Reminder: your approval is still needed for transfer of the role billing"))
		request := mailTo(smtp, "frank@acme.example", notify.TransferRequested)[0]
		Expect(linkIn(reminder.Text, "/approve/")).To(Equal(linkIn(request.Text, "/approve/")),
			"a reminder brings the link of the round again, no new secret")

		By("a replay of the reconcile and a restart of the operator send nothing more")
		touchObject(t)
		restartManager()
		touchObject(t)
		Consistently(countMail(smtp, "frank@acme.example", notify.TransferReminder)).Should(Equal(1))

		skipAhead(68 * time.Hour) // 152h: past 90%
		touchObject(t)
		Eventually(countMail(smtp, "frank@acme.example", notify.TransferReminder)).Should(Equal(2))
		Expect(fetch(t).Status.Reminded).To(ConsistOf("50%", "90%"))
		touchObject(t)
		Consistently(countMail(smtp, "frank@acme.example", notify.TransferReminder)).Should(Equal(2))
		Expect(mailTo(smtp, "alice@acme.example", notify.TransferReminder)).To(BeEmpty(), "alice decided")
		Expect(mailTo(smtp, "bob@acme.example", notify.TransferReminder)).To(BeEmpty(), "bob is told, not asked")

		By("the link of a reminder still decides, once")
		usePage(linkIn(reminder.Text, "/approve/"), string(v1alpha1.DecisionApproved))
		Eventually(decisionOf(t, "frank")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
	})

	It("start again with a new round of tokens", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
		t := setup(smtp, func(o *v1alpha1.Organization) { o.Spec.Approval.Reminders = []string{"20%"} })

		skipAhead(34 * time.Hour) // 20% of 168h is 33.6h
		touchObject(t)
		Eventually(countMail(smtp, "frank@acme.example", notify.TransferReminder)).Should(Equal(1))
		Expect(fetch(t).Status.Reminded).To(Equal([]string{"20%"}))

		annotate(t, v1alpha1.ResendAnnotation, "frank lost the mail")
		Eventually(func() int32 { return fetch(t).Status.NotifiedRound }).Should(Equal(int32(2)))
		Expect(t.Status.Reminded).To(BeEmpty(), "a new round is reminded again")
		Eventually(countMail(smtp, "frank@acme.example", notify.TransferRequested)).Should(Equal(2))

		skipAhead(34 * time.Hour)
		touchObject(t)
		Eventually(countMail(smtp, "frank@acme.example", notify.TransferReminder)).Should(Equal(2))
		Expect(fetch(t).Status.Reminded).To(Equal([]string{"20%"}))
		reminders := mailTo(smtp, "frank@acme.example", notify.TransferReminder)
		requests := mailTo(smtp, "frank@acme.example", notify.TransferRequested)
		Expect(linkIn(reminders[1].Text, "/approve/")).To(Equal(linkIn(requests[1].Text, "/approve/")))
		Expect(linkIn(reminders[1].Text, "/approve/")).NotTo(Equal(linkIn(reminders[0].Text, "/approve/")))
		Consistently(countMail(smtp, "frank@acme.example", notify.TransferReminder)).Should(Equal(2))
	})
})

var _ = Describe("Periodic re-confirmation", func() {
	const every, within = 100 * time.Hour, 10 * time.Hour

	It("asks each holder of a principal role on a single-use link, records its answer, and tells of a lapse once without revoking", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
		ns := newNamespace()
		billing := assignment(ns, "acme", "acme-billing", "billing", "", "bob")
		create(organization(ns, "acme", withMail(smtp), func(o *v1alpha1.Organization) {
			o.Spec.Reconfirmation = &v1alpha1.ReconfirmationSettings{Every: metav1.Duration{Duration: every}, Within: &metav1.Duration{Duration: within}}
		}),
			contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "carol"), contact(ns, "acme", "dave"),
			contact(ns, "acme", "frank"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-admin", "administrative", "", "carol"),
			assignment(ns, "acme", "acme-invoices", "unpaid-invoices", "", "dave"), billing)
		Eventually(holderOf(billing)).Should(Equal("bob"))
		bob := contact(ns, "acme", "bob")
		Eventually(condition(bob, v1alpha1.ReconfirmedCondition)).Should(And(
			haveStatus(metav1.ConditionUnknown, v1alpha1.AwaitingReconfirmationReason), HaveField("Message", ContainSubstring("first request goes out on"))))
		Expect(bob.Status.Reconfirmation).To(BeNil())
		Expect(bob.Status.ReconfirmationSince).NotTo(BeNil())

		By("a contact without a principal role has no Reconfirmed condition")
		for _, name := range []string{"dave", "frank"} {
			Eventually(func() []v1alpha1.HeldRole { return fetch(contact(ns, "acme", name)).Status.Roles }).Should(
				Or(BeEmpty(), ConsistOf(HaveField("Role", "unpaid-invoices"))))
			Consistently(condition(contact(ns, "acme", name), v1alpha1.ReconfirmedCondition), "1s").Should(BeNil(), name)
		}

		By("the first request goes out between every/2 and every after it came under re-confirmation")
		first := bob.Status.ReconfirmationSince.Add(approval.FirstReconfirmDelay(bob.UID, every))
		Expect(first.Sub(bob.Status.ReconfirmationSince.Time)).To(BeNumerically(">=", every/2))
		skipAhead(first.Sub(testNow()) - time.Minute)
		touchObject(bob)
		Consistently(countMail(smtp, "bob@acme.example", notify.ReconfirmationRequested), "1s").Should(BeZero())
		skipAhead(2 * time.Minute)
		touchObject(bob)
		Eventually(countMail(smtp, "bob@acme.example", notify.ReconfirmationRequested)).Should(Equal(1))
		Eventually(condition(bob, v1alpha1.ReconfirmedCondition)).Should(haveStatus(metav1.ConditionUnknown, v1alpha1.AwaitingReconfirmationReason))
		Expect(bob.Status.Reconfirmation).To(HaveField("Round", int32(1)))
		mail := mailTo(smtp, "bob@acme.example", notify.ReconfirmationRequested)[0]
		Expect(mail.Subject).To(Equal("[acme] Are you still the right contact?"))
		link := linkIn(mail.Text, "/reconfirm/")
		Expect(link).To(HavePrefix(approvalPage.URL + "/reconfirm/" + string(bob.UID) + "?token="))

		By("opening the link changes nothing")
		resp, err := http.Get(link)
		Expect(err).NotTo(HaveOccurred())
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(string(page)).To(ContainSubstring("I am still the right contact"))
		Consistently(func() *metav1.Time { return fetch(bob).Status.ReconfirmedAt }, "1s").Should(BeNil())

		By("a forged token, or another secret of bob's, is refused")
		Expect(postForm(link, url.Values{"token": {strings.Repeat("A", 43)}, "decision": {"Confirmed"}})).To(Equal(http.StatusNotFound))
		Expect(postForm(approval.ReconfirmLink(approvalPage.URL, bob.UID, "x"+tokenInLink(link)[1:]),
			url.Values{"token": {"x" + tokenInLink(link)[1:]}, "decision": {"Confirmed"}})).To(Equal(http.StatusNotFound))
		Expect(fetch(bob).Status.ReconfirmedAt).To(BeNil())

		By("posting the Confirm button confirms, once")
		Expect(postForm(link, url.Values{"token": {tokenInLink(link)}, "decision": {"Confirmed"}})).To(Equal(http.StatusOK))
		Eventually(condition(bob, v1alpha1.ReconfirmedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.ReconfirmedReason))
		Expect(bob.Status.ReconfirmedAt).NotTo(BeNil())
		Expect(bob.Status.Reconfirmation).To(BeNil())
		Expect(postForm(link, url.Values{"token": {tokenInLink(link)}, "decision": {"Confirmed"}})).To(Equal(http.StatusNotFound),
			"a reused link fails")

		By("nobody but the operator writes status.reconfirmedAt")
		expectForbidden(mergePatch(mallory(), latest(contact(ns, "acme", "frank")), true,
			`{"status":{"reconfirmedAt":"2099-01-01T00:00:00Z"}}`), "contacts.roster.dev", operatorOnly)
		Expect(mergePatch(editorIn(ns), latest(contact(ns, "acme", "alice")), true,
			`{"status":{"reconfirmedAt":"2099-01-01T00:00:00Z","reconfirmation":null}}`)).NotTo(Succeed())
		Expect(fetch(contact(ns, "acme", "frank")).Status.ReconfirmedAt).To(BeNil())

		By("every later, it is asked again; past its due date it lapses, and the primary and administrative contacts are told once")
		skipAhead(every + time.Minute)
		touchObject(bob)
		Eventually(countMail(smtp, "bob@acme.example", notify.ReconfirmationRequested)).Should(Equal(2))
		skipAhead(within + time.Minute)
		touchObject(bob)
		Eventually(condition(bob, v1alpha1.ReconfirmedCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.ReconfirmationLapsedReason))
		Expect(bob.Status.Reconfirmation.LapseNotified).To(BeTrue())
		for _, who := range []string{"alice@acme.example", "carol@acme.example"} {
			Eventually(countMail(smtp, who, notify.ReconfirmationLapsed)).Should(Equal(1), who)
		}
		lapse := mailTo(smtp, "alice@acme.example", notify.ReconfirmationLapsed)[0]
		Expect(lapse.Subject).To(Equal("[acme] bob did not confirm it is still the right contact"))
		touchObject(bob)
		restartManager()
		touchObject(bob)
		Consistently(countMail(smtp, "alice@acme.example", notify.ReconfirmationLapsed)).Should(Equal(1))
		Expect(mailTo(smtp, "bob@acme.example", notify.ReconfirmationLapsed)).To(BeEmpty())
		Expect(fetch(billing).Status.Holder).To(Equal("bob"), "a lapse revokes nothing")

		By("a late answer on the lapsed request's link still counts")
		late := linkIn(mailTo(smtp, "bob@acme.example", notify.ReconfirmationRequested)[1].Text, "/reconfirm/")
		Expect(postForm(late, url.Values{"token": {tokenInLink(late)}, "decision": {"Confirmed"}})).To(Equal(http.StatusOK))
		Eventually(condition(bob, v1alpha1.ReconfirmedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.ReconfirmedReason))

		By("turning re-confirmation off removes the condition")
		org := organization(ns, "acme")
		edit(org, func() { org.Spec.Reconfirmation = nil })
		Eventually(condition(bob, v1alpha1.ReconfirmedCondition)).Should(BeNil())
		Expect(bob.Status.ReconfirmedAt).NotTo(BeNil(), "the last answer is kept")
	})

	It("Security: a transfer's secret does not answer a re-confirmation, nor the other way round", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
		ns := newNamespace()
		billing := assignment(ns, "acme", "acme-billing", "billing", "", "bob")
		create(organization(ns, "acme", withMail(smtp), func(o *v1alpha1.Organization) {
			o.Spec.Reconfirmation = &v1alpha1.ReconfirmationSettings{Every: metav1.Duration{Duration: every}, Within: &metav1.Duration{Duration: within}}
		}),
			contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "frank"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"), billing)
		Eventually(holderOf(billing)).Should(Equal("bob"))
		alice := contact(ns, "acme", "alice")
		Eventually(func() *metav1.Time { return fetch(alice).Status.ReconfirmationSince }).ShouldNot(BeNil())
		skipAhead(every + time.Minute)
		touchObject(alice)
		Eventually(countMail(smtp, "alice@acme.example", notify.ReconfirmationRequested)).Should(Equal(1))
		reconfirmLink := linkIn(mailTo(smtp, "alice@acme.example", notify.ReconfirmationRequested)[0].Text, "/reconfirm/")

		t := transfer(ns, "billing-to-frank", "billing", "", "bob", "frank", "alice")
		create(t)
		Eventually(countMail(smtp, "alice@acme.example", notify.TransferRequested)).Should(Equal(1))
		approveLink := linkIn(mailTo(smtp, "alice@acme.example", notify.TransferRequested)[0].Text, "/approve/")

		// alice's transfer token, on the re-confirmation page of alice and of the transfer.
		transferToken, reconfirmToken := tokenInLink(approveLink), tokenInLink(reconfirmLink)
		for _, link := range []string{
			approval.ReconfirmLink(approvalPage.URL, alice.UID, transferToken),
			approval.ReconfirmLink(approvalPage.URL, fetch(t).UID, transferToken),
		} {
			Expect(postForm(link, url.Values{"token": {transferToken}, "decision": {"Confirmed"}})).To(Equal(http.StatusNotFound))
		}
		// alice's re-confirmation token, on the transfer's approval page.
		Expect(postForm(approval.Link(approvalPage.URL, t.UID, reconfirmToken),
			url.Values{"token": {reconfirmToken}, "decision": {string(v1alpha1.DecisionApproved)}})).To(Equal(http.StatusNotFound))
		Consistently(func(g Gomega) {
			g.Expect(fetch(alice).Status.ReconfirmedAt).To(BeNil())
			g.Expect(fetch(alice).Status.Reconfirmation).NotTo(BeNil())
			g.Expect(approval.DecisionOf(fetch(t), "alice")).To(Equal(v1alpha1.DecisionPending))
		}).Should(Succeed())
	})
})
