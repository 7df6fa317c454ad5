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
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/notify/smtptest"
)

var _ = Describe("Deputies", func() {
	It("get an away contact's notices, never its tokens, and stop once it is back", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
		ns := newNamespace()
		org := organization(ns, "acme", withMail(smtp))
		alice := contact(ns, "acme", "alice", func(c *v1alpha1.Contact) {
			c.Spec.DisplayName = "Alice Martin"
			c.Spec.Deputies = []v1alpha1.LocalObjectReference{{Name: "dave"}, {Name: "erin"}}
			c.Spec.Away = true
		})
		create(org, alice, contact(ns, "acme", "bob"), contact(ns, "acme", "dave"), contact(ns, "acme", "frank"),
			contact(ns, "acme", "erin", func(c *v1alpha1.Contact) { c.Spec.Away = true }),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"))
		Eventually(holderOf(assignment(ns, "acme", "acme-billing", "", "", ""))).Should(Equal("bob"))

		By("a transfer that alice must approve: dave gets a copy without alice's link or codes")
		t := transfer(ns, "billing-to-frank", "billing", "", "bob", "frank", "alice")
		create(t)
		secrets := []string{tokenOf(t, "alice", 1), approveCode(t, "alice", 1), refuseCode(t, "alice", 1)}
		Eventually(func() int { return len(mailTo(smtp, "dave@acme.example", notify.TransferRequested)) }).Should(Equal(1))
		copyToDave := mailTo(smtp, "dave@acme.example", notify.TransferRequested)[0]
		Expect(copyToDave.Text).To(ContainSubstring("You receive this copy as the deputy of Alice Martin, who is away."))
		Expect(copyToDave.Text).To(ContainSubstring("No action is needed from you."))
		Expect(copyToDave.Text + copyToDave.HTML).NotTo(ContainSubstring("/approve/"))
		for _, s := range secrets {
			Expect(copyToDave.Text + copyToDave.HTML).NotTo(ContainSubstring(s))
		}
		own := mailTo(smtp, "alice@acme.example", notify.TransferRequested)
		Expect(own).To(HaveLen(1), "alice still gets her own message")
		Expect(own[0].Text).To(ContainSubstring(secrets[0]))
		Consistently(func() []smtptest.Message { return mailTo(smtp, "erin@acme.example", notify.TransferRequested) }, "2s").
			Should(BeEmpty(), "a deputy who is away gets no copy")
		copies := 0
		for _, n := range sent.about(ns, t.Name, notify.TransferRequested) {
			for _, r := range n.Recipients {
				if r.Contact == "dave" {
					copies++
					Expect(r).To(And(HaveField("Token", BeEmpty()), HaveField("Link", BeEmpty()),
						HaveField("ApproveCode", BeEmpty()), HaveField("RefuseCode", BeEmpty()), HaveField("DeputyFor", "Alice Martin")))
				}
			}
		}
		Expect(copies).To(Equal(1), "the notifier channel got dave's copy too")

		By("a notice to the primary contact reaches dave while alice is away")
		edit(org, func() {
			org.Annotations = map[string]string{v1alpha1.NoticeAnnotation: `{"id":"audit","role":"primary","subject":"Audit","body":"The audit starts Monday."}`}
		})
		Eventually(func() int { return len(mailTo(smtp, "dave@acme.example", notify.Notice)) }).Should(Equal(1))

		By("once alice is back, dave gets nothing more")
		edit(alice, func() { alice.Spec.Away = false })
		Eventually(func() map[string]string { return fetch(org).Annotations }).ShouldNot(HaveKey(v1alpha1.NoticeAnnotation))
		edit(org, func() {
			org.Annotations = map[string]string{v1alpha1.NoticeAnnotation: `{"id":"audit-2","role":"primary","subject":"Audit","body":"It moved to Tuesday."}`}
		})
		Eventually(func() int { return len(mailTo(smtp, "alice@acme.example", notify.Notice)) }).Should(Equal(2))
		Consistently(func() []smtptest.Message { return mailTo(smtp, "dave@acme.example", notify.Notice) }, "2s").Should(HaveLen(1))
	})

	It("must be other contacts of the same organization", func() {
		ns := newNamespace()
		create(organization(ns, "acme"), organization(ns, "globex"),
			contact(ns, "acme", "alice"), contact(ns, "globex", "mallory"))
		alice := contact(ns, "acme", "alice")
		Expect(tryEdit(alice, func() { alice.Spec.Deputies = []v1alpha1.LocalObjectReference{{Name: "mallory"}} })).To(
			MatchError(And(ContainSubstring("spec.deputies[0].name"), ContainSubstring(`organization "globex"`))),
			"a contact of another organization would read acme's notices")
		Expect(tryEdit(alice, func() { alice.Spec.Deputies = []v1alpha1.LocalObjectReference{{Name: "alice"}} })).To(
			MatchError(ContainSubstring("spec.deputies must name other contacts")))
		Expect(tryEdit(alice, func() { alice.Spec.Deputies = []v1alpha1.LocalObjectReference{{Name: "nobody-yet"}} })).To(
			Succeed(), "a deputy may be created later: GitOps applies in any order")
	})
})
