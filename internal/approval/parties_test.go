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

package approval

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

func transferOf(from, to, requestedBy string) *v1alpha1.ContactTransfer {
	t := &v1alpha1.ContactTransfer{Spec: v1alpha1.ContactTransferSpec{
		OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"},
		Role:            "billing",
		To:              v1alpha1.LocalObjectReference{Name: to},
	}}
	if requestedBy != "" {
		t.Spec.RequestedBy = &v1alpha1.LocalObjectReference{Name: requestedBy}
	}
	if from != "" {
		t.Spec.From = &v1alpha1.LocalObjectReference{Name: from}
	}
	return t
}

// holding evaluates an organization where each contact holds the roles given.
func holding(held map[string][]string) roles.Evaluation {
	in := roles.Input{Organization: &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}}
	for contact, rs := range held {
		in.Contacts = append(in.Contacts, v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Name: contact},
			Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Email: contact + "@acme.example"}})
		for _, r := range rs {
			ra := v1alpha1.RoleAssignment{ObjectMeta: metav1.ObjectMeta{Name: r + "-" + contact},
				Spec: v1alpha1.RoleAssignmentSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Role: r,
					ContactRef: v1alpha1.LocalObjectReference{Name: contact}}}
			ra.Status.Holder = contact
			in.Assignments = append(in.Assignments, ra)
		}
	}
	return roles.Evaluate(in)
}

func TestSecurityPartiesFor(t *testing.T) {
	billing, _ := roles.BuiltInCatalogue().Get(roles.Billing)
	noInitiators := billing
	noInitiators.Initiators = nil
	org := map[string][]string{"alice": {"billing"}, "carol": {"primary"}, "dave": {"administrative"}, "bob": nil, "erin": nil}
	tests := []struct {
		name           string
		transfer       *v1alpha1.ContactTransfer
		role           roles.Role
		held           map[string][]string
		wantInitiators []string
		wantInformed   []string
	}{
		{name: "a requester is named: it is the second party; the outgoing holder is told",
			transfer: transferOf("alice", "bob", "carol"), role: billing, held: org,
			wantInitiators: []string{"carol"}, wantInformed: []string{"alice"}},
		{name: "the holder names its successor: it approves",
			transfer: transferOf("alice", "bob", "alice"), role: billing, held: org, wantInitiators: []string{"alice"}},
		{name: "no requester (a Git edit): any initiator holder, the outgoing holder included",
			transfer: transferOf("alice", "bob", ""), role: billing, held: org, wantInitiators: []string{"alice", "carol", "dave"}},
		{name: "no requester, vacant role: any initiator holder",
			transfer: transferOf("", "bob", ""), role: billing, held: org, wantInitiators: []string{"carol", "dave"}},
		{name: "the incoming contact asks for itself: another initiator approves, never itself",
			transfer: transferOf("", "bob", "bob"), role: billing, held: org, wantInitiators: []string{"carol", "dave"}},
		{name: "an initiator cannot approve its own promotion",
			transfer: transferOf("", "dave", "dave"), role: billing, held: org, wantInitiators: []string{"carol"}},
		{name: "a role without initiators falls back to primary and administrative holders",
			transfer: transferOf("", "bob", ""), role: noInitiators, held: org, wantInitiators: []string{"carol", "dave"}},
		{name: "nobody else holds an initiator role: the incoming contact alone",
			transfer: transferOf("", "carol", ""), role: billing, held: map[string][]string{"carol": {"primary"}}},
		{name: "a reassignment (no requester, the disabled holder is from): the holder or another initiator",
			transfer: transferOf("carol", "bob", ""), role: billing, held: map[string][]string{"carol": {"primary", "billing"}},
			wantInitiators: []string{"carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			p := PartiesFor(tt.transfer, tt.role, holding(tt.held))
			g.Expect(p.Incoming).To(Equal(tt.transfer.Spec.To.Name))
			g.Expect(p.Initiators).To(Equal(tt.wantInitiators))
			g.Expect(p.Initiators).NotTo(ContainElement(p.Incoming))
			g.Expect(p.Informed).To(Equal(tt.wantInformed))
		})
	}
}

func TestPartiesForBoundsTheInitiators(t *testing.T) {
	wide, _ := roles.BuiltInCatalogue().Get(roles.Billing)
	wide.Initiators = []string{"security-updates"}
	held := map[string][]string{}
	for i := range 3 * v1alpha1.MaxApprovers {
		held["c"+string(rune('a'+i%26))+string(rune('a'+i/26))] = []string{"security-updates"}
	}
	p := PartiesFor(transferOf("", "zz", ""), wide, holding(held))
	NewWithT(t).Expect(p.Approvers()).To(HaveLen(v1alpha1.MaxApprovers))
}

func TestSecurityInitiatorsInScope(t *testing.T) {
	g := NewWithT(t)
	org := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "ns", CreationTimestamp: metav1.Now()},
		Spec: v1alpha1.OrganizationSpec{Scopes: []v1alpha1.Scope{{Name: "paris"}, {Name: "lisbon"}}}}
	in := roles.Input{Organization: org}
	for _, c := range []string{"alice", "dave", "erin", "frank"} {
		in.Contacts = append(in.Contacts, v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Name: c, Namespace: "ns"},
			Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Email: c + "@acme.example"}})
	}
	for _, a := range [][3]string{{"primary", "", "alice"}, {"technical", "paris", "dave"}, {"technical", "lisbon", "erin"}} {
		in.Assignments = append(in.Assignments, v1alpha1.RoleAssignment{
			ObjectMeta: metav1.ObjectMeta{Name: a[0] + a[1], Namespace: "ns", CreationTimestamp: org.CreationTimestamp},
			Spec: v1alpha1.RoleAssignmentSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Role: a[0], Scope: a[1],
				ContactRef: v1alpha1.LocalObjectReference{Name: a[2]}}})
	}
	siteUser, _ := roles.BuiltInCatalogue().Get(roles.SiteUser)
	nominate := func(scope string) *v1alpha1.ContactTransfer {
		t := transferOf("", "frank", "frank")
		t.Namespace, t.Spec.Role, t.Spec.Scope = "ns", roles.SiteUser, scope
		return t
	}
	// The site's technical contact approves a site user of its own site, not of another.
	g.Expect(PartiesFor(nominate("paris"), siteUser, roles.Evaluate(in)).Initiators).To(Equal([]string{"dave"}))
	g.Expect(PartiesFor(nominate("lisbon"), siteUser, roles.Evaluate(in)).Initiators).To(Equal([]string{"erin"}))
	g.Expect(Validate(nominate("paris"), in)).To(BeEmpty())
	// dave may not ask for a Lisbon site user on someone's behalf.
	asked := nominate("lisbon")
	asked.Spec.RequestedBy = &v1alpha1.LocalObjectReference{Name: "dave"}
	g.Expect(Validate(asked, in)).To(ContainElement(HaveField("Field", "spec.requestedBy.name")))
	asked.Spec.Scope = "paris"
	g.Expect(Validate(asked, in)).To(BeEmpty())
	// With no technical contact in the site, the primary (and administrative) holders approve.
	in.Assignments = in.Assignments[:2]
	g.Expect(PartiesFor(nominate("lisbon"), siteUser, roles.Evaluate(in)).Initiators).To(Equal([]string{"alice"}))
}

// The operator's marks name the assignment a transfer was opened for; a controller of another Kind,
// even with an assignment's UID, names none.
func TestOpenedFor(t *testing.T) {
	controller := func(kind string) []metav1.OwnerReference {
		yes := true
		return []metav1.OwnerReference{{Kind: kind, Name: "x", UID: "uid-ra", Controller: &yes}}
	}
	tests := []struct {
		name                string
		annotations         map[string]string
		owners              []metav1.OwnerReference
		opened, controlling string
	}{
		{name: "a user's transfer"},
		{name: "opened for an assignment", annotations: map[string]string{v1alpha1.OpenedForUIDAnnotation: "uid-a"}, opened: "uid-a"},
		{name: "controlled by an assignment (older versions)", owners: controller("RoleAssignment"), opened: "uid-ra", controlling: "uid-ra"},
		{name: "controlled by another kind", owners: controller("Widget")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Annotations: tt.annotations, OwnerReferences: tt.owners}}
			if got := OpenedFor(tr); got != tt.opened {
				t.Errorf("OpenedFor = %q, want %q", got, tt.opened)
			}
			if got := ControllingAssignment(tr); got != tt.controlling {
				t.Errorf("ControllingAssignment = %q, want %q", got, tt.controlling)
			}
		})
	}
}
