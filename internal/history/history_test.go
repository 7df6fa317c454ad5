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

package history

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

var now = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

func entry(holder string, size int) v1alpha1.HolderChange {
	return v1alpha1.HolderChange{Role: "billing", Holder: holder + strings.Repeat("x", size), How: v1alpha1.HolderChangeAssignment}
}

func TestAppendKeepsTheNewestWithinBounds(t *testing.T) {
	var full []v1alpha1.HolderChange
	for i := range MaxEntries {
		full = append(full, entry(string(rune('a'+i%26)), 0))
	}
	tests := []struct {
		name       string
		h, entries []v1alpha1.HolderChange
		wantLen    int
		wantFirst  string
	}{
		{"nothing to add", full[:3], nil, 3, "a"},
		{"room left", full[:3], []v1alpha1.HolderChange{entry("new", 0)}, 4, "a"},
		{"full: the oldest goes", full, []v1alpha1.HolderChange{entry("new", 0)}, MaxEntries, "b"},
		{"more new than room: the newest stay", nil, append(full, entry("y", 0), entry("z", 0)), MaxEntries, "c"},
		{"names beyond 48 KiB: the oldest go", []v1alpha1.HolderChange{entry("a", 20000), entry("b", 20000)},
			[]v1alpha1.HolderChange{entry("c", 20000)}, 2, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Append(tt.h, tt.entries...)
			total := 0
			for _, e := range got {
				total += Size(e)
			}
			if len(got) != tt.wantLen || got[0].Holder[:1] != tt.wantFirst || total > MaxNames {
				t.Fatalf("got %d entries from %q (%d characters), want %d from %q", len(got), got[0].Holder[:1], total, tt.wantLen, tt.wantFirst)
			}
			if len(tt.entries) > 0 && got[len(got)-1].Holder != tt.entries[len(tt.entries)-1].Holder {
				t.Fatalf("the newest entry was dropped")
			}
		})
	}
}

func ra(name, role, holder string, mutate ...func(*v1alpha1.RoleAssignment)) v1alpha1.RoleAssignment {
	r := v1alpha1.RoleAssignment{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{v1alpha1.ChangedByAnnotation: "alice@corp"}},
		Spec:   v1alpha1.RoleAssignmentSpec{Role: role, ContactRef: v1alpha1.LocalObjectReference{Name: holder}},
		Status: v1alpha1.RoleAssignmentStatus{Holder: holder}}
	for _, m := range mutate {
		m(&r)
	}
	return r
}

func TestEntries(t *testing.T) {
	decided := metav1.NewTime(now.Add(-time.Hour))
	completed := metav1.NewTime(now.Add(-time.Minute))
	moved := v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Name: "t1"},
		Spec: v1alpha1.ContactTransferSpec{Role: "billing", From: &v1alpha1.LocalObjectReference{Name: "bob"},
			To: v1alpha1.LocalObjectReference{Name: "carol"}, RequestedBy: &v1alpha1.LocalObjectReference{Name: "dave"}, Username: "dave@corp"},
		Status: v1alpha1.ContactTransferStatus{CompletedAt: &completed, Approvals: []v1alpha1.PartyApproval{
			{Contact: "carol", Decision: v1alpha1.DecisionApproved, DecidedAt: &decided, Via: v1alpha1.DecisionViaLink},
			{Contact: "dave", Decision: v1alpha1.DecisionApproved, DecidedAt: &decided, Via: v1alpha1.DecisionViaOverride, User: "admin"},
			{Contact: "erin", Decision: v1alpha1.DecisionPending},
		}}}
	reassigned := moved
	reassigned.Labels = map[string]string{v1alpha1.PurposeLabel: v1alpha1.ReassignmentPurpose}
	reassigned.Status.Approvals = moved.Status.Approvals[:1]
	gone := metav1.NewTime(now)
	ended := metav1.NewTime(now.Add(-time.Second))
	row := func(holders, _ []string) []v1alpha1.RoleHolders {
		return []v1alpha1.RoleHolders{{Role: "billing", Holders: holders}}
	}
	before := []v1alpha1.RoleHolders{{Role: "billing", Holders: []string{"bob"}}}
	tests := []struct {
		name   string
		before []v1alpha1.RoleHolders
		after  []v1alpha1.RoleHolders
		src    Sources
		want   []v1alpha1.HolderChange
	}{
		{"no change", before, row([]string{"bob"}, []string{"ra"}), Sources{}, nil},
		{"initial roster",
			nil, row([]string{"bob"}, []string{"ra"}),
			Sources{Assignments: []v1alpha1.RoleAssignment{ra("ra", "billing", "bob")},
				Results: map[string]roles.AssignmentResult{"ra": {Effective: true, Holder: "bob", Grant: v1alpha1.GrantInitialRoster}}},
			[]v1alpha1.HolderChange{{Role: "billing", Holder: "bob", How: v1alpha1.HolderChangeInitialRoster, Assignment: "ra", User: "alice@corp"}}},
		{"a direct assignment of the initial roster",
			nil, row([]string{"bob"}, []string{"ra"}),
			Sources{Organization: &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(now)}},
				Assignments: []v1alpha1.RoleAssignment{ra("ra", "billing", "bob", func(r *v1alpha1.RoleAssignment) {
					r.Generation, r.CreationTimestamp = 1, metav1.NewTime(now.Add(time.Minute))
				})},
				Results: map[string]roles.AssignmentResult{"ra": {Effective: true, Holder: "bob", Grant: v1alpha1.GrantDirect}}},
			[]v1alpha1.HolderChange{{Role: "billing", Holder: "bob", How: v1alpha1.HolderChangeInitialRoster, Assignment: "ra", User: "alice@corp"}}},
		{"a direct repoint replaces the holder",
			before, row([]string{"carol"}, []string{"ra"}),
			Sources{Assignments: []v1alpha1.RoleAssignment{ra("ra", "billing", "carol")},
				Results: map[string]roles.AssignmentResult{"ra": {Effective: true, Holder: "carol", Grant: v1alpha1.GrantDirect}}},
			[]v1alpha1.HolderChange{{Role: "billing", Holder: "carol", Previous: "bob", How: v1alpha1.HolderChangeAssignment, Assignment: "ra", User: "alice@corp"}}},
		{"a transfer with an override",
			before, row([]string{"carol"}, []string{"ra"}),
			Sources{Assignments: []v1alpha1.RoleAssignment{ra("ra", "billing", "bob")}, Transfers: []v1alpha1.ContactTransfer{moved},
				Results: map[string]roles.AssignmentResult{"ra": {Effective: true, Holder: "carol", Grant: v1alpha1.GrantTransfer, Transfer: "t1"}}},
			[]v1alpha1.HolderChange{{Role: "billing", Holder: "carol", Previous: "bob", How: v1alpha1.HolderChangeOverride, Assignment: "ra",
				Transfer: "t1", RequestedBy: "dave", User: "dave@corp", Since: completed, Approvals: []v1alpha1.HistoryApproval{
					{Contact: "carol", DecidedAt: &decided, Via: v1alpha1.DecisionViaLink},
					{Contact: "dave", DecidedAt: &decided, Via: v1alpha1.DecisionViaOverride, User: "admin"}}}}},
		{"a reassignment",
			before, row([]string{"carol"}, []string{"ra"}),
			Sources{Assignments: []v1alpha1.RoleAssignment{ra("ra", "billing", "bob")}, Transfers: []v1alpha1.ContactTransfer{reassigned},
				Results: map[string]roles.AssignmentResult{"ra": {Effective: true, Holder: "carol", Grant: v1alpha1.GrantTransfer, Transfer: "t1"}}},
			[]v1alpha1.HolderChange{{Role: "billing", Holder: "carol", Previous: "bob", How: v1alpha1.HolderChangeReassignment, Assignment: "ra",
				Transfer: "t1", RequestedBy: "dave", Since: completed, Approvals: []v1alpha1.HistoryApproval{
					{Contact: "carol", DecidedAt: &decided, Via: v1alpha1.DecisionViaLink}}}}},
		{"a requested-by annotation that names no contact is left out",
			before, row([]string{"carol"}, []string{"ra"}),
			Sources{Assignments: []v1alpha1.RoleAssignment{ra("ra", "billing", "carol", func(r *v1alpha1.RoleAssignment) {
				r.Annotations[v1alpha1.RequestedByAnnotation] = strings.Repeat("x", 300)
			})},
				Results: map[string]roles.AssignmentResult{"ra": {Effective: true, Holder: "carol", Grant: v1alpha1.GrantDirect}}},
			[]v1alpha1.HolderChange{{Role: "billing", Holder: "carol", Previous: "bob", How: v1alpha1.HolderChangeAssignment, Assignment: "ra", User: "alice@corp"}}},
		{"a deletion, even with a successor at once",
			before, row([]string{"carol"}, []string{"rb"}),
			Sources{Assignments: []v1alpha1.RoleAssignment{
				ra("ra", "billing", "bob", func(r *v1alpha1.RoleAssignment) {
					r.DeletionTimestamp = &gone
					r.Annotations[v1alpha1.DeletedByAnnotation] = "mallory@corp"
				}), ra("rb", "billing", "carol")},
				Results: map[string]roles.AssignmentResult{"rb": {Effective: true, Holder: "carol", Grant: v1alpha1.GrantDirect}}},
			[]v1alpha1.HolderChange{
				{Role: "billing", Previous: "bob", How: v1alpha1.HolderChangeDeletion, Assignment: "ra", User: "mallory@corp"},
				{Role: "billing", Holder: "carol", How: v1alpha1.HolderChangeAssignment, Assignment: "rb", User: "alice@corp"}}},
		{"an expiry",
			before, row(nil, nil),
			Sources{Assignments: []v1alpha1.RoleAssignment{ra("ra", "billing", "bob", func(r *v1alpha1.RoleAssignment) { r.Spec.ValidUntil = &ended })}},
			[]v1alpha1.HolderChange{{Role: "billing", Previous: "bob", How: v1alpha1.HolderChangeExpiry, Assignment: "ra", Since: ended}}},
		{"a vacancy",
			before, row(nil, nil),
			Sources{Assignments: []v1alpha1.RoleAssignment{ra("ra", "billing", "bob")}},
			[]v1alpha1.HolderChange{{Role: "billing", Previous: "bob", How: v1alpha1.HolderChangeVacated, Assignment: "ra"}}},
		{"a holder the status omits but the evaluation has did not leave",
			before, row(nil, nil), Sources{Rows: []roles.Row{{Role: "billing", Holders: []string{"bob"}}}}, nil},
		{"a role gone from the catalogue",
			before, nil, Sources{},
			[]v1alpha1.HolderChange{{Role: "billing", Previous: "bob", How: v1alpha1.HolderChangeVacated}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Now = now
			got := Entries(tt.before, tt.after, tt.src)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				want := tt.want[i]
				if want.Since.IsZero() {
					want.Since = metav1.NewTime(now)
				}
				if g, w := describe(got[i]), describe(want); g != w {
					t.Errorf("entry %d:\n got %s\nwant %s", i, g, w)
				}
			}
		})
	}
}

func describe(e v1alpha1.HolderChange) string {
	s := strings.Join([]string{e.Role, e.Scope, e.Holder, e.Previous, e.Since.UTC().Format(time.RFC3339), string(e.How), e.Assignment,
		e.Transfer, e.RequestedBy, e.User}, "|")
	for _, a := range e.Approvals {
		s += " [" + a.Contact + " " + string(a.Via) + " " + a.User + " " + a.DecidedAt.UTC().Format(time.RFC3339) + "]"
	}
	return s
}

func TestPrunableKeepsTheNewestSettled(t *testing.T) {
	settled := func(name string, age time.Duration) v1alpha1.ContactTransfer {
		at := metav1.NewTime(now.Add(-age))
		return v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: v1alpha1.ContactTransferStatus{CompletedAt: &at,
			Conditions: []metav1.Condition{{Type: v1alpha1.CompletedCondition, Status: metav1.ConditionTrue}}}}
	}
	refused := v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Name: "refused"}, Status: v1alpha1.ContactTransferStatus{
		Conditions: []metav1.Condition{{Type: v1alpha1.RefusedCondition, Status: metav1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-2 * time.Hour))}}}}
	open := v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Name: "open"}}
	sending := settled("sending", 4*time.Hour) // its last notice is not sent yet
	sending.Status.Outbox = []v1alpha1.Delivery{{ID: "x", State: v1alpha1.DeliveryPending}}
	all := []v1alpha1.ContactTransfer{settled("new", time.Minute), open, settled("old", 3*time.Hour), refused, settled("newer", 0), sending}
	tests := []struct {
		limit int
		want  string
	}{{10, ""}, {4, ""}, {3, "old"}, {2, "old refused"}, {0, "old refused new newer"}}
	for _, tt := range tests {
		var names []string
		for _, t := range Prunable(all, tt.limit) {
			names = append(names, t.Name)
		}
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("limit %d: pruned %q, want %q", tt.limit, got, tt.want)
		}
	}
}

// Two transfers settled within the same second: the one asked first is the older.
func TestPrunableBreaksTiesByCreation(t *testing.T) {
	at := metav1.NewTime(now)
	settled := func(name string, created time.Time) v1alpha1.ContactTransfer {
		return v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)},
			Status: v1alpha1.ContactTransferStatus{CompletedAt: &at,
				Conditions: []metav1.Condition{{Type: v1alpha1.CompletedCondition, Status: metav1.ConditionTrue}}}}
	}
	// "billing-to-bob" sorts first by name, but was asked later.
	pruned := Prunable([]v1alpha1.ContactTransfer{settled("billing-to-bob", now.Add(-time.Second)), settled("billing-to-carol", now.Add(-time.Minute))}, 1)
	if len(pruned) != 1 || pruned[0].Name != "billing-to-carol" {
		t.Fatalf("pruned %v, want billing-to-carol", pruned)
	}
}
