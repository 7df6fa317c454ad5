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
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// xferGen is the generation of the transfers these tests build.
const xferGen = 3

// xferNow is the clock of the status computations; it differs from past.
var xferNow = metav1.NewTime(time.Date(2026, time.March, 4, 5, 6, 7, 0, time.UTC))

// xferWith returns a transfer of role technical from bob to frank, asked by alice, with the given rows.
func xferWith(approvals ...v1alpha1.PartyApproval) *v1alpha1.ContactTransfer {
	return &v1alpha1.ContactTransfer{
		ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "technical-to-frank", Generation: xferGen, UID: "uid-1"},
		Spec: v1alpha1.ContactTransferSpec{
			OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"},
			Role:            "technical",
			From:            &v1alpha1.LocalObjectReference{Name: "bob"},
			To:              v1alpha1.LocalObjectReference{Name: "frank"},
			RequestedBy:     &v1alpha1.LocalObjectReference{Name: "alice"},
		},
		Status: v1alpha1.ContactTransferStatus{Approvals: approvals},
	}
}

// kindOf is the party kind of the test transfers' contacts: frank comes in, the others initiate.
func kindOf(contact string) v1alpha1.PartyKind {
	if contact == "frank" {
		return v1alpha1.PartyIncoming
	}
	return v1alpha1.PartyInitiator
}

func pendingRow(contact string) v1alpha1.PartyApproval {
	return v1alpha1.PartyApproval{Contact: contact, As: kindOf(contact), Decision: v1alpha1.DecisionPending}
}

func approvedRow(contact string) v1alpha1.PartyApproval {
	at := metav1.NewTime(past)
	return v1alpha1.PartyApproval{Contact: contact, As: kindOf(contact), Decision: v1alpha1.DecisionApproved, DecidedAt: &at, Via: v1alpha1.DecisionViaLink}
}

func refusedRow(contact string) v1alpha1.PartyApproval {
	at := metav1.NewTime(past)
	return v1alpha1.PartyApproval{Contact: contact, As: kindOf(contact), Decision: v1alpha1.DecisionRefused, DecidedAt: &at, Via: v1alpha1.DecisionViaAnnotation}
}

func TestTransferStatus(t *testing.T) {
	const (
		refusedMsg = "alice refused the transfer; nothing moves"
		lockedMsg  = "locked after 5 wrong tokens; nothing moves"
		expiredMsg = "expired before every party approved; nothing moves"
		invalidMsg = "spec.requestedBy: mallory holds no initiator role"
		overdueMsg = "frank has unpaid invoices"
	)
	tests := []struct {
		name           string
		scope          string
		approvals      []v1alpha1.PartyApproval
		failedAttempts int32
		completedAt    *metav1.Time
		initial        []metav1.Condition
		facts          Facts
		want           []wantCondition
		wantAwaiting   string
		wantCompleted  *metav1.Time
	}{
		{
			name:      "pending parties await approval",
			approvals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("bob"), pendingRow("frank")},
			facts:     Facts{MaxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank, one of alice, bob", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank, one of alice, bob to approve with their token", xferGen},
			},
			wantAwaiting: "frank, one of alice, bob",
		},
		{
			name:      "all approved is Approved but not yet Ready",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts:     Facts{MaxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice (Link), frank (Link)", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ApprovedReason, "approved: moving role technical to frank", xferGen},
			},
		},
		{
			name:  "no approvals needed is Approved without approval",
			facts: Facts{MaxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "role technical changes without approval", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ApprovedReason, "approved: moving role technical to frank", xferGen},
			},
		},
		{
			name:      "moved is Completed and Ready, and sets completedAt",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts:     Facts{MaxAttempts: 5, Moved: true},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice (Link), frank (Link)", xferGen},
				{v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
			},
			wantCompleted: &xferNow,
		},
		{
			name:      "moved names the scope",
			scope:     "site-paris",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts:     Facts{MaxAttempts: 5, Moved: true},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice (Link), frank (Link)", xferGen},
				{v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical (scope site-paris) moved to frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical (scope site-paris) moved to frank", xferGen},
			},
			wantCompleted: &xferNow,
		},
		{
			name:          "moved keeps an earlier completedAt",
			approvals:     []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			completedAt:   &metav1.Time{Time: past},
			facts:         Facts{MaxAttempts: 5, Moved: true},
			wantCompleted: &metav1.Time{Time: past},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice (Link), frank (Link)", xferGen},
				{v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
			},
		},
		{
			name:      "overdue holds the approved transfer back without stalling it",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts:     Facts{MaxAttempts: 5, Overdue: overdueMsg},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice (Link), frank (Link)", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AccountOverdueReason, overdueMsg, xferGen},
			},
		},
		{
			name:      "a refusal refuses and stalls the transfer",
			approvals: []v1alpha1.PartyApproval{refusedRow("alice"), pendingRow("frank")},
			facts:     Facts{MaxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.RefusedCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, refusedMsg, xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.RefusedReason, refusedMsg, xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, refusedMsg, xferGen},
			},
		},
		{
			name:      "the first refusing party is named",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), refusedRow("bob"), refusedRow("frank")},
			facts:     Facts{MaxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.RefusedCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, "bob refused the transfer; nothing moves", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.RefusedReason, "bob refused the transfer", xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, "bob refused the transfer", xferGen},
			},
		},
		{
			name:           "a refusal wins over a lock-out and an expiry",
			approvals:      []v1alpha1.PartyApproval{refusedRow("alice"), pendingRow("frank")},
			failedAttempts: 5,
			facts:          Facts{MaxAttempts: 5, Expired: true},
			want: []wantCondition{
				{v1alpha1.RefusedCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, refusedMsg, xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.RefusedReason, refusedMsg, xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, refusedMsg, xferGen},
			},
		},
		{
			name:           "maxAttempts wrong tokens lock the transfer out",
			approvals:      []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			failedAttempts: 5,
			facts:          Facts{MaxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.RefusedCondition, metav1.ConditionTrue, v1alpha1.LockedReason, lockedMsg, xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.LockedReason, lockedMsg, xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.LockedReason, lockedMsg, xferGen},
			},
		},
		{
			name:           "more than maxAttempts wrong tokens lock the transfer out",
			approvals:      []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			failedAttempts: 7,
			facts:          Facts{MaxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.RefusedCondition, metav1.ConditionTrue, v1alpha1.LockedReason, "locked after 7 wrong tokens", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.LockedReason, "locked after 7 wrong tokens", xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.LockedReason, "locked after 7 wrong tokens", xferGen},
			},
		},
		{
			name:           "one wrong token short of maxAttempts still awaits approval",
			approvals:      []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			failedAttempts: 4,
			facts:          Facts{MaxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank, alice", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank, alice", xferGen},
			},
			wantAwaiting: "frank, alice",
		},
		{
			name:           "maxAttempts 0 never locks",
			approvals:      []v1alpha1.PartyApproval{pendingRow("frank")},
			failedAttempts: 9,
			facts:          Facts{},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank", xferGen},
			},
			wantAwaiting: "frank",
		},
		{
			name:      "expiry before approval expires and stalls the transfer",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("frank")},
			facts:     Facts{MaxAttempts: 5, Expired: true},
			want: []wantCondition{
				{v1alpha1.ExpiredCondition, metav1.ConditionTrue, v1alpha1.ExpiredReason, expiredMsg, xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ExpiredReason, expiredMsg, xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.ExpiredReason, expiredMsg, xferGen},
			},
		},
		{
			name:      "an already Approved transfer does not expire",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			initial: []metav1.Condition{
				condAt(v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice (Link), frank (Link)", 2, past),
				condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ApprovedReason, "approved: moving role technical to frank", 2, past),
			},
			facts: Facts{MaxAttempts: 5, Expired: true},
			want: []wantCondition{
				// Approved is one-way: the earlier condition stays as it was, generation included.
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice (Link), frank (Link)", 2},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ApprovedReason, "approved: moving role technical to frank", xferGen},
			},
		},
		{
			name:      "an invalid transfer is not ready and stalled",
			approvals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			facts:     Facts{MaxAttempts: 5, Invalid: invalidMsg},
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.InvalidTransferReason, invalidMsg, xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.InvalidTransferReason, invalidMsg, xferGen},
			},
		},
		{
			name:      "invalid wins over a refusal",
			approvals: []v1alpha1.PartyApproval{refusedRow("alice"), pendingRow("frank")},
			facts:     Facts{MaxAttempts: 5, Invalid: invalidMsg},
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.InvalidTransferReason, invalidMsg, xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.InvalidTransferReason, invalidMsg, xferGen},
			},
		},
		{
			name:      "a transfer no longer invalid drops Stalled and awaits approval again",
			approvals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			initial: []metav1.Condition{
				condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.InvalidTransferReason, invalidMsg, 2, past),
				condAt(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.InvalidTransferReason, invalidMsg, 2, past),
			},
			facts: Facts{MaxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank, alice", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank, alice", xferGen},
			},
			wantAwaiting: "frank, alice",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			x := xferWith(tt.approvals...)
			x.Spec.Scope = tt.scope
			x.Status.FailedAttempts = tt.failedAttempts
			x.Status.CompletedAt = tt.completedAt
			x.Status.Conditions = append([]metav1.Condition(nil), tt.initial...)
			x.Status.Awaiting = "stale"
			tt.facts.Now = xferNow

			SetStatus(x, tt.facts)

			expectConditions(g, x.Status.Conditions, tt.want...)
			g.Expect(x.Status.Awaiting).To(Equal(tt.wantAwaiting))
			g.Expect(x.Status.ObservedGeneration).To(Equal(int64(xferGen)))
			g.Expect(x.Status.CompletedAt).To(Equal(tt.wantCompleted))
			if tt.approvals == nil {
				g.Expect(x.Status.Approvals).To(BeEmpty())
			} else {
				g.Expect(x.Status.Approvals).To(Equal(tt.approvals), "setTransferStatus must not change the approvals")
			}
			g.Expect(x.Status.FailedAttempts).To(Equal(tt.failedAttempts))
		})
	}
}

func TestTransferCompletedAtIsSetOnce(t *testing.T) {
	g := NewWithT(t)
	x := xferWith(approvedRow("alice"), approvedRow("frank"))
	SetStatus(x, Facts{MaxAttempts: 5, Moved: true, Now: xferNow})
	g.Expect(x.Status.CompletedAt).To(Equal(&xferNow))
	after := append([]metav1.Condition(nil), x.Status.Conditions...)

	later := metav1.NewTime(xferNow.Add(time.Hour))
	SetStatus(x, Facts{MaxAttempts: 5, Moved: true, Now: later})

	g.Expect(x.Status.CompletedAt).To(Equal(&xferNow), "completedAt must not move")
	g.Expect(x.Status.Conditions).To(Equal(after))
	expectConditions(g, x.Status.Conditions,
		wantCondition{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice (Link), frank (Link)", xferGen},
		wantCondition{v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
		wantCondition{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
	)
}

func TestTransferStatusIsOneWay(t *testing.T) {
	settled := []struct {
		name        string
		approvals   []v1alpha1.PartyApproval
		completedAt *metav1.Time
		conds       []metav1.Condition
	}{
		{
			name:      "refused",
			approvals: []v1alpha1.PartyApproval{refusedRow("alice"), pendingRow("frank")},
			conds: []metav1.Condition{
				condAt(v1alpha1.RefusedCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, "alice refused", 2, past),
				condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.RefusedReason, "alice refused", 2, past),
				condAt(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, "alice refused", 2, past),
			},
		},
		{
			name:      "locked",
			approvals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			conds: []metav1.Condition{
				condAt(v1alpha1.RefusedCondition, metav1.ConditionTrue, v1alpha1.LockedReason, "locked", 2, past),
				condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.LockedReason, "locked", 2, past),
				condAt(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.LockedReason, "locked", 2, past),
			},
		},
		{
			name:      "expired",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("frank")},
			conds: []metav1.Condition{
				condAt(v1alpha1.ExpiredCondition, metav1.ConditionTrue, v1alpha1.ExpiredReason, "expired", 2, past),
				condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ExpiredReason, "expired", 2, past),
				condAt(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.ExpiredReason, "expired", 2, past),
			},
		},
		{
			name:        "completed",
			approvals:   []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			completedAt: &metav1.Time{Time: past},
			conds: []metav1.Condition{
				condAt(v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved", 2, past),
				condAt(v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "moved", 2, past),
				condAt(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "moved", 2, past),
			},
		},
	}
	later := []struct {
		name           string
		approvals      []v1alpha1.PartyApproval
		failedAttempts int32
		facts          Facts
	}{
		{name: "now invalid", facts: Facts{MaxAttempts: 5, Invalid: "no longer valid"}},
		{name: "now expired", facts: Facts{MaxAttempts: 5, Expired: true}},
		{name: "now moved", facts: Facts{MaxAttempts: 5, Moved: true}},
		{name: "now overdue", facts: Facts{MaxAttempts: 5, Overdue: "frank is overdue"}},
		{name: "now locked out", failedAttempts: 9, facts: Facts{MaxAttempts: 5}},
		{name: "now pending again", approvals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			facts: Facts{MaxAttempts: 5}},
		{name: "now all approved and moved", approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts: Facts{MaxAttempts: 5, Moved: true}},
		{name: "now refused by frank", approvals: []v1alpha1.PartyApproval{approvedRow("alice"), refusedRow("frank")},
			facts: Facts{MaxAttempts: 5, Expired: true}},
	}
	for _, s := range settled {
		for _, l := range later {
			t.Run(s.name+"/"+l.name, func(t *testing.T) {
				g := NewWithT(t)
				x := xferWith(s.approvals...)
				if l.approvals != nil {
					x.Status.Approvals = l.approvals
				}
				x.Status.FailedAttempts = l.failedAttempts
				x.Status.CompletedAt = s.completedAt
				x.Status.Conditions = append([]metav1.Condition(nil), s.conds...)
				l.facts.Now = xferNow

				SetStatus(x, l.facts)

				g.Expect(x.Status.Conditions).To(Equal(s.conds), "a settled transfer's conditions never change")
				g.Expect(x.Status.CompletedAt).To(Equal(s.completedAt))
				g.Expect(x.Status.Awaiting).To(BeEmpty())
			})
		}
	}
}

func TestEnsureApprovals(t *testing.T) {
	frankAndAlice := Parties{Incoming: "frank", Initiators: []string{"alice"}}
	tests := []struct {
		name     string
		existing []v1alpha1.PartyApproval
		parties  Parties
		want     []v1alpha1.PartyApproval
	}{
		{
			name:    "the incoming contact, then every initiator, get a pending row",
			parties: Parties{Incoming: "frank", Initiators: []string{"alice", "carol"}},
			want:    []v1alpha1.PartyApproval{pendingRow("frank"), pendingRow("alice"), pendingRow("carol")},
		},
		{
			name:     "existing decisions are kept and new approvers are pending",
			existing: []v1alpha1.PartyApproval{approvedRow("alice")},
			parties:  frankAndAlice,
			want:     []v1alpha1.PartyApproval{pendingRow("frank"), approvedRow("alice")},
		},
		{
			name:     "pending rows of contacts that are no longer approvers go, decided ones stay for the audit trail",
			existing: []v1alpha1.PartyApproval{refusedRow("mallory"), approvedRow("frank"), pendingRow("bob")},
			parties:  frankAndAlice,
			want:     []v1alpha1.PartyApproval{approvedRow("frank"), pendingRow("alice"), refusedRow("mallory")},
		},
		{
			name:     "no approvers leaves only decided rows",
			existing: []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("bob")},
			want:     []v1alpha1.PartyApproval{approvedRow("alice")},
		},
		{
			name:     "the rows are bounded",
			existing: manyDecided(3 * v1alpha1.MaxApprovers),
			parties:  frankAndAlice,
			want:     append([]v1alpha1.PartyApproval{pendingRow("frank"), pendingRow("alice")}, manyDecided(2*v1alpha1.MaxApprovers-2)...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			x := xferWith(tt.existing...)
			EnsureRows(x, tt.parties)
			g.Expect(x.Status.Approvals).To(Equal(tt.want))
		})
	}
}

// TestEnsureApprovalsStayBoundedOverALife changes the parties of a transfer many times, each party
// deciding before the next change: status.approvals never outgrows the CRD's 32 rows, every party of
// the moment has its row, and the rows dropped for room are decided rows of former parties.
func TestEnsureApprovalsStayBoundedOverALife(t *testing.T) {
	g := NewWithT(t)
	x := xferWith()
	for change := range 200 {
		p := Parties{Incoming: "frank"}
		for i := range 1 + change%v1alpha1.MaxApprovers {
			p.Initiators = append(p.Initiators, fmt.Sprintf("c%03d-%02d", change, i))
		}
		EnsureRows(x, p)

		g.Expect(len(x.Status.Approvals)).To(BeNumerically("<=", 2*v1alpha1.MaxApprovers))
		for _, party := range p.Approvers() {
			g.Expect(rowOf(x, party)).NotTo(BeNil(), "change %d: %s has its row", change, party)
		}
		for i := range x.Status.Approvals {
			if x.Status.Approvals[i].Decision == v1alpha1.DecisionPending && x.Status.Approvals[i].Contact != "frank" {
				x.Status.Approvals[i].Decision = v1alpha1.DecisionApproved // each decides before the next change
			}
		}
	}
}

func manyDecided(n int) []v1alpha1.PartyApproval {
	out := make([]v1alpha1.PartyApproval, n)
	for i := range out {
		out[i] = approvedRow(string(rune('a'+i%26)) + string(rune('a'+i/26)) + "-old")
	}
	return out
}

func TestPendingPartiesAndRefusedBy(t *testing.T) {
	tests := []struct {
		name        string
		approvals   []v1alpha1.PartyApproval
		wantPending []string
		wantRefused string
	}{
		{name: "no rows"},
		{
			name:        "all pending: the incoming contact, then the initiators",
			approvals:   []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank"), pendingRow("carol")},
			wantPending: []string{"frank", "alice", "carol"},
		},
		{
			name:        "one initiator approved: the other initiators are no longer awaited",
			approvals:   []v1alpha1.PartyApproval{pendingRow("frank"), approvedRow("alice"), pendingRow("carol")},
			wantPending: []string{"frank"},
		},
		{
			name:        "decided parties are not pending",
			approvals:   []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("bob"), refusedRow("frank")},
			wantPending: []string{"alice", "bob"},
			wantRefused: "frank",
		},
		{
			name:        "the first refusing party is named",
			approvals:   []v1alpha1.PartyApproval{refusedRow("bob"), approvedRow("alice"), refusedRow("frank")},
			wantRefused: "bob",
		},
		{
			name:      "all approved",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			x := xferWith(tt.approvals...)
			g.Expect(Pending(x)).To(Equal(tt.wantPending))
			g.Expect(RefusedBy(x)).To(Equal(tt.wantRefused))
		})
	}
}

func TestExpiry(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, time.February, 1, 10, 0, 0, 0, time.UTC))
	tests := []struct {
		name string
		ttl  *metav1.Duration
		want time.Time
	}{
		{name: "defaults to 168h", want: time.Date(2026, time.February, 8, 10, 0, 0, 0, time.UTC)},
		{name: "uses tokenTTL", ttl: &metav1.Duration{Duration: 24 * time.Hour}, want: time.Date(2026, time.February, 2, 10, 0, 0, 0, time.UTC)},
		{name: "uses a short tokenTTL", ttl: &metav1.Duration{Duration: 90 * time.Minute}, want: time.Date(2026, time.February, 1, 11, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			org := &v1alpha1.Organization{}
			org.Spec.Approval.TokenTTL = tt.ttl
			got := Expiry(created, org)
			g.Expect(got.Time).To(BeTemporally("==", tt.want))
		})
	}
}

func TestTransferApprovedStaysTrue(t *testing.T) {
	g := NewWithT(t)
	tr := &v1alpha1.ContactTransfer{Spec: v1alpha1.ContactTransferSpec{Role: "billing", To: v1alpha1.LocalObjectReference{Name: "frank"}}}
	tr.Status.Approvals = []v1alpha1.PartyApproval{{Contact: "alice", As: v1alpha1.PartyIncoming, Decision: v1alpha1.DecisionApproved}}
	SetStatus(tr, Facts{})
	g.Expect(conditions.IsTrue(tr.Status.Conditions, v1alpha1.ApprovedCondition)).To(BeTrue())
	// A pending row appearing later (a new approver) does not take the approval back.
	tr.Status.Approvals = append(tr.Status.Approvals, v1alpha1.PartyApproval{Contact: "zoe", Decision: v1alpha1.DecisionPending})
	SetStatus(tr, Facts{Expired: true})
	g.Expect(conditions.IsTrue(tr.Status.Conditions, v1alpha1.ApprovedCondition)).To(BeTrue())
	g.Expect(conditions.IsTrue(tr.Status.Conditions, v1alpha1.ExpiredCondition)).To(BeFalse())
}

func TestResendWait(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	issued := func(ago time.Duration, round int32) *v1alpha1.ContactTransfer {
		tr := &v1alpha1.ContactTransfer{}
		tr.Status.Round = round
		if ago >= 0 {
			at := metav1.NewTime(now.Add(-ago))
			tr.Status.RoundIssuedAt = &at
		}
		return tr
	}
	for _, tc := range []struct {
		name          string
		t             *v1alpha1.ContactTransfer
		wantWait      time.Duration
		wantExhausted bool
	}{
		{"no round issued yet", issued(-1, 1), 0, false},
		{"just issued", issued(0, 1), ResendInterval, false},
		{"half the interval ago", issued(ResendInterval/2, 1), ResendInterval / 2, false},
		{"the interval ago", issued(ResendInterval, 1), 0, false},
		{"long ago", issued(time.Hour, 3), 0, false},
		{"the last round", issued(time.Hour, MaxRounds), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wait, exhausted := ResendWait(tc.t, now)
			if wait != tc.wantWait || exhausted != tc.wantExhausted {
				t.Errorf("ResendWait = %s, %v; want %s, %v", wait, exhausted, tc.wantWait, tc.wantExhausted)
			}
		})
	}
}
