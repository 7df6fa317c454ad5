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
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
)

var _ = Describe("RoleAssignment and Contact status", func() {
	ctx := context.Background()

	It("leaves exactly one of 20 concurrent primary assignments Ready", func() {
		ns := newNamespace()
		create(organization(ns, "acme"))
		for i := range 20 {
			create(contact(ns, "acme", fmt.Sprintf("c%02d", i)))
		}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				defer GinkgoRecover()
				// Admission refuses those that arrive after the cache has seen a holder; the others race.
				_ = k8sClient.Create(ctx, assignment(ns, "acme", fmt.Sprintf("primary-%02d", i), "primary", "", fmt.Sprintf("c%02d", i)))
			})
		}
		wg.Wait()

		readyHolders := func(g Gomega) []string {
			var list v1alpha1.RoleAssignmentList
			g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			g.Expect(list.Items).NotTo(BeEmpty())
			var holders []string
			for _, ra := range list.Items {
				ready := findCondition(ra.Status.Conditions, v1alpha1.ReadyCondition)
				g.Expect(ready).NotTo(BeNil(), "%s not evaluated yet", ra.Name)
				g.Expect(ready.ObservedGeneration).To(Equal(ra.Generation))
				if ready.Status == metav1.ConditionTrue {
					holders = append(holders, ra.Status.Holder)
				} else {
					g.Expect(ready.Reason).To(Equal(v1alpha1.ConflictReason))
				}
			}
			return holders
		}
		Eventually(readyHolders).Should(HaveLen(1))
		Consistently(readyHolders).Should(HaveLen(1))
		org := organization(ns, "acme")
		Eventually(func(g Gomega) []v1alpha1.RoleHolders {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(org), org)).To(Succeed())
			return org.Status.Roles
		}).Should(ContainElement(And(HaveField("Role", "primary"), HaveField("Holders", HaveLen(1)), HaveField("Satisfied", true))))
	})

	It("makes no API writes at rest, even when it reconciles everything again", func() {
		ns := newNamespace()
		objs := samples(ns)
		applyRetrying(objs)
		for _, o := range objs {
			Eventually(condition(o, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		}
		// Let the last reconciles triggered by the operator's own status writes drain.
		Eventually(writesIn(ns)).WithTimeout(10 * time.Second).Should(BeStableFor(2 * time.Second))

		writes := writesIn(ns)()
		reconciles := reconcileTotal()
		// A label change reaches the organization's controller, and through the watches every contact and
		// assignment of the organization.
		org := organization(ns, "acme")
		edit(org, func() {
			org.Labels = map[string]string{"touched": "yes"}
		})

		Eventually(reconcileTotal).Should(BeNumerically(">=", reconciles+float64(len(objs))))
		Consistently(writesIn(ns)).Should(Equal(writes), func() string {
			return "writes by kind:\n" + writesByKindIn(ns) + "\nlast writes:\n" + recentWrites.String()
		})
	})

	It("moves the roles of a disabled contact to its successor through a ContactTransfer the successor accepts", func() {
		ns := newNamespace()
		create(organization(ns, "acme"), contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "carol"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"),
			assignment(ns, "acme", "acme-renewal", "renewal", "", "bob"))
		bob := contact(ns, "acme", "bob")
		Eventually(func(g Gomega) []v1alpha1.HeldRole {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(bob), bob)).To(Succeed())
			return bob.Status.Roles
		}).Should(ConsistOf(v1alpha1.HeldRole{Role: "billing"}, v1alpha1.HeldRole{Role: "renewal"}))

		edit(bob, func() { bob.Spec.Disabled, bob.Spec.ReassignTo = true, &v1alpha1.LocalObjectReference{Name: "carol"} })

		// renewal needs no approval: it moves at once.
		renewal := assignment(ns, "acme", "acme-renewal", "", "", "")
		Eventually(holderOf(renewal)).Should(Equal("carol"))
		Expect(renewal.Spec.ContactRef.Name).To(Equal("carol"))

		// billing, a two-party role, stays with bob until carol accepts and an initiator (bob himself, or
		// alice, the primary contact) approves: disabling its holder is no way around the approval.
		billing := assignment(ns, "acme", "acme-billing", "", "", "")
		var t *v1alpha1.ContactTransfer
		Eventually(func(g Gomega) {
			var list v1alpha1.ContactTransferList
			g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			for i := range list.Items {
				if list.Items[i].Spec.Role == "billing" {
					t = &list.Items[i]
				}
			}
			g.Expect(t).NotTo(BeNil())
		}).Should(Succeed())
		Expect(t.Spec.To.Name).To(Equal("carol"))
		Expect(t.Spec.From.Name).To(Equal("bob"))
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		Expect(billing.Status.Holder).To(Equal("bob"), "the disabled holder keeps a two-party role until the move")
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "carol", 1))
		Eventually(decisionOf(t, "carol")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Consistently(holderOf(billing)).WithTimeout(time.Second).Should(Equal("bob"), "the successor alone is not enough")
		// bob, disabled, still gets his code, to approve his own succession.
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "bob", 1))
		Eventually(holderOf(billing)).Should(Equal("carol"))
		Expect(billing.Spec.ContactRef.Name).To(Equal("carol"))

		Eventually(condition(bob, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.ContactDisabledReason))
		Eventually(func() []v1alpha1.HeldRole { return fetch(bob).Status.Roles }).Should(BeEmpty())
		carol := contact(ns, "acme", "carol")
		Eventually(func(g Gomega) []v1alpha1.HeldRole {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(carol), carol)).To(Succeed())
			return carol.Status.Roles
		}).Should(ConsistOf(v1alpha1.HeldRole{Role: "billing"}, v1alpha1.HeldRole{Role: "renewal"}))
	})

	It("stops the assignments of a disabled contact without a successor", func() {
		ns := newNamespace()
		create(organization(ns, "acme"), contact(ns, "acme", "alice"), contact(ns, "acme", "bob"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-renewal", "renewal", "", "bob"))
		renewal := assignment(ns, "acme", "acme-renewal", "", "", "")
		Eventually(condition(renewal, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))

		bob := contact(ns, "acme", "bob")
		edit(bob, func() {
			bob.Spec.Disabled = true
		})

		Eventually(condition(renewal, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.ContactDisabledReason))
		Expect(renewal.Status.Holder).To(BeEmpty())
	})

	It("reports OrganizationNotFound when the organization goes, and owns what the organization must delete", func() {
		ns := newNamespace()
		org := organization(ns, "acme")
		create(org, contact(ns, "acme", "alice"), assignment(ns, "acme", "acme-primary", "primary", "", "alice"))
		primary := assignment(ns, "acme", "acme-primary", "", "", "")
		alice := contact(ns, "acme", "alice")
		Eventually(condition(primary, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Eventually(condition(alice, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		// The garbage collector (not part of envtest) deletes them with the organization.
		Expect(primary.OwnerReferences).To(ContainElement(HaveField("UID", org.UID)))
		Expect(alice.OwnerReferences).To(ContainElement(HaveField("UID", org.UID)))

		Expect(fetch(org).Finalizers).To(ContainElement(v1alpha1.OrganizationFinalizer))
		Expect(k8sClient.Delete(ctx, org)).To(Succeed())
		Eventually(condition(primary, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.OrganizationNotFoundReason))
		// Every holder is told: deleting an organization is no quiet way to end its roles.
		Expect(sent.about(ns, "acme", notify.OrganizationDeleted)).To(ContainElement(
			HaveField("Recipients", ContainElement(HaveField("Contact", "alice")))))
		// With the organization gone, the last-holder rule steps aside, as the garbage collector needs.
		Expect(k8sClient.Delete(ctx, primary)).To(Succeed())
		Expect(k8sClient.Delete(ctx, alice)).To(Succeed())
	})

	It("reports what changes after admission broke: a scope removed, a contact deleted", func() {
		ns := newNamespace()
		org := organization(ns, "acme", withScopes("site-paris", "site-lisbon"))
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "erin"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"),
			assignment(ns, "acme", "lisbon-secondary", "technical-secondary", "site-lisbon", "erin"))
		lisbon := assignment(ns, "acme", "lisbon-secondary", "", "", "")
		billing := assignment(ns, "acme", "acme-billing", "", "", "")
		Eventually(condition(lisbon, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))

		edit(org, func() {
			org.Spec.Scopes = []v1alpha1.Scope{{Name: "site-paris"}}
		})
		Eventually(condition(lisbon, v1alpha1.ReadyCondition)).Should(And(
			haveStatus(metav1.ConditionFalse, v1alpha1.ScopeNotAllowedReason),
			HaveField("Message", ContainSubstring("site-paris"))))
		Expect(findCondition(lisbon.Status.Conditions, v1alpha1.StalledCondition)).To(HaveField("Status", metav1.ConditionTrue))

		Expect(k8sClient.Delete(ctx, contact(ns, "acme", "bob"))).To(Succeed())
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.ContactNotFoundReason))
		Expect(billing.Status.Holder).To(BeEmpty())
	})

	It("finds every contact with a given email across namespaces with a field selector", func() {
		ns1, ns2 := newNamespace(), newNamespace()
		create(contact(ns1, "acme", "pat", func(c *v1alpha1.Contact) { c.Spec.Email = "pat@shared.example" }),
			contact(ns2, "globex", "pat", func(c *v1alpha1.Contact) { c.Spec.Email = "pat@shared.example" }),
			contact(ns2, "globex", "sam"))
		var found v1alpha1.ContactList
		Expect(k8sClient.List(ctx, &found, client.MatchingFieldsSelector{
			Selector: fields.OneTermEqualSelector("spec.email", "pat@shared.example")})).To(Succeed())
		Expect(found.Items).To(HaveLen(2))
		Expect([]string{found.Items[0].Namespace, found.Items[1].Namespace}).To(ConsistOf(ns1, ns2))
	})
})

// reconcileTotal sums controller-runtime's reconcile counter over every controller.
func reconcileTotal() float64 {
	families, err := metrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range families {
		if f.GetName() == "controller_runtime_reconcile_total" {
			for _, m := range f.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

func findCondition(conds []metav1.Condition, typ string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}
