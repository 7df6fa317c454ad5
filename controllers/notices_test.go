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
)

var _ = Describe("Notices", func() {
	It("reach a scoped role's holders in the notice's scope only, and the primary contact for a vacant role", func() {
		ns := newNamespace()
		org := organization(ns, "acme", withScopes("site-paris", "site-lisbon"))
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "dave"), contact(ns, "acme", "erin"), contact(ns, "acme", "heidi"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "tech-paris", "technical", "site-paris", "dave"),
			assignment(ns, "acme", "tech-lisbon", "technical", "site-lisbon", "erin"),
			assignment(ns, "acme", "acme-security", "security-updates", "", "heidi"))
		Eventually(holderOf(assignment(ns, "acme", "tech-lisbon", "", "", ""))).Should(Equal("erin"))

		noticeTo := func(id string) []string {
			GinkgoHelper()
			var names []string
			Eventually(func(g Gomega) {
				names = nil
				for _, n := range sent.about(ns, "acme", notify.Notice) {
					if n.Key == string(fetch(org).UID)+"/Notice/"+id {
						for _, r := range n.Recipients {
							names = append(names, r.Contact)
						}
					}
				}
				g.Expect(names).NotTo(BeEmpty())
			}).Should(Succeed())
			return names
		}
		annotateOrg := func(value string) {
			GinkgoHelper()
			Eventually(func() map[string]string { return fetch(org).Annotations }).ShouldNot(HaveKey(v1alpha1.NoticeAnnotation))
			edit(org, func() { org.Annotations = map[string]string{v1alpha1.NoticeAnnotation: value} })
		}

		annotateOrg(`{"id":"paris-outage","roles":["technical","security-updates"],"scope":"site-paris","subject":"Outage","body":"Paris is down."}`)
		Expect(noticeTo("paris-outage")).To(ConsistOf("dave", "heidi"), "erin holds technical in Lisbon only")

		annotateOrg(`{"id":"invoice","role":"billing","subject":"Invoice","body":"Overdue."}`)
		Expect(noticeTo("invoice")).To(ConsistOf("alice"), "nobody holds billing: the primary contact is told")
		Eventually(func() string {
			for _, d := range fetch(org).Status.Outbox {
				if d.Type == string(notify.Notice) && d.Facts["fallback"] != "" {
					return d.Facts["fallback"]
				}
			}
			return ""
		}).Should(Equal("billing"), "the outbox says the notice fell back")
	})
})
