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

package webhooks

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

func ptr[T any](v T) *T { return &v }

func catalogue(t *testing.T, defs ...v1alpha1.RoleDefinition) *roles.Catalogue {
	t.Helper()
	c, errs := roles.NewCatalogue(defs)
	if len(errs) > 0 {
		t.Fatalf("NewCatalogue: %v", errs.ToAggregate())
	}
	return c
}

func TestSecurityWeakenings(t *testing.T) {
	two, none := v1alpha1.RoleApprovalTwoParty, v1alpha1.RoleApprovalNone
	cases := []struct {
		name     string
		old, new []v1alpha1.RoleDefinition
		// want are the paths of the weakened fields, in order.
		want []string
	}{
		{name: "no change", want: nil},
		{name: "two-party to none",
			new:  []v1alpha1.RoleDefinition{{Name: "primary", Approval: none}},
			want: []string{"spec.roles[primary].approval"}},
		{name: "none to two-party strengthens",
			new:  []v1alpha1.RoleDefinition{{Name: "renewal", Approval: two}},
			want: nil},
		{name: "an initiator added",
			new:  []v1alpha1.RoleDefinition{{Name: "billing", Initiators: []string{"primary", "administrative", "renewal"}}},
			want: []string{"spec.roles[billing].initiators"}},
		{name: "initiators replaced",
			new:  []v1alpha1.RoleDefinition{{Name: "technical", Initiators: []string{"renewal"}}},
			want: []string{"spec.roles[technical].initiators"}},
		{name: "the same initiators in another order",
			new:  []v1alpha1.RoleDefinition{{Name: "primary", Initiators: []string{"administrative", "primary"}}},
			want: nil},
		{name: "an override removed brings back the built-in role",
			old:  []v1alpha1.RoleDefinition{{Name: "renewal", Approval: two}},
			want: []string{"spec.roles[renewal].approval"}},
		{name: "good standing turned off",
			new:  []v1alpha1.RoleDefinition{{Name: "billing", RequiresGoodStanding: ptr(false)}},
			want: []string{"spec.roles[billing].requiresGoodStanding"}},
		{name: "good standing turned on strengthens",
			new:  []v1alpha1.RoleDefinition{{Name: "primary", RequiresGoodStanding: ptr(true)}},
			want: nil},
		{name: "maxHolders raised for a two-party role",
			new:  []v1alpha1.RoleDefinition{{Name: "administrative", MaxHolders: ptr(int32(2))}},
			want: []string{"spec.roles[administrative].maxHolders"}},
		{name: "maxHolders made unbounded for a two-party role",
			new:  []v1alpha1.RoleDefinition{{Name: "administrative", MaxHolders: ptr(int32(0))}},
			want: []string{"spec.roles[administrative].maxHolders"}},
		{name: "maxHolders lowered for a two-party role",
			old:  []v1alpha1.RoleDefinition{{Name: "administrative", MaxHolders: ptr(int32(3))}},
			new:  []v1alpha1.RoleDefinition{{Name: "administrative", MaxHolders: ptr(int32(2))}},
			want: nil},
		{name: "maxHolders of an unbounded role stays unbounded",
			old:  []v1alpha1.RoleDefinition{{Name: "administrative", MaxHolders: ptr(int32(0))}},
			new:  []v1alpha1.RoleDefinition{{Name: "administrative", MaxHolders: ptr(int32(0)), MinHolders: ptr(int32(0))}},
			want: nil},
		{name: "maxHolders raised for a role without approval",
			new:  []v1alpha1.RoleDefinition{{Name: "technical-secondary", MaxHolders: ptr(int32(10))}},
			want: nil},
		{name: "maxHolders raised while the role becomes two-party",
			new:  []v1alpha1.RoleDefinition{{Name: "renewal", Approval: two, MaxHolders: ptr(int32(3))}},
			want: []string{"spec.roles[renewal].maxHolders"}},
		{name: "self-nomination turned off",
			old:  []v1alpha1.RoleDefinition{{Name: "visitor", SelfNomination: ptr(true)}},
			new:  []v1alpha1.RoleDefinition{{Name: "visitor"}},
			want: []string{"spec.roles[visitor].selfNomination"}},
		{name: "the built-in site-user stops being self-nominated",
			new:  []v1alpha1.RoleDefinition{{Name: "site-user", SelfNomination: ptr(false)}},
			want: []string{"spec.roles[site-user].selfNomination"}},
		{name: "a two-party role removed from the catalogue (it could come back without approval)",
			old:  []v1alpha1.RoleDefinition{{Name: "auditor", Approval: two}},
			want: []string{"spec.roles[auditor]"}},
		{name: "a role without approval removed from the catalogue",
			old:  []v1alpha1.RoleDefinition{{Name: "auditor"}},
			want: nil},
		{name: "several weakenings of one role, in field order",
			new: []v1alpha1.RoleDefinition{{Name: "billing", Approval: none, RequiresGoodStanding: ptr(false),
				MaxHolders: ptr(int32(0)), Initiators: []string{"billing"}}},
			want: []string{"spec.roles[billing].approval", "spec.roles[billing].initiators",
				"spec.roles[billing].requiresGoodStanding", "spec.roles[billing].maxHolders"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := weakenings(catalogue(t, tc.old...), catalogue(t, tc.new...))
			var paths []string
			for _, w := range got {
				paths = append(paths, w.field.String())
				if w.change == "" {
					t.Errorf("%s: no description of the change", w.field)
				}
			}
			if !slices.Equal(paths, tc.want) {
				t.Errorf("weakenings = %v, want %v", paths, tc.want)
			}
		})
	}
}

func TestWeakeningDescribesTheChange(t *testing.T) {
	got := weakenings(catalogue(t), catalogue(t, v1alpha1.RoleDefinition{Name: "primary", MaxHolders: ptr(int32(0))}))
	if len(got) != 1 || got[0].change != "maxHolders raised from 1 to 0 (unbounded)" {
		t.Fatalf("weakenings = %+v", got)
	}
}

func TestHeldRoles(t *testing.T) {
	const ns = "tenant"
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	org := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acme", CreationTimestamp: created}}
	contact := func(name string) v1alpha1.Contact {
		return v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Email: name + "@acme.example"}}
	}
	assignment := func(name, role, holder string, at time.Duration) v1alpha1.RoleAssignment {
		return v1alpha1.RoleAssignment{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1, CreationTimestamp: metav1.NewTime(created.Add(at))},
			Spec: v1alpha1.RoleAssignmentSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Role: role,
				ContactRef: v1alpha1.LocalObjectReference{Name: holder}}}
	}
	transfer := func(role string, settled bool) v1alpha1.ContactTransfer {
		t := v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "to-bob"},
			Spec: v1alpha1.ContactTransferSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Role: role,
				To: v1alpha1.LocalObjectReference{Name: "bob"}}}
		if settled {
			t.Status.Conditions = []metav1.Condition{{Type: v1alpha1.CompletedCondition, Status: metav1.ConditionTrue}}
		}
		return t
	}
	cases := []struct {
		name        string
		assignments []v1alpha1.RoleAssignment
		transfers   []v1alpha1.ContactTransfer
		want        []string
	}{
		{name: "nothing held"},
		{name: "a holder from the initial roster",
			assignments: []v1alpha1.RoleAssignment{assignment("acme-primary", "primary", "alice", time.Minute)},
			want:        []string{"primary"}},
		{name: "an assignment of a two-party role waiting for approval",
			assignments: []v1alpha1.RoleAssignment{assignment("acme-billing", "billing", "bob", 24*time.Hour)},
			want:        []string{"billing"}},
		{name: "an open transfer",
			transfers: []v1alpha1.ContactTransfer{transfer("administrative", false)},
			want:      []string{"administrative"}},
		{name: "a settled transfer",
			transfers: []v1alpha1.ContactTransfer{transfer("administrative", true)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := roles.Input{Organization: org, Catalogue: roles.BuiltInCatalogue(),
				Contacts: []v1alpha1.Contact{contact("alice"), contact("bob")}, Assignments: tc.assignments, Transfers: tc.transfers}
			held := heldRoles(in)
			var got []string
			for role := range held {
				got = append(got, role)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("heldRoles = %v, want %v", got, tc.want)
			}
		})
	}
}
