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
