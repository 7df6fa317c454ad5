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
	"math/rand/v2"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
)

var _ = Describe("Organization status", func() {
	ctx := context.Background()

	It("converges the samples to Ready, applied in any order, and lists every holder", func() {
		ns := newNamespace()
		objs := samples(ns)
		rand.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
		applyRetrying(objs)

		for _, o := range objs {
			Eventually(condition(o, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""), "%T %s", o, o.GetName())
			Eventually(kstatusOf(o)).Should(Equal(status.CurrentStatus), "%T %s", o, o.GetName())
		}
		org := &v1alpha1.Organization{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "acme"}, org)).To(Succeed())
		Expect(org.Status.Roles).To(ContainElement(v1alpha1.RoleHolders{Role: "technical", Scope: "site-paris",
			Holders: []string{"dave"}, Required: true, Satisfied: true}))
		Expect(org.Status.Roles).To(ContainElement(HaveField("Role", "primary")))
	})

	It("reports a vacant required role by name until someone holds it", func() {
		ns := newNamespace()
		org := organization(ns, "acme", withScopes("site-paris", "site-lisbon"))
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "dave"), contact(ns, "acme", "erin"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-tech-lisbon", "technical", "site-lisbon", "erin"))

		Eventually(condition(org, v1alpha1.RolesSatisfiedCondition)).Should(And(
			haveStatus(metav1.ConditionFalse, v1alpha1.RequiredRoleVacantReason),
			HaveField("Message", ContainSubstring("technical for scope site-paris")),
			HaveField("Message", Not(ContainSubstring("site-lisbon")))))
		Eventually(kstatusOf(org)).Should(Equal(status.InProgressStatus))

		create(assignment(ns, "acme", "acme-tech-paris", "technical", "site-paris", "dave"))
		Eventually(condition(org, v1alpha1.RolesSatisfiedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Eventually(condition(org, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
	})

	It("settles an over-full role when its bounds shrink: oldest wins, the other reports Conflict", func() {
		ns := newNamespace()
		twoPrimaries := func(o *v1alpha1.Organization) {
			o.Spec.Roles = []v1alpha1.RoleDefinition{{Name: "primary", MaxHolders: ptr(int32(2))}}
		}
		org := organization(ns, "acme", twoPrimaries)
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "bob"))
		first := assignment(ns, "acme", "b-primary", "primary", "", "alice")
		create(first)
		Eventually(condition(first, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		// creationTimestamp has a one-second resolution: let it tick so that age, not name, decides.
		Eventually(func() time.Time { return time.Now() }).Should(BeTemporally(">", first.CreationTimestamp.Add(time.Second)))
		second := assignment(ns, "acme", "a-primary", "primary", "", "bob") // sorts first by name, but is younger
		create(second)
		Eventually(condition(second, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))

		edit(org, func() {
			org.Spec.Roles = nil
		})

		Eventually(condition(second, v1alpha1.ReadyCondition)).Should(And(
			haveStatus(metav1.ConditionFalse, v1alpha1.ConflictReason),
			HaveField("Message", ContainSubstring("held by alice"))))
		Expect(second.Status.Holder).To(BeEmpty())
		Eventually(condition(first, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Expect(first.Status.Holder).To(Equal("alice"))
		Eventually(kstatusOf(second)).Should(Equal(status.InProgressStatus))
	})

	It("marks a Contact not Ready until its organization exists", func() {
		ns := newNamespace()
		c := contact(ns, "later", "alice")
		create(c)
		Eventually(condition(c, v1alpha1.ReadyCondition)).Should(And(
			haveStatus(metav1.ConditionFalse, v1alpha1.OrganizationNotFoundReason),
			HaveField("Message", ContainSubstring("spec.organizationRef"))))

		create(organization(ns, "later"))
		Eventually(condition(c, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Expect(c.OwnerReferences).To(ContainElement(HaveField("Name", "later")))
	})
})

// applyRetrying creates the objects the way a GitOps tool applies a directory: everything at once, and
// again for whatever admission refused because a referent was not there yet.
func applyRetrying(objs []client.Object) {
	pending := objs
	Eventually(func() []string {
		var refused []client.Object
		var names []string
		for _, o := range pending {
			if err := k8sClient.Create(context.Background(), o); err != nil && !isAlreadyExists(err) {
				refused = append(refused, o)
				names = append(names, o.GetName()+": "+err.Error())
			}
		}
		pending = refused
		return names
	}).Should(BeEmpty())
}
