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
)

var _ = Describe("A requester in Git", func() {
	It("names the requester of the change a Git edit opens, and says so when that contact may not ask", func() {
		ns := newNamespace()
		org := organization(ns, "acme", initialRosterWindow(3*time.Second))
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "carol"),
			contact(ns, "acme", "frank"), contact(ns, "acme", "gina"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-admin", "administrative", "", "carol"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"))
		billing := assignment(ns, "acme", "acme-billing", "", "", "")
		Eventually(holderOf(billing)).Should(Equal("bob"))
		afterInitialRoster(org)

		// Git: billing goes to frank, as carol asks.
		edit(billing, func() {
			billing.Annotations = map[string]string{v1alpha1.RequestedByAnnotation: "carol"}
			billing.Spec.ContactRef.Name = "frank"
		})
		Eventually(func() string { return fetch(billing).Status.Transfer }).ShouldNot(BeEmpty())
		t := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: billing.Status.Transfer}}
		Expect(fetch(t).Spec.RequestedBy).To(Equal(&v1alpha1.LocalObjectReference{Name: "carol"}))
		Eventually(func() []string { return partiesOf(fetch(t)) }).Should(ConsistOf("frank", "carol"), "carol and the newcomer decide")
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "carol", 1))
		Eventually(decisionOf(t, "carol")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "frank", 1))
		Eventually(holderOf(billing)).Should(Equal("frank"))
		Expect(fetch(billing).Annotations).To(HaveKeyWithValue(v1alpha1.RequestedByAnnotation, "carol"), "the operator never removes it")

		// Git again: to gina, as gina herself asks, who holds no initiator role: the assignment says why it
		// waits, and an unrelated sync of the same object still goes through.
		edit(billing, func() {
			billing.Annotations[v1alpha1.RequestedByAnnotation] = "gina"
			billing.Spec.ContactRef.Name = "gina"
		})
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(And(
			haveStatus(metav1.ConditionFalse, v1alpha1.RequesterNotAllowedReason),
			HaveField("Message", ContainSubstring(v1alpha1.RequestedByAnnotation))))
		edit(billing, func() { billing.Labels = map[string]string{"synced-by": "flux"} })
		Consistently(holderOf(billing)).WithTimeout(time.Second).Should(Equal("frank"))
	})
})

var _ = Describe("Site users (IBM self-nomination)", func() {
	It("are approved by the nominee and the technical contact of their own site, not of another", func() {
		ns := newNamespace()
		org := organization(ns, "acme", initialRosterWindow(3*time.Second), withScopes("site-paris", "site-lisbon"))
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "dave"), contact(ns, "acme", "erin"), contact(ns, "acme", "frank"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "tech-paris", "technical", "site-paris", "dave"),
			assignment(ns, "acme", "tech-lisbon", "technical", "site-lisbon", "erin"))
		Eventually(holderOf(assignment(ns, "acme", "tech-lisbon", "", "", ""))).Should(Equal("erin"))
		afterInitialRoster(org)

		// frank asks to be a site user in Paris: a RoleAssignment naming himself.
		nomination := assignment(ns, "acme", "frank-site-user-paris", "site-user", "site-paris", "frank")
		create(nomination)
		Eventually(condition(nomination, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		Eventually(func() string { return fetch(nomination).Status.Transfer }).ShouldNot(BeEmpty())
		t := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: nomination.Status.Transfer}}
		Eventually(func() []string { return partiesOf(fetch(t)) }).Should(ConsistOf("frank", "dave"), "erin, Lisbon's, is not asked")
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "frank", 1))
		Eventually(decisionOf(t, "frank")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "dave", 1))
		Eventually(holderOf(nomination)).Should(Equal("frank"))

		// dave cannot ask on frank's behalf for a Lisbon place.
		lisbon := transfer(ns, "frank-lisbon", "site-user", "site-lisbon", "", "frank", "dave")
		expectRefused(k8sClient.Create(context.Background(), lisbon), "spec.requestedBy.name", "may not request")
	})
})
