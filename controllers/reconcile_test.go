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
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
)

// wantCondition is what a test expects of one condition; LastTransitionTime is only required to be set.
type wantCondition struct {
	Type               string
	Status             metav1.ConditionStatus
	Reason             string
	Message            string // substring of the condition's message
	ObservedGeneration int64
}

// matchCondition matches a condition against w, ignoring the value of LastTransitionTime.
func matchCondition(w wantCondition) types.GomegaMatcher {
	return SatisfyAll(
		HaveField("Type", w.Type),
		HaveField("Status", w.Status),
		HaveField("Reason", w.Reason),
		HaveField("Message", ContainSubstring(w.Message)),
		HaveField("ObservedGeneration", w.ObservedGeneration),
		HaveField("LastTransitionTime.Time", Not(BeZero())),
	)
}

// expectConditions asserts that got holds exactly the wanted conditions, in any order.
func expectConditions(g *WithT, got []metav1.Condition, want ...wantCondition) {
	matchers := make([]any, 0, len(want))
	for _, w := range want {
		matchers = append(matchers, matchCondition(w))
	}
	g.ExpectWithOffset(1, got).To(ConsistOf(matchers...))
}

// condAt returns a condition with a fixed LastTransitionTime, for starting statuses.
func condAt(typ string, status metav1.ConditionStatus, reason, message string, gen int64, at time.Time) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message,
		ObservedGeneration: gen, LastTransitionTime: metav1.NewTime(at)}
}

// past is an earlier clock: conditions set at it keep it while their status does not change.
var past = time.Date(2025, time.January, 2, 3, 4, 5, 0, time.UTC)

func TestSetReady(t *testing.T) {
	tests := []struct {
		name    string
		initial []metav1.Condition
		ready   bool
		stalled bool
		reason  string
		message string
		want    []wantCondition
	}{
		{
			name: "ready adds Ready True and no Stalled", ready: true,
			reason: v1alpha1.ReconciledReason, message: "all good",
			want: []wantCondition{{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "all good", 4}},
		},
		{
			name:   "not ready and not stalled adds Ready False only",
			reason: v1alpha1.ContactNotFoundReason, message: "contact missing",
			want: []wantCondition{{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ContactNotFoundReason, "contact missing", 4}},
		},
		{
			name: "stalled adds Stalled True with the same reason and message", stalled: true,
			reason: v1alpha1.UnknownRoleReason, message: "spec.role is wrong",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.UnknownRoleReason, "spec.role is wrong", 4},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.UnknownRoleReason, "spec.role is wrong", 4},
			},
		},
		{
			name: "not stalled removes an existing Stalled and keeps other conditions",
			initial: []metav1.Condition{
				condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.UnknownRoleReason, "old", 3, past),
				condAt(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.UnknownRoleReason, "old", 3, past),
				condAt(v1alpha1.RolesSatisfiedCondition, metav1.ConditionTrue, v1alpha1.RolesSatisfiedReason, "held", 3, past),
			},
			ready: true, reason: v1alpha1.ReconciledReason, message: "fixed",
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "fixed", 4},
				{v1alpha1.RolesSatisfiedCondition, metav1.ConditionTrue, v1alpha1.RolesSatisfiedReason, "held", 3},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			conds := append([]metav1.Condition(nil), tt.initial...)
			conditions.SetReady(&conds, 4, tt.ready, tt.stalled, tt.reason, tt.message)
			expectConditions(g, conds, tt.want...)
		})
	}
}

func TestSoonest(t *testing.T) {
	tests := []struct {
		name string
		a, b time.Duration
		want time.Duration
	}{
		{name: "both zero", want: 0},
		{name: "only a set", a: time.Minute, want: time.Minute},
		{name: "only b set", b: time.Minute, want: time.Minute},
		{name: "a shorter", a: 10 * time.Second, b: time.Minute, want: 10 * time.Second},
		{name: "b shorter", a: time.Minute, b: 10 * time.Second, want: 10 * time.Second},
		{name: "equal", a: time.Minute, b: time.Minute, want: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := soonest(ctrl.Result{RequeueAfter: tt.a}, ctrl.Result{RequeueAfter: tt.b})
			g.Expect(got).To(Equal(ctrl.Result{RequeueAfter: tt.want}))
		})
	}
}

func TestRunPhases(t *testing.T) {
	errBoom := errors.New("boom")
	// step returns a phase that records its name and returns the given requeue and error.
	step := func(name string, after time.Duration, err error) phase[*[]string] {
		return func(_ context.Context, ran *[]string) (ctrl.Result, error) {
			*ran = append(*ran, name)
			return ctrl.Result{RequeueAfter: after}, err
		}
	}
	tests := []struct {
		name       string
		phases     []phase[*[]string]
		wantRan    []string
		wantResult ctrl.Result
		wantErr    error
	}{
		{
			name:       "no phases",
			wantRan:    nil,
			wantResult: ctrl.Result{},
		},
		{
			name:       "all phases run and the soonest non-zero requeue wins",
			phases:     []phase[*[]string]{step("a", time.Minute, nil), step("b", 0, nil), step("c", 5*time.Second, nil), step("d", time.Hour, nil)},
			wantRan:    []string{"a", "b", "c", "d"},
			wantResult: ctrl.Result{RequeueAfter: 5 * time.Second},
		},
		{
			name:       "first error stops the list and later phases do not run",
			phases:     []phase[*[]string]{step("a", time.Minute, nil), step("b", time.Second, errBoom), step("c", time.Millisecond, nil)},
			wantRan:    []string{"a", "b"},
			wantResult: ctrl.Result{RequeueAfter: time.Minute},
			wantErr:    errBoom,
		},
		{
			name:       "error in the first phase",
			phases:     []phase[*[]string]{step("a", 0, errBoom), step("b", time.Second, nil)},
			wantRan:    []string{"a"},
			wantResult: ctrl.Result{},
			wantErr:    errBoom,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var ran []string
			result, err := runPhases(context.Background(), &ran, tt.phases...)
			if tt.wantErr != nil {
				g.Expect(err).To(MatchError(tt.wantErr))
			} else {
				g.Expect(err).NotTo(HaveOccurred())
			}
			g.Expect(ran).To(Equal(tt.wantRan))
			g.Expect(result).To(Equal(tt.wantResult))
		})
	}
}
