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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

// These specs write as kubectl would and expect admission to refuse what breaks a rule, with a message
// that names the field and says what to do.

// expectRefused runs a write and expects admission to refuse it with a message containing each part.
func expectRefused(err error, parts ...string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred())
	Expect(apierrors.IsInvalid(err) || apierrors.IsForbidden(err)).To(BeTrue(), "expected Invalid or Forbidden, got %v", err)
	for _, p := range parts {
		Expect(err.Error()).To(ContainSubstring(p))
	}
}

var _ = Describe("Admission", func() {
	ctx := context.Background()
	var ns string

	// acme has alice as primary, dave as technical of site-paris and erin of site-lisbon.
	BeforeEach(func() {
		ns = newNamespace()
		create(organization(ns, "acme", withScopes("site-paris", "site-lisbon")),
			contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "dave"), contact(ns, "acme", "erin"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-tech-paris", "technical", "site-paris", "dave"),
			assignment(ns, "acme", "acme-tech-lisbon", "technical", "site-lisbon", "erin"))
		Eventually(condition(organization(ns, "acme"), v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
	})

	Context("RoleAssignment", func() {
		It("refuses a second primary, naming the holder", func() {
			expectRefused(k8sClient.Create(ctx, assignment(ns, "acme", "bob-primary", "primary", "", "bob")),
				"spec.contactRef.name", `role "primary" allows at most 1 holder`, "held by alice")
		})

		It("refuses a 5th technical-secondary for one site and accepts one for another site", func() {
			for i := range 4 {
				name := fmt.Sprintf("sec-%d", i)
				create(contact(ns, "acme", name), assignment(ns, "acme", "paris-"+name, "technical-secondary", "site-paris", name))
			}
			create(contact(ns, "acme", "fifth"))
			// The webhook reads the cache: wait until it has seen the four.
			Eventually(func() error {
				return k8sClient.Create(ctx, assignment(ns, "acme", "paris-fifth", "technical-secondary", "site-paris", "fifth"))
			}).Should(MatchError(ContainSubstring("allows at most 4 holders")))
			create(assignment(ns, "acme", "lisbon-fifth", "technical-secondary", "site-lisbon", "fifth"))
			Eventually(condition(assignment(ns, "acme", "lisbon-fifth", "", "", ""), v1alpha1.ReadyCondition)).
				Should(haveStatus(metav1.ConditionTrue, ""))
		})

		It("refuses a missing contact, a disabled contact, a contact of another organization and an unknown role", func() {
			create(organization(ns, "globex"), contact(ns, "globex", "gus"),
				contact(ns, "acme", "olga", func(c *v1alpha1.Contact) { c.Spec.Disabled = true }))
			expectRefused(k8sClient.Create(ctx, assignment(ns, "acme", "ghost", "billing", "", "nobody")),
				"spec.contactRef.name", `contact "nobody" does not exist`, "create the Contact first")
			expectRefused(k8sClient.Create(ctx, assignment(ns, "acme", "off", "billing", "", "olga")),
				"spec.contactRef.name", "disabled")
			expectRefused(k8sClient.Create(ctx, assignment(ns, "acme", "foreign", "billing", "", "gus")),
				"spec.contactRef.name", "globex")
			expectRefused(k8sClient.Create(ctx, assignment(ns, "acme", "boss", "chief-everything", "", "bob")),
				"spec.role", "chief-everything")
			expectRefused(k8sClient.Create(ctx, assignment(ns, "nowhere", "lost", "billing", "", "bob")),
				"spec.organizationRef.name", `organization "nowhere" does not exist`)
		})

		It("refuses a scoped role without a listed scope and an unscoped role with one", func() {
			expectRefused(k8sClient.Create(ctx, assignment(ns, "acme", "tech", "technical-secondary", "", "bob")),
				"spec.scope", "site-paris")
			expectRefused(k8sClient.Create(ctx, assignment(ns, "acme", "tech-rome", "technical-secondary", "site-rome", "bob")),
				"spec.scope", "site-rome")
			expectRefused(k8sClient.Create(ctx, assignment(ns, "acme", "bill-paris", "billing", "site-paris", "bob")),
				"spec.scope")
		})

		It("refuses to delete the only primary", func() {
			primary := assignment(ns, "acme", "acme-primary", "", "", "")
			expectRefused(k8sClient.Delete(ctx, primary), "required role primary", "transfer the role first")
		})
	})

	Context("Contact", func() {
		It("refuses a second contact of the organization with the same email, whatever its case", func() {
			Eventually(func() error {
				return k8sClient.Create(ctx, contact(ns, "acme", "alice2", func(c *v1alpha1.Contact) { c.Spec.Email = "ALICE@acme.example" }))
			}).Should(MatchError(And(ContainSubstring("spec.email"), ContainSubstring(`contact "alice"`))))
			// Another organization may use it.
			create(organization(ns, "globex"), contact(ns, "globex", "alice-globex", func(c *v1alpha1.Contact) { c.Spec.Email = "alice@acme.example" }))
		})

		It("refuses to disable the only primary without a successor", func() {
			alice := contact(ns, "acme", "alice")
			expectRefused(tryEdit(alice, func() { alice.Spec.Disabled = true }), "spec.disabled", "required role primary", "spec.reassignTo")
		})

		It("refuses to delete the only technical contact of a site", func() {
			expectRefused(k8sClient.Delete(ctx, contact(ns, "acme", "dave")),
				`contact "dave"`, "technical for scope site-paris", "transfer the role first")
		})

		It("refuses a successor that does not exist", func() {
			alice := contact(ns, "acme", "alice")
			expectRefused(tryEdit(alice, func() {
				alice.Spec.Disabled, alice.Spec.ReassignTo = true, &v1alpha1.LocalObjectReference{Name: "nobody"}
			}), "spec.reassignTo.name", "does not exist")
		})
	})

	Context("Organization", func() {
		It("refuses a catalogue whose initiators name no role", func() {
			org := organization(ns, "acme")
			expectRefused(tryEdit(org, func() { org.Spec.Roles = []v1alpha1.RoleDefinition{{Name: "auditor", Initiators: []string{"ceo"}}} }),
				"spec.roles[0].initiators", "ceo")
		})
	})
})
