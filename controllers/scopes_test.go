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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

var _ = Describe("What each scope needs", func() {
	It("exempts or requires roles per scope, and reports recommended roles without making the organization unready", func() {
		ns := newNamespace()
		org := organization(ns, "acme", func(o *v1alpha1.Organization) {
			o.Spec.Scopes = []v1alpha1.Scope{{Name: "paris", RequiredRoles: []string{"technical-secondary"}}, {Name: "lab", ExemptRoles: []string{"technical"}}}
			o.Spec.Roles = []v1alpha1.RoleDefinition{{Name: "renewal", Recommended: ptr(true)}}
		})
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "dave"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "tech-paris", "technical", "paris", "dave"))
		Eventually(condition(org, v1alpha1.RolesSatisfiedCondition)).Should(And(
			haveStatus(metav1.ConditionFalse, v1alpha1.RequiredRoleVacantReason),
			HaveField("Message", ContainSubstring("technical-secondary for scope paris")),
			HaveField("Message", Not(ContainSubstring("lab")))))
		Eventually(condition(org, v1alpha1.RolesRecommendedCondition)).Should(And(
			haveStatus(metav1.ConditionFalse, v1alpha1.RecommendedRoleVacantReason), HaveField("Message", ContainSubstring("renewal"))))

		create(assignment(ns, "acme", "secondary-paris", "technical-secondary", "paris", "dave"))
		Eventually(condition(org, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Expect(fetched(org, v1alpha1.RolesRecommendedCondition).Status).To(Equal(metav1.ConditionFalse), "informative only")

		// A scope can only require or exempt scoped roles of the catalogue.
		bad := organization(ns, "bad", func(o *v1alpha1.Organization) {
			o.Spec.Scopes = []v1alpha1.Scope{{Name: "paris", RequiredRoles: []string{"billing", "ceo"}}}
		})
		expectRefused(k8sClient.Create(context.Background(), bad), "spec.scopes[0].requiredRoles[0]", "not scoped",
			"spec.scopes[0].requiredRoles[1]")
	})
})
