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

package roles

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

func TestExpiryStageAt(t *testing.T) {
	end := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		now       time.Time
		wantStage v1alpha1.ExpiryStage
		wantNext  time.Time
	}{
		{"a month before", end.AddDate(0, -1, 0), "", end.Add(-WeekNotice)},
		{"just before the week", end.Add(-WeekNotice - time.Second), "", end.Add(-WeekNotice)},
		{"a week before", end.Add(-WeekNotice), v1alpha1.ExpiryWeek, end.Add(-DayNotice)},
		{"three days before", end.Add(-72 * time.Hour), v1alpha1.ExpiryWeek, end.Add(-DayNotice)},
		{"a day before", end.Add(-DayNotice), v1alpha1.ExpiryDay, end},
		{"a second before", end.Add(-time.Second), v1alpha1.ExpiryDay, end},
		{"at the end", end, v1alpha1.ExpiryEnded, time.Time{}},
		{"long after", end.AddDate(1, 0, 0), v1alpha1.ExpiryEnded, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stage, next := ExpiryStageAt(end, tc.now)
			if stage != tc.wantStage || !next.Equal(tc.wantNext) {
				t.Errorf("ExpiryStageAt(%s) = %q, %s; want %q, %s", tc.now, stage, next, tc.wantStage, tc.wantNext)
			}
		})
	}
}

func TestEvaluateEndsAssignmentsAtValidUntil(t *testing.T) {
	org := newOrg("acme")
	end := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
	people := contacts("alice", "bob")
	primary := newRA("acme-primary", Primary, "", "alice", 0)
	renewal := newRA("acme-renewal", "renewal", "", "bob", 0)
	renewal.Spec.ValidUntil = &metav1.Time{Time: end}
	for _, tc := range []struct {
		name          string
		now           time.Time
		wantEffective bool
		wantReason    string
	}{
		{"before the end", end.Add(-time.Minute), true, v1alpha1.ReconciledReason},
		{"at the end", end, false, v1alpha1.ExpiredReason},
		{"after the end", end.Add(time.Hour), false, v1alpha1.ExpiredReason},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := Evaluate(Input{Organization: org, Contacts: people,
				Assignments: []v1alpha1.RoleAssignment{primary, renewal}, Now: tc.now})
			got := ev.Assignments["acme-renewal"]
			if got.Effective != tc.wantEffective || got.Reason != tc.wantReason {
				t.Fatalf("renewal at %s: effective %v reason %q; want %v %q", tc.now, got.Effective, got.Reason, tc.wantEffective, tc.wantReason)
			}
			row, _ := ev.Row("renewal", "")
			if holds := len(row.Holders) == 1; holds != tc.wantEffective {
				t.Errorf("renewal row holders %v, want held=%v", row.Holders, tc.wantEffective)
			}
		})
	}
}

func TestEvaluateReportsARequiredRoleVacantOnceItsLastHolderEnds(t *testing.T) {
	org := newOrg("acme")
	end := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
	primary := newRA("acme-primary", Primary, "", "alice", 0)
	primary.Spec.ValidUntil = &metav1.Time{Time: end}
	in := Input{Organization: org, Contacts: contacts("alice"),
		Assignments: []v1alpha1.RoleAssignment{primary}}
	in.Now = end.Add(-time.Second)
	if v := Evaluate(in).Vacant(); len(v) != 1 || v[0].Role != "technical" {
		t.Fatalf("before the end: vacant %v, want only technical", v)
	}
	in.Now = end
	var vacant []string
	for _, r := range Evaluate(in).Vacant() {
		vacant = append(vacant, r.Role)
	}
	if len(vacant) != 2 || vacant[0] != Primary {
		t.Errorf("at the end: vacant %v, want primary and technical", vacant)
	}
}
