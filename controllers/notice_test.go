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

package controllers

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

func TestNoticeRecipients(t *testing.T) {
	created := metav1.Now() // everything below is the organization's initial roster
	org := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "ns", CreationTimestamp: created},
		Spec: v1alpha1.OrganizationSpec{Scopes: []v1alpha1.Scope{{Name: "paris"}, {Name: "lisbon"}}}}
	ptr := func(b bool) *bool { return &b }
	cat, errs := roles.NewCatalogue([]v1alpha1.RoleDefinition{{Name: "site-news", Scoped: ptr(true), NotificationOnly: ptr(true)}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in := roles.Input{Organization: org, Catalogue: cat}
	for _, c := range []string{"alice", "dave", "erin", "heidi", "pia"} {
		in.Contacts = append(in.Contacts, v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Name: c, Namespace: "ns"},
			Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Email: c + "@acme.example"}})
	}
	assign := func(name, role, scope, contact string) {
		in.Assignments = append(in.Assignments, v1alpha1.RoleAssignment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", CreationTimestamp: created},
			Spec: v1alpha1.RoleAssignmentSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Role: role, Scope: scope,
				ContactRef: v1alpha1.LocalObjectReference{Name: contact}}})
	}
	assign("p", roles.Primary, "", "alice")
	assign("tp", roles.Technical, "paris", "dave")
	assign("tl", roles.Technical, "lisbon", "erin")
	assign("su", roles.SecurityUpdates, "", "heidi")
	assign("np", "site-news", "paris", "pia")
	e := roles.Evaluate(in)

	tests := []struct {
		name                  string
		roles                 []string
		scope                 string
		want, fellBack, wrong []string
	}{
		{name: "one role, every scope", roles: []string{roles.Technical}, want: []string{"dave", "erin"}},
		{name: "a scoped role in one scope", roles: []string{roles.Technical}, scope: "paris", want: []string{"dave"}},
		{name: "several roles; the scope limits the scoped ones only", roles: []string{roles.Technical, roles.SecurityUpdates},
			scope: "lisbon", want: []string{"erin", "heidi"}},
		{name: "a scoped notification-only role", roles: []string{"site-news"}, scope: "paris", want: []string{"pia"}},
		{name: "nobody holds it there: the primary contact", roles: []string{"site-news"}, scope: "lisbon",
			want: []string{"alice"}, fellBack: []string{"site-news"}},
		{name: "a vacant role: the primary contact", roles: []string{roles.Billing}, want: []string{"alice"}, fellBack: []string{roles.Billing}},
		{name: "a name that is no role", roles: []string{"ceo", roles.SecurityUpdates}, want: []string{"heidi"}, wrong: []string{"ceo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, fellBack, unknown := noticeRecipients(e, tt.roles, tt.scope)
			g.Expect(got).To(ConsistOf(tt.want))
			g.Expect(fellBack).To(Equal(tt.fellBack))
			g.Expect(unknown).To(Equal(tt.wrong))
		})
	}
}
