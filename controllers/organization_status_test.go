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
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// Rows of an organization with scopes site-paris and site-lyon.
var (
	primaryHeld = roles.Row{Role: "primary", Holders: []string{"alice"}, Assignments: []string{"ra-primary"},
		Required: true, Satisfied: true, MinHolders: 1, MaxHolders: 1}
	technicalParisHeld = roles.Row{Role: "technical", Scope: "site-paris", Holders: []string{"bob", "carol"},
		Assignments: []string{"ra-bob", "ra-carol"}, Required: true, Satisfied: true, MinHolders: 1}
	technicalParisVacant = roles.Row{Role: "technical", Scope: "site-paris", Holders: []string{},
		Assignments: []string{}, Required: true, Satisfied: false, MinHolders: 1}
	technicalLyonHeld = roles.Row{Role: "technical", Scope: "site-lyon", Holders: []string{"dave"},
		Assignments: []string{"ra-dave"}, Required: true, Satisfied: true, MinHolders: 1}
	billingEmpty = roles.Row{Role: "billing", Holders: []string{}, Assignments: []string{}, Satisfied: true}
)

func TestOrganizationStatus(t *testing.T) {
	const gen = 7
	catalogueErr := &state.InvalidCatalogueError{Errs: `spec.roles[1].name: Duplicate value: "technical"`}
	tests := []struct {
		name         string
		initial      v1alpha1.OrganizationStatus
		evaluation   *roles.Evaluation
		catalogueErr *state.InvalidCatalogueError
		wantRoles    []v1alpha1.RoleHolders
		want         []wantCondition
	}{
		{
			name:       "all satisfied",
			evaluation: &roles.Evaluation{Rows: []roles.Row{primaryHeld, technicalParisHeld, technicalLyonHeld, billingEmpty}},
			wantRoles: []v1alpha1.RoleHolders{
				{Role: "primary", Holders: []string{"alice"}, Required: true, Satisfied: true},
				{Role: "technical", Scope: "site-paris", Holders: []string{"bob", "carol"}, Required: true, Satisfied: true},
				{Role: "technical", Scope: "site-lyon", Holders: []string{"dave"}, Required: true, Satisfied: true},
				{Role: "billing", Holders: []string{}, Required: false, Satisfied: true},
			},
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "every required role is held", gen},
				{v1alpha1.RolesSatisfiedCondition, metav1.ConditionTrue, v1alpha1.RolesSatisfiedReason, "every required role is held", gen},
			},
		},
		{
			name:       "vacant row",
			evaluation: &roles.Evaluation{Rows: []roles.Row{primaryHeld, technicalParisVacant, technicalLyonHeld}},
			wantRoles: []v1alpha1.RoleHolders{
				{Role: "primary", Holders: []string{"alice"}, Required: true, Satisfied: true},
				{Role: "technical", Scope: "site-paris", Holders: []string{}, Required: true, Satisfied: false},
				{Role: "technical", Scope: "site-lyon", Holders: []string{"dave"}, Required: true, Satisfied: true},
			},
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.RequiredRoleVacantReason,
					"required role vacant: technical for scope site-paris; create a RoleAssignment for each", gen},
				{v1alpha1.RolesSatisfiedCondition, metav1.ConditionFalse, v1alpha1.RequiredRoleVacantReason,
					"technical for scope site-paris", gen},
			},
		},
		{
			name:         "invalid catalogue",
			catalogueErr: catalogueErr,
			wantRoles:    nil,
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.InvalidCatalogueReason,
					`invalid role catalogue: spec.roles[1].name: Duplicate value: "technical": fix spec.roles`, gen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.InvalidCatalogueReason, "fix spec.roles", gen},
				{v1alpha1.RolesSatisfiedCondition, metav1.ConditionUnknown, v1alpha1.InvalidCatalogueReason, "invalid role catalogue", gen},
			},
		},
		{
			name: "recovery from an invalid catalogue removes Stalled",
			initial: v1alpha1.OrganizationStatus{
				ObservedGeneration: gen - 1,
				Conditions: []metav1.Condition{
					condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.InvalidCatalogueReason, "invalid role catalogue", gen-1, past),
					condAt(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.InvalidCatalogueReason, "invalid role catalogue", gen-1, past),
					condAt(v1alpha1.RolesSatisfiedCondition, metav1.ConditionUnknown, v1alpha1.InvalidCatalogueReason, "invalid role catalogue", gen-1, past),
				},
			},
			evaluation: &roles.Evaluation{Rows: []roles.Row{primaryHeld}},
			wantRoles:  []v1alpha1.RoleHolders{{Role: "primary", Holders: []string{"alice"}, Required: true, Satisfied: true}},
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "every required role is held", gen},
				{v1alpha1.RolesSatisfiedCondition, metav1.ConditionTrue, v1alpha1.RolesSatisfiedReason, "every required role is held", gen},
			},
		},
		{
			name: "recovery from an invalid catalogue into a vacancy removes Stalled",
			initial: v1alpha1.OrganizationStatus{
				Conditions: []metav1.Condition{
					condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.InvalidCatalogueReason, "invalid role catalogue", gen-1, past),
					condAt(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.InvalidCatalogueReason, "invalid role catalogue", gen-1, past),
				},
			},
			evaluation: &roles.Evaluation{Rows: []roles.Row{technicalParisVacant}},
			wantRoles:  []v1alpha1.RoleHolders{{Role: "technical", Scope: "site-paris", Holders: []string{}, Required: true, Satisfied: false}},
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.RequiredRoleVacantReason, "technical for scope site-paris", gen},
				{v1alpha1.RolesSatisfiedCondition, metav1.ConditionFalse, v1alpha1.RequiredRoleVacantReason, "technical for scope site-paris", gen},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			org := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", Generation: gen}, Status: tt.initial}
			setOrganizationStatus(org, tt.evaluation, tt.catalogueErr)
			g.Expect(org.Status.ObservedGeneration).To(Equal(int64(gen)))
			g.Expect(org.Status.Roles).To(Equal(tt.wantRoles))
			expectConditions(g, org.Status.Conditions, tt.want...)
		})
	}
}

func TestOrganizationStatusKeepsLastTransitionTime(t *testing.T) {
	g := NewWithT(t)
	satisfied := &roles.Evaluation{Rows: []roles.Row{primaryHeld, technicalParisHeld}}
	org := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", Generation: 1}}

	// First reconcile, then pretend it happened at an earlier clock.
	setOrganizationStatus(org, satisfied, nil)
	g.Expect(org.Status.Conditions).To(HaveLen(2))
	for i := range org.Status.Conditions {
		org.Status.Conditions[i].LastTransitionTime = metav1.NewTime(past)
	}

	// Same status again, for a new generation: the transition times stay, the generation moves.
	org.Generation = 2
	setOrganizationStatus(org, satisfied, nil)
	expectConditions(g, org.Status.Conditions,
		wantCondition{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "every required role is held", 2},
		wantCondition{v1alpha1.RolesSatisfiedCondition, metav1.ConditionTrue, v1alpha1.RolesSatisfiedReason, "every required role is held", 2},
	)
	for _, c := range org.Status.Conditions {
		g.Expect(c.LastTransitionTime.Time).To(Equal(past), "condition %s", c.Type)
	}

	// A vacancy changes both statuses: both transition times move past the earlier clock.
	setOrganizationStatus(org, &roles.Evaluation{Rows: []roles.Row{primaryHeld, technicalParisVacant}}, nil)
	for _, typ := range []string{v1alpha1.ReadyCondition, v1alpha1.RolesSatisfiedCondition} {
		c := meta.FindStatusCondition(org.Status.Conditions, typ)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.LastTransitionTime.Time).To(BeTemporally(">", past), "condition %s", typ)
	}
}

func TestVacancyMessage(t *testing.T) {
	tests := []struct {
		name   string
		vacant []roles.Row
		want   string
	}{
		{
			name:   "scoped role",
			vacant: []roles.Row{technicalParisVacant},
			want:   "required role vacant: technical for scope site-paris; create a RoleAssignment for each",
		},
		{
			name:   "organization-wide role",
			vacant: []roles.Row{{Role: "primary", Required: true, MinHolders: 1}},
			want:   "required role vacant: primary; create a RoleAssignment for each",
		},
		{
			name:   "one holder missing of two is not counted",
			vacant: []roles.Row{{Role: "abuse", Holders: []string{"eve"}, Required: true, MinHolders: 2}},
			want:   "required role vacant: abuse; create a RoleAssignment for each",
		},
		{
			name: "several rows, with missing holder counts",
			vacant: []roles.Row{
				{Role: "primary", Required: true, MinHolders: 1},
				{Role: "technical", Scope: "site-lyon", Holders: []string{"dave"}, Required: true, MinHolders: 3},
			},
			want: "required role vacant: primary, technical for scope site-lyon (2 holders missing); create a RoleAssignment for each",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(vacancyMessage(tt.vacant)).To(Equal(tt.want))
		})
	}
}

func TestSetRolesSatisfiedCondition(t *testing.T) {
	tests := []struct {
		name   string
		vacant []roles.Row
		want   wantCondition
	}{
		{
			name: "nothing vacant",
			want: wantCondition{v1alpha1.RolesSatisfiedCondition, metav1.ConditionTrue, v1alpha1.RolesSatisfiedReason, "every required role is held", 3},
		},
		{
			name:   "vacant row",
			vacant: []roles.Row{technicalParisVacant},
			want:   wantCondition{v1alpha1.RolesSatisfiedCondition, metav1.ConditionFalse, v1alpha1.RequiredRoleVacantReason, "technical for scope site-paris", 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			org := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
			setRolesSatisfiedCondition(org, tt.vacant)
			// Only RolesSatisfied: Ready is setOrganizationStatus's business.
			expectConditions(g, org.Status.Conditions, tt.want)
		})
	}
}

func TestRoleRows(t *testing.T) {
	names := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%04d", prefix, i)
		}
		return out
	}
	// rowsOf gives n rows of role, each with holders holders, optional or required.
	rowsOf := func(role string, n, holders int, required bool) []roles.Row {
		out := make([]roles.Row, n)
		for i := range out {
			out[i] = roles.Row{Role: role, Scope: fmt.Sprintf("s%04d", i), Holders: names(strings.Repeat("c", 40), holders), Required: required}
		}
		return out
	}
	tests := []struct {
		name        string
		rows        []roles.Row
		want        []v1alpha1.RoleHolders
		wantOmitted int32
		// check, when set, replaces the comparison with want
		check func(g Gomega, got []v1alpha1.RoleHolders)
	}{
		{name: "no rows gives an empty list", rows: nil, want: []v1alpha1.RoleHolders{}},
		{
			name: "fields are copied, assignments and bounds dropped",
			rows: []roles.Row{technicalParisHeld, technicalParisVacant, billingEmpty},
			want: []v1alpha1.RoleHolders{
				{Role: "technical", Scope: "site-paris", Holders: []string{"bob", "carol"}, Required: true, Satisfied: true},
				{Role: "technical", Scope: "site-paris", Holders: []string{}, Required: true, Satisfied: false},
				{Role: "billing", Holders: []string{}, Required: false, Satisfied: true},
			},
		},
		{name: "a row keeps 1000 holders", rows: rowsOf("data-protection", 1, 1200, false), wantOmitted: 200,
			check: func(g Gomega, got []v1alpha1.RoleHolders) {
				g.Expect(got).To(HaveLen(1))
				g.Expect(got[0].Holders).To(HaveLen(1000))
			}},
		{name: "too many rows: the optional empty ones go first, the required and held ones stay",
			rows: append(append(rowsOf("technical", 100, 1, true), rowsOf("renewal", 5000, 0, false)...), rowsOf("security-updates", 10, 2, false)...),
			check: func(g Gomega, got []v1alpha1.RoleHolders) {
				g.Expect(len(got)).To(BeNumerically(">=", 110))
				g.Expect(got[:100]).To(HaveEach(HaveField("Role", "technical")))
				g.Expect(got[len(got)-10:]).To(HaveEach(HaveField("Holders", HaveLen(2))))
			}},
		// Each full row takes about 48 KiB: five and a half fit.
		{name: "too many bytes: empty optional rows, then the last holders and rows",
			rows: append(rowsOf("renewal", 100, 0, false), rowsOf("security-updates", 10, 1000, false)...),
			check: func(g Gomega, got []v1alpha1.RoleHolders) {
				g.Expect(got).To(HaveLen(6))
				g.Expect(got).To(HaveEach(HaveField("Role", "security-updates")))
				g.Expect(got[:5]).To(HaveEach(HaveField("Holders", HaveLen(1000))))
				g.Expect(len(got[5].Holders)).To(BeNumerically("<", 1000))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, omitted := roleRows(tt.rows)
			g.Expect(got).NotTo(BeNil())
			if tt.check != nil {
				tt.check(g, got)
			} else {
				g.Expect(got).To(Equal(tt.want))
				g.Expect(omitted).To(Equal(tt.wantOmitted))
			}
			size := 0
			for _, r := range got {
				size += rowBytes(r)
				g.Expect(len(r.Holders)).To(BeNumerically("<=", v1alpha1.MaxRoleHolders))
			}
			g.Expect(size).To(BeNumerically("<=", v1alpha1.MaxRolesBytes))
			held := 0 // rows and holders left out
			for _, r := range tt.rows {
				held += 1 + len(r.Holders)
			}
			for _, r := range got {
				held -= 1 + len(r.Holders)
			}
			g.Expect(int(omitted)).To(Equal(held), "every row and holder left out is counted")
			if tt.wantOmitted != 0 {
				g.Expect(omitted).To(Equal(tt.wantOmitted))
			}
		})
	}
}

func TestSetRolesRecommendedCondition(t *testing.T) {
	renewal := roles.Row{Role: "renewal", Recommended: true}
	held := roles.Row{Role: "renewal", Recommended: true, Holders: []string{"heidi"}}
	siteRenewal := roles.Row{Role: "site-renewal", Scope: "paris", Recommended: true}
	tests := []struct {
		name   string
		rows   []roles.Row
		vacant []roles.Row
		want   []wantCondition
	}{
		{name: "no recommended role: no condition", rows: []roles.Row{technicalParisVacant}},
		{name: "every recommended role held", rows: []roles.Row{held},
			want: []wantCondition{{v1alpha1.RolesRecommendedCondition, metav1.ConditionTrue, v1alpha1.RecommendedRolesHeldReason, "every recommended role is held", 3}}},
		{name: "vacant ones are named, informative", rows: []roles.Row{renewal, siteRenewal}, vacant: []roles.Row{renewal, siteRenewal},
			want: []wantCondition{{v1alpha1.RolesRecommendedCondition, metav1.ConditionFalse, v1alpha1.RecommendedRoleVacantReason,
				"recommended role without a holder: renewal, site-renewal for scope paris (informative", 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			org := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
			setRolesRecommendedCondition(org, tt.vacant, tt.rows)
			expectConditions(g, org.Status.Conditions, tt.want...)
		})
	}
}

func TestRecommendedVacancyKeepsTheOrganizationReady(t *testing.T) {
	g := NewWithT(t)
	ev := roles.Evaluation{Rows: []roles.Row{{Role: "renewal", Recommended: true, Satisfied: true}}}
	org := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Generation: 1}}
	setOrganizationStatus(org, &ev, nil)
	g.Expect(conditions.IsTrue(org.Status.Conditions, v1alpha1.ReadyCondition)).To(BeTrue())
	g.Expect(conditions.IsTrue(org.Status.Conditions, v1alpha1.RolesRecommendedCondition)).To(BeFalse())
}
