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
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/notify/smtptest"
)

// withMail sends the organization's notifications to the test SMTP server.
func withMail(smtp *smtptest.Server) func(*v1alpha1.Organization) {
	return func(o *v1alpha1.Organization) {
		o.Spec.Notifications = &v1alpha1.NotificationSettings{Email: &v1alpha1.EmailSettings{SMTP: v1alpha1.SMTPSettings{
			Host: smtp.Host(), Port: int32(smtp.Port()), From: "roster@acme.example", TLS: v1alpha1.SMTPTLSNone}}}
	}
}

var _ = Describe("Time-limited roles", func() {
	// touch changes an annotation, which makes the operator reconcile the assignment at once, as the
	// requeue it scheduled for the next notice would once the real clock got there.
	touch := func(ra *v1alpha1.RoleAssignment) {
		GinkgoHelper()
		edit(ra, func() {
			if ra.Annotations == nil {
				ra.Annotations = map[string]string{}
			}
			ra.Annotations["test.roster.dev/clock"] = testNow().Format(time.RFC3339Nano)
		})
	}
	subjectsTo := func(smtp *smtptest.Server, address string, typ notify.Type) func() []string {
		return func() []string {
			var out []string
			for _, m := range mailTo(smtp, address, typ) {
				out = append(out, m.Subject)
			}
			return out
		}
	}

	It("warn the holder, the primary and the administrative contacts a week and a day before, then end on the test's clock and leave a required role vacant", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
		ns := newNamespace()
		org := organization(ns, "acme", withMail(smtp))
		end := metav1.NewTime(time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second))
		tech := assignment(ns, "acme", "acme-technical", "technical", "", "bob")
		tech.Spec.ValidUntil = &end
		create(org, contact(ns, "acme", "alice", func(c *v1alpha1.Contact) { c.Spec.Locale = v1alpha1.LocaleFrench }),
			contact(ns, "acme", "bob"), contact(ns, "acme", "carol"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-admin", "administrative", "", "carol"), tech)
		Eventually(holderOf(tech)).Should(Equal("bob"))
		Eventually(condition(org, v1alpha1.RolesSatisfiedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Expect(fetch(tech).Status.ExpiryNotice).To(BeNil(), "ten days before, nobody is told yet")

		skipAhead(4 * 24 * time.Hour) // six days left
		touch(tech)
		for _, who := range []string{"bob@acme.example", "carol@acme.example"} {
			Eventually(subjectsTo(smtp, who, notify.RoleExpiring)).Should(ConsistOf("[acme] Role technical ends within a week"))
		}
		Eventually(subjectsTo(smtp, "alice@acme.example", notify.RoleExpiring)).Should(
			ConsistOf("[acme] Le rôle technical prend fin dans moins d’une semaine"), "alice reads French")
		Expect(fetch(tech).Status.ExpiryNotice).To(Equal(&v1alpha1.ExpiryNotice{ValidUntil: end, Stage: v1alpha1.ExpiryWeek}))
		Expect(fetch(tech).Status.Holder).To(Equal("bob"))

		skipAhead(5*24*time.Hour + 12*time.Hour) // half a day left
		touch(tech)
		Eventually(subjectsTo(smtp, "bob@acme.example", notify.RoleExpiring)).Should(ConsistOf(
			"[acme] Role technical ends within a week", "[acme] Role technical ends within a day"), "each notice is sent once")
		Eventually(subjectsTo(smtp, "carol@acme.example", notify.RoleExpiring)).Should(HaveLen(2))
		day := mailTo(smtp, "bob@acme.example", notify.RoleExpiring)[1]
		Expect(day.Text).To(ContainSubstring("ends on " + end.UTC().Format("2 January 2006, 15:04 UTC")))
		Expect(day.Text).To(ContainSubstring("spec.validUntil on RoleAssignment acme-technical"))

		skipAhead(24 * time.Hour) // past the end
		touch(tech)
		Eventually(condition(tech, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.ExpiredReason),
			"an assignment that ended as declared has nothing left to do")
		Expect(fetch(tech).Status.Holder).To(BeEmpty())
		Eventually(condition(org, v1alpha1.RolesSatisfiedCondition)).Should(And(
			haveStatus(metav1.ConditionFalse, v1alpha1.RequiredRoleVacantReason), HaveField("Message", ContainSubstring("technical"))))
		for _, who := range []string{"bob@acme.example", "alice@acme.example", "carol@acme.example"} {
			Eventually(func() int { return len(mailTo(smtp, who, notify.RoleExpired)) }).Should(Equal(1), who)
		}
		Expect(mailTo(smtp, "bob@acme.example", notify.RoleRevoked)).To(BeEmpty(), "the end is told once, as the end")
		// A contact's roles are summarized once its assignments settle (a second at most).
		Eventually(func() []v1alpha1.HeldRole { return fetch(contact(ns, "acme", "bob")).Status.Roles }).Should(BeEmpty())

		By("the assignment that ended is not a holder: deleting it is not refused")
		Expect(k8sClient.Delete(context.Background(), tech)).To(Succeed())
	})

	It("refuses a validUntil in the past, and gives an ended two-party role back only through approval", func() {
		ns := newNamespace()
		org := organization(ns, "acme", initialRosterWindow(3*time.Second))
		billing := assignment(ns, "acme", "acme-billing", "billing", "", "bob")
		billing.Spec.ValidUntil = &metav1.Time{Time: time.Now().Add(time.Hour)}
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "bob"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"), billing)
		Eventually(holderOf(billing)).Should(Equal("bob"))

		late := assignment(ns, "acme", "acme-renewal", "renewal", "", "bob")
		late.Spec.ValidUntil = &metav1.Time{Time: time.Now().Add(-time.Minute)}
		err := k8sClient.Create(context.Background(), late)
		Expect(err).To(MatchError(And(ContainSubstring("spec.validUntil"), ContainSubstring("in the past"))))

		afterInitialRoster(org)
		Expect(fetch(billing).Status.Holder).To(Equal("bob"))
		skipAhead(2 * time.Hour)
		By("until the operator has recorded the end, the assignment cannot be extended to keep bob")
		Expect(tryEdit(billing, func() { billing.Spec.ValidUntil = &metav1.Time{Time: testNow().Add(30 * 24 * time.Hour)} })).To(
			MatchError(ContainSubstring("recording its end")))
		touch(billing)
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.ExpiredReason))
		Expect(billing.Status.Holder).To(BeEmpty())

		By("extending it once it has ended is a new holder like any other: it waits for two approvals")
		edit(billing, func() { billing.Spec.ValidUntil = &metav1.Time{Time: testNow().Add(30 * 24 * time.Hour)} })
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		Expect(billing.Status.Holder).To(BeEmpty())
		pending := billing.Status.Transfer
		Expect(pending).NotTo(BeEmpty())
		Consistently(holderOf(billing), "2s").Should(BeEmpty())

		By("moving validUntil again while the change waits keeps that transfer and its secrets")
		edit(billing, func() { billing.Spec.ValidUntil = &metav1.Time{Time: testNow().Add(60 * 24 * time.Hour)} })
		Eventually(func() int64 { return fetch(billing).Status.ObservedGeneration }).Should(Equal(billing.Generation))
		Expect(billing.Status.Transfer).To(Equal(pending))
		Expect(fetch(&v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pending}}).DeletionTimestamp).To(BeNil())
	})
})
