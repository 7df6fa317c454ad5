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
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
)

var _ = Describe("Lookups", func() {
	ctx := context.Background()

	It("finds a contact by address whatever its case, and transfers by party", func() {
		ns := newNamespace()
		create(organization(ns, "acme"), contact(ns, "acme", "alice"),
			contact(ns, "acme", "bob", func(c *v1alpha1.Contact) { c.Spec.Email = "Bob.Lambert@ACME.example" }),
			contact(ns, "acme", "frank"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"))

		// kubectl get contacts -A --field-selector status.normalizedEmail=bob.lambert@acme.example
		// Across namespaces: other tests' contacts of the samples share the address.
		Eventually(func(g Gomega) []string {
			var list v1alpha1.ContactList
			g.Expect(k8sClient.List(ctx, &list, client.MatchingFields{"status.normalizedEmail": "bob.lambert@acme.example"})).To(Succeed())
			var names []string
			for _, c := range list.Items {
				g.Expect(strings.EqualFold(c.Spec.Email, "bob.lambert@acme.example")).To(BeTrue(), c.Spec.Email)
				names = append(names, c.Namespace+"/"+c.Name)
			}
			return names
		}).Should(ContainElement(ns + "/bob"))
		var exact v1alpha1.ContactList
		Expect(k8sClient.List(ctx, &exact, client.InNamespace(ns), client.MatchingFields{"spec.email": "bob.lambert@acme.example"})).To(Succeed())
		Expect(exact.Items).To(BeEmpty(), "spec.email matches the address as written only")

		Eventually(holderOf(assignment(ns, "acme", "acme-billing", "", "", ""))).Should(Equal("bob"))
		create(transfer(ns, "billing-to-frank", "billing", "", "bob", "frank", "alice"))
		for field, value := range map[string]string{"spec.from.name": "bob", "spec.to.name": "frank", "spec.requestedBy.name": "alice"} {
			var list v1alpha1.ContactTransferList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{field: value})).To(Succeed())
			Expect(list.Items).To(ConsistOf(HaveField("Name", "billing-to-frank")), field)
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{field: "nobody"})).To(Succeed())
			Expect(list.Items).To(BeEmpty(), field)
		}
	})
})
