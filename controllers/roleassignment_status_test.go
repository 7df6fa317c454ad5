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

func TestAssignmentStatus(t *testing.T) {
	const gen = 9
	tests := []struct {
		name       string
		role       string
		scope      string
		initial    v1alpha1.RoleAssignmentStatus
		result     roles.AssignmentResult
		wantHolder string
		want       []wantCondition
	}{
		{
			name: "effective in a scope", role: "technical", scope: "site-paris",
			result:     roles.AssignmentResult{Effective: true, Holder: "alice", Reason: v1alpha1.ReconciledReason, Message: "ignored"},
			wantHolder: "alice",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "role technical (scope site-paris) held by alice", gen},
			},
		},
		{
			name: "effective organization-wide", role: "primary",
			result:     roles.AssignmentResult{Effective: true, Holder: "bob", Reason: v1alpha1.ReconciledReason},
			wantHolder: "bob",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "role primary held by bob", gen},
			},
		},
		{
			name: "conflict clears the holder and does not stall", role: "primary",
			initial: v1alpha1.RoleAssignmentStatus{Holder: "bob"},
			result: roles.AssignmentResult{Reason: v1alpha1.ConflictReason,
				Message: `role "primary" allows at most 1 holder in scope "" and it is held by carol (assignment ra-carol, older)`},
			wantHolder: "",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ConflictReason, "held by carol (assignment ra-carol, older)", gen},
			},
		},
		{
			name: "unknown role stalls", role: "cook",
			initial: v1alpha1.RoleAssignmentStatus{Holder: "bob"},
			result: roles.AssignmentResult{Reason: v1alpha1.UnknownRoleReason,
				Message: `spec.role "cook" is not in organization acme's catalogue`},
			wantHolder: "",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.UnknownRoleReason, `spec.role "cook" is not in organization acme's catalogue`, gen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.UnknownRoleReason, `spec.role "cook" is not in organization acme's catalogue`, gen},
			},
		},
		{
			name: "contact not found does not stall", role: "primary",
			result: roles.AssignmentResult{Reason: v1alpha1.ContactNotFoundReason,
				Message: `contact "zoe" does not exist in namespace "default"`},
			wantHolder: "",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ContactNotFoundReason, `contact "zoe" does not exist`, gen},
			},
		},
		{
			name: "recovery from an unknown role removes Stalled", role: "primary",
			initial: v1alpha1.RoleAssignmentStatus{
				ObservedGeneration: gen - 1,
				Conditions: []metav1.Condition{
					condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.UnknownRoleReason, "unknown", gen-1, past),
					condAt(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.UnknownRoleReason, "unknown", gen-1, past),
				},
			},
			result:     roles.AssignmentResult{Effective: true, Holder: "alice", Reason: v1alpha1.ReconciledReason},
			wantHolder: "alice",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "role primary held by alice", gen},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ra := &v1alpha1.RoleAssignment{
				ObjectMeta: metav1.ObjectMeta{Name: "ra", Generation: gen},
				Spec:       v1alpha1.RoleAssignmentSpec{Role: tt.role, Scope: tt.scope},
				Status:     tt.initial,
			}
			setAssignmentStatus(ra, tt.result, holderChange{})
			g.Expect(ra.Status.ObservedGeneration).To(Equal(int64(gen)))
			g.Expect(ra.Status.Holder).To(Equal(tt.wantHolder))
			expectConditions(g, ra.Status.Conditions, tt.want...)
		})
	}
}

func TestAssignmentStatusKeepsLastTransitionTime(t *testing.T) {
	g := NewWithT(t)
	ra := &v1alpha1.RoleAssignment{
		ObjectMeta: metav1.ObjectMeta{Name: "ra", Generation: 1},
		Spec:       v1alpha1.RoleAssignmentSpec{Role: "primary"},
	}
	conflict := roles.AssignmentResult{Reason: v1alpha1.ConflictReason, Message: "held by carol"}
	setAssignmentStatus(ra, conflict, holderChange{})
	g.Expect(ra.Status.Conditions).To(HaveLen(1))
	ra.Status.Conditions[0].LastTransitionTime = metav1.NewTime(past)

	setAssignmentStatus(ra, conflict, holderChange{})
	g.Expect(ra.Status.Conditions).To(HaveLen(1))
	g.Expect(ra.Status.Conditions[0].LastTransitionTime.Time).To(Equal(past))

	setAssignmentStatus(ra, roles.AssignmentResult{Effective: true, Holder: "alice", Reason: v1alpha1.ReconciledReason}, holderChange{})
	g.Expect(ra.Status.Conditions).To(HaveLen(1))
	g.Expect(ra.Status.Conditions[0].Status).To(Equal(metav1.ConditionTrue))
	g.Expect(ra.Status.Conditions[0].LastTransitionTime.Time).To(BeTemporally(">", past))
}

func TestStalls(t *testing.T) {
	tests := []struct {
		reason string
		want   bool
	}{
		{v1alpha1.UnknownRoleReason, true},
		{v1alpha1.ScopeRequiredReason, true},
		{v1alpha1.ScopeNotAllowedReason, true},
		{v1alpha1.ContactOfOtherOrganizationReason, true},
		{v1alpha1.InvalidCatalogueReason, true},
		{v1alpha1.ContactNotFoundReason, false},
		{v1alpha1.OrganizationNotFoundReason, false},
		{v1alpha1.ContactDisabledReason, false},
		{v1alpha1.DuplicateReason, false},
		{v1alpha1.ConflictReason, false},
		{v1alpha1.ReconciledReason, false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(stalls(tt.reason)).To(Equal(tt.want))
		})
	}
}
