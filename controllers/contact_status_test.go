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
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

func TestContactStatus(t *testing.T) {
	const gen = 5
	held := []v1alpha1.HeldRole{{Role: "primary"}, {Role: "technical", Scope: "site-paris"}}
	tests := []struct {
		name        string
		disabled    bool
		initial     v1alpha1.ContactStatus
		facts       contactFacts
		wantRoles   []v1alpha1.HeldRole
		wantSummary string
		want        []wantCondition
	}{
		{
			name:        "normal",
			facts:       contactFacts{held: held},
			wantRoles:   held,
			wantSummary: "primary,technical/site-paris",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "holds 2 role(s)", gen},
			},
		},
		{
			name:        "normal without roles",
			wantSummary: "",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "holds 0 role(s)", gen},
			},
		},
		{
			name: "organization missing clears roles",
			initial: v1alpha1.ContactStatus{
				Roles: held, RolesSummary: "primary,technical/site-paris",
			},
			facts:       contactFacts{organizationMissing: true, held: held, duplicateOf: "older"},
			wantRoles:   nil,
			wantSummary: "",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.OrganizationNotFoundReason,
					`spec.organizationRef: organization "acme" does not exist`, gen},
			},
		},
		{
			name:        "duplicate email stalls",
			facts:       contactFacts{held: held, duplicateOf: "alice-old"},
			wantRoles:   held,
			wantSummary: "primary,technical/site-paris",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.DuplicateEmailReason,
					`contact "alice-old" of the same organization already uses alice@acme.example`, gen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.DuplicateEmailReason,
					`contact "alice-old" of the same organization already uses alice@acme.example`, gen},
			},
		},
		{
			name:        "successor problem stalls",
			facts:       contactFacts{successorProblem: `spec.reassignTo: contact "bob" is disabled`},
			wantSummary: "",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.SuccessorUnavailableReason, `spec.reassignTo: contact "bob" is disabled`, gen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.SuccessorUnavailableReason, `spec.reassignTo: contact "bob" is disabled`, gen},
			},
		},
		{
			name:     "disabled",
			disabled: true,
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ContactDisabledReason, "disabled: holds no active role", gen},
			},
		},
		{
			name:     "duplicate email wins over disabled",
			disabled: true,
			facts:    contactFacts{duplicateOf: "alice-old"},
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.DuplicateEmailReason, "alice-old", gen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.DuplicateEmailReason, "alice-old", gen},
			},
		},
		{
			name: "recovery from a duplicate email removes Stalled",
			initial: v1alpha1.ContactStatus{
				ObservedGeneration: gen - 1,
				Conditions: []metav1.Condition{
					condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.DuplicateEmailReason, "dup", gen-1, past),
					condAt(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.DuplicateEmailReason, "dup", gen-1, past),
				},
			},
			facts:       contactFacts{held: held[:1]},
			wantRoles:   held[:1],
			wantSummary: "primary",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "holds 1 role(s)", gen},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			c := &v1alpha1.Contact{
				ObjectMeta: metav1.ObjectMeta{Name: "alice", Generation: gen},
				Spec: v1alpha1.ContactSpec{
					OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"},
					Email:           "alice@acme.example",
					Disabled:        tt.disabled,
				},
				Status: tt.initial,
			}
			setContactStatus(c, tt.facts)
			g.Expect(c.Status.ObservedGeneration).To(Equal(int64(gen)))
			g.Expect(c.Status.Roles).To(Equal(tt.wantRoles))
			g.Expect(c.Status.RolesSummary).To(Equal(tt.wantSummary))
			expectConditions(g, c.Status.Conditions, tt.want...)
		})
	}
}

func TestContactStatusKeepsLastTransitionTime(t *testing.T) {
	g := NewWithT(t)
	c := &v1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{Name: "alice", Generation: 2},
		Spec:       v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Email: "alice@acme.example"},
		Status: v1alpha1.ContactStatus{Conditions: []metav1.Condition{
			condAt(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "holds 0 role(s)", 1, past),
		}},
	}
	// Ready stays True with a new message: its transition time does not move.
	setContactStatus(c, contactFacts{held: []v1alpha1.HeldRole{{Role: "primary"}}})
	expectConditions(g, c.Status.Conditions,
		wantCondition{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "holds 1 role(s)", 2})
	g.Expect(c.Status.Conditions[0].LastTransitionTime.Time).To(Equal(past))
}

func TestRolesSummary(t *testing.T) {
	tests := []struct {
		name string
		held []v1alpha1.HeldRole
		want string
	}{
		{name: "nothing held", held: nil, want: ""},
		{name: "organization-wide role", held: []v1alpha1.HeldRole{{Role: "primary"}}, want: "primary"},
		{name: "scoped role", held: []v1alpha1.HeldRole{{Role: "technical", Scope: "site-paris"}}, want: "technical/site-paris"},
		{
			name: "several roles keep their order",
			held: []v1alpha1.HeldRole{{Role: "primary"}, {Role: "technical", Scope: "site-paris"}, {Role: "technical", Scope: "site-lyon"}},
			want: "primary,technical/site-paris,technical/site-lyon",
		},
		// 10 characters each with the comma: 408 fit before the ",…(+N)" of the rest, 409 alone.
		{name: "too many for the column", held: scopedRoles("tech", 1000), want: joinScoped("tech", 408) + ",…(+592)"},
		{name: "exactly as many as fit", held: scopedRoles("tech", 409), want: joinScoped("tech", 409)},
		{name: "one more than fit", held: scopedRoles("tech", 410), want: joinScoped("tech", 408) + ",…(+2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := rolesSummary(tt.held)
			g.Expect(got).To(Equal(tt.want))
			g.Expect(len(got)).To(BeNumerically("<=", maxRolesSummary))
		})
	}
}

// scopedRoles gives n holdings of role in scopes s000, s001, ...
func scopedRoles(role string, n int) []v1alpha1.HeldRole {
	out := make([]v1alpha1.HeldRole, n)
	for i := range out {
		out[i] = v1alpha1.HeldRole{Role: role, Scope: fmt.Sprintf("s%03d", i)}
	}
	return out
}

func joinScoped(role string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%s/s%03d", role, i)
	}
	return strings.Join(parts, ",")
}

func TestContactStatusKeepsWithinBounds(t *testing.T) {
	g := NewWithT(t)
	c := &v1alpha1.Contact{}
	setContactStatus(c, contactFacts{held: scopedRoles("tech", 1500)})
	g.Expect(c.Status.Roles).To(HaveLen(maxHeldRoles))
	g.Expect(len(c.Status.RolesSummary)).To(BeNumerically("<=", maxRolesSummary))
	g.Expect(c.Status.RolesSummary).To(HaveSuffix(",…(+1092)"))
	g.Expect(c.Status.Conditions).To(ContainElement(HaveField("Message", "holds 1500 role(s)")))
}
