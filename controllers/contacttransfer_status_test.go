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
	"bytes"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/conditions"
)

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
			RequestedBy:     v1alpha1.LocalObjectReference{Name: "alice"},
		},
		Status: v1alpha1.ContactTransferStatus{Approvals: approvals},
	}
}

func pendingRow(contact string) v1alpha1.PartyApproval {
	return v1alpha1.PartyApproval{Contact: contact, Decision: v1alpha1.DecisionPending}
}

func approvedRow(contact string) v1alpha1.PartyApproval {
	at := metav1.NewTime(past)
	return v1alpha1.PartyApproval{Contact: contact, Decision: v1alpha1.DecisionApproved, DecidedAt: &at, Via: v1alpha1.DecisionViaLink}
}

func refusedRow(contact string) v1alpha1.PartyApproval {
	at := metav1.NewTime(past)
	return v1alpha1.PartyApproval{Contact: contact, Decision: v1alpha1.DecisionRefused, DecidedAt: &at, Via: v1alpha1.DecisionViaAnnotation}
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
		facts          transferFacts
		want           []wantCondition
		wantAwaiting   string
		wantCompleted  *metav1.Time
	}{
		{
			name:      "pending parties await approval",
			approvals: []v1alpha1.PartyApproval{pendingRow("alice"), approvedRow("bob"), pendingRow("frank")},
			facts:     transferFacts{maxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for alice, frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for alice, frank to approve with their token", xferGen},
			},
			wantAwaiting: "alice,frank",
		},
		{
			name:      "all approved is Approved but not yet Ready",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts:     transferFacts{maxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice, frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ApprovedReason, "approved: moving role technical to frank", xferGen},
			},
		},
		{
			name:  "no approvals needed is Approved without approval",
			facts: transferFacts{maxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "role technical changes without approval", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ApprovedReason, "approved: moving role technical to frank", xferGen},
			},
		},
		{
			name:      "moved is Completed and Ready, and sets completedAt",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts:     transferFacts{maxAttempts: 5, moved: true},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice, frank", xferGen},
				{v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
			},
			wantCompleted: &xferNow,
		},
		{
			name:      "moved names the scope",
			scope:     "site-paris",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts:     transferFacts{maxAttempts: 5, moved: true},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice, frank", xferGen},
				{v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical (scope site-paris) moved to frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical (scope site-paris) moved to frank", xferGen},
			},
			wantCompleted: &xferNow,
		},
		{
			name:          "moved keeps an earlier completedAt",
			approvals:     []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			completedAt:   &metav1.Time{Time: past},
			facts:         transferFacts{maxAttempts: 5, moved: true},
			wantCompleted: &metav1.Time{Time: past},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice, frank", xferGen},
				{v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, "role technical moved to frank", xferGen},
			},
		},
		{
			name:      "overdue holds the approved transfer back without stalling it",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts:     transferFacts{maxAttempts: 5, overdue: overdueMsg},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice, frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AccountOverdueReason, overdueMsg, xferGen},
			},
		},
		{
			name:      "a refusal refuses and stalls the transfer",
			approvals: []v1alpha1.PartyApproval{refusedRow("alice"), pendingRow("frank")},
			facts:     transferFacts{maxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.RefusedCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, refusedMsg, xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.RefusedReason, refusedMsg, xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.RefusedReason, refusedMsg, xferGen},
			},
		},
		{
			name:      "the first refusing party is named",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), refusedRow("bob"), refusedRow("frank")},
			facts:     transferFacts{maxAttempts: 5},
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
			facts:          transferFacts{maxAttempts: 5, expired: true},
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
			facts:          transferFacts{maxAttempts: 5},
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
			facts:          transferFacts{maxAttempts: 5},
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
			facts:          transferFacts{maxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for alice, frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for alice, frank", xferGen},
			},
			wantAwaiting: "alice,frank",
		},
		{
			name:           "maxAttempts 0 never locks",
			approvals:      []v1alpha1.PartyApproval{pendingRow("frank")},
			failedAttempts: 9,
			facts:          transferFacts{},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for frank", xferGen},
			},
			wantAwaiting: "frank",
		},
		{
			name:      "expiry before approval expires and stalls the transfer",
			approvals: []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("frank")},
			facts:     transferFacts{maxAttempts: 5, expired: true},
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
				condAt(v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice, frank", 2, past),
				condAt(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ApprovedReason, "approved: moving role technical to frank", 2, past),
			},
			facts: transferFacts{maxAttempts: 5, expired: true},
			want: []wantCondition{
				// Approved is one-way: the earlier condition stays as it was, generation included.
				{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice, frank", 2},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ApprovedReason, "approved: moving role technical to frank", xferGen},
			},
		},
		{
			name:      "an invalid transfer is not ready and stalled",
			approvals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			facts:     transferFacts{maxAttempts: 5, invalid: invalidMsg},
			want: []wantCondition{
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.InvalidTransferReason, invalidMsg, xferGen},
				{v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.InvalidTransferReason, invalidMsg, xferGen},
			},
		},
		{
			name:      "invalid wins over a refusal",
			approvals: []v1alpha1.PartyApproval{refusedRow("alice"), pendingRow("frank")},
			facts:     transferFacts{maxAttempts: 5, invalid: invalidMsg},
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
			facts: transferFacts{maxAttempts: 5},
			want: []wantCondition{
				{v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for alice, frank", xferGen},
				{v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, "waiting for alice, frank", xferGen},
			},
			wantAwaiting: "alice,frank",
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
			tt.facts.now = xferNow

			setTransferStatus(x, tt.facts)

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
	setTransferStatus(x, transferFacts{maxAttempts: 5, moved: true, now: xferNow})
	g.Expect(x.Status.CompletedAt).To(Equal(&xferNow))
	after := append([]metav1.Condition(nil), x.Status.Conditions...)

	later := metav1.NewTime(xferNow.Add(time.Hour))
	setTransferStatus(x, transferFacts{maxAttempts: 5, moved: true, now: later})

	g.Expect(x.Status.CompletedAt).To(Equal(&xferNow), "completedAt must not move")
	g.Expect(x.Status.Conditions).To(Equal(after))
	expectConditions(g, x.Status.Conditions,
		wantCondition{v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved by alice, frank", xferGen},
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
		facts          transferFacts
	}{
		{name: "now invalid", facts: transferFacts{maxAttempts: 5, invalid: "no longer valid"}},
		{name: "now expired", facts: transferFacts{maxAttempts: 5, expired: true}},
		{name: "now moved", facts: transferFacts{maxAttempts: 5, moved: true}},
		{name: "now overdue", facts: transferFacts{maxAttempts: 5, overdue: "frank is overdue"}},
		{name: "now locked out", failedAttempts: 9, facts: transferFacts{maxAttempts: 5}},
		{name: "now pending again", approvals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			facts: transferFacts{maxAttempts: 5}},
		{name: "now all approved and moved", approvals: []v1alpha1.PartyApproval{approvedRow("alice"), approvedRow("frank")},
			facts: transferFacts{maxAttempts: 5, moved: true}},
		{name: "now refused by frank", approvals: []v1alpha1.PartyApproval{approvedRow("alice"), refusedRow("frank")},
			facts: transferFacts{maxAttempts: 5, expired: true}},
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
				l.facts.now = xferNow

				setTransferStatus(x, l.facts)

				g.Expect(x.Status.Conditions).To(Equal(s.conds), "a settled transfer's conditions never change")
				g.Expect(x.Status.CompletedAt).To(Equal(s.completedAt))
				g.Expect(x.Status.Awaiting).To(BeEmpty())
			})
		}
	}
}

func TestApplyDecision(t *testing.T) {
	keys, err := approval.NewKeyring(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	const uid = types.UID("uid-1")
	token := func(contact string, round int32) string { return keys.Token(uid, round, contact) }
	hashesOf := func(contacts ...string) map[string]string {
		out := map[string]string{}
		for _, c := range contacts {
			out[c] = approval.Hash(token(c, 1))
		}
		return out
	}
	decided := func(contact string, d v1alpha1.Decision, via v1alpha1.DecisionChannel) v1alpha1.PartyApproval {
		return v1alpha1.PartyApproval{Contact: contact, Decision: d, DecidedAt: &xferNow, Via: via}
	}
	tests := []struct {
		name          string
		approvals     []v1alpha1.PartyApproval
		hashes        map[string]string
		token         string
		decision      v1alpha1.Decision
		via           v1alpha1.DecisionChannel
		wantParty     string
		wantOK        bool
		wantApprovals []v1alpha1.PartyApproval
		wantFailed    int32
	}{
		{
			name:          "the right token records an approval via the link",
			approvals:     []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			hashes:        hashesOf("alice", "frank"),
			token:         token("alice", 1),
			decision:      v1alpha1.DecisionApproved,
			via:           v1alpha1.DecisionViaLink,
			wantParty:     "alice",
			wantOK:        true,
			wantApprovals: []v1alpha1.PartyApproval{decided("alice", v1alpha1.DecisionApproved, v1alpha1.DecisionViaLink), pendingRow("frank")},
			wantFailed:    2,
		},
		{
			name:          "the right token records a refusal via an annotation",
			approvals:     []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("frank")},
			hashes:        hashesOf("alice", "frank"),
			token:         token("frank", 1),
			decision:      v1alpha1.DecisionRefused,
			via:           v1alpha1.DecisionViaAnnotation,
			wantParty:     "frank",
			wantOK:        true,
			wantApprovals: []v1alpha1.PartyApproval{approvedRow("alice"), decided("frank", v1alpha1.DecisionRefused, v1alpha1.DecisionViaAnnotation)},
			wantFailed:    2,
		},
		{
			name:          "a wrong token counts a failed attempt",
			approvals:     []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			hashes:        hashesOf("alice", "frank"),
			token:         "not-a-token",
			decision:      v1alpha1.DecisionApproved,
			via:           v1alpha1.DecisionViaAnnotation,
			wantApprovals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			wantFailed:    3,
		},
		{
			name:          "a token of an earlier round fails",
			approvals:     []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			hashes:        map[string]string{"alice": approval.Hash(token("alice", 2)), "frank": approval.Hash(token("frank", 2))},
			token:         token("alice", 1),
			decision:      v1alpha1.DecisionApproved,
			via:           v1alpha1.DecisionViaLink,
			wantApprovals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			wantFailed:    3,
		},
		{
			name:          "an empty token fails",
			approvals:     []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			hashes:        hashesOf("alice", "frank"),
			token:         "",
			decision:      v1alpha1.DecisionApproved,
			via:           v1alpha1.DecisionViaLink,
			wantApprovals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			wantFailed:    3,
		},
		{
			name:          "replaying the token of a party that already decided is a wrong token",
			approvals:     []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("frank")},
			hashes:        hashesOf("alice", "frank"),
			token:         token("alice", 1),
			decision:      v1alpha1.DecisionRefused,
			via:           v1alpha1.DecisionViaAnnotation,
			wantApprovals: []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("frank")},
			wantFailed:    3,
		},
		{
			name:          "a token whose hash is not stored fails even for a pending party",
			approvals:     []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			hashes:        hashesOf("frank"),
			token:         token("alice", 1),
			decision:      v1alpha1.DecisionApproved,
			via:           v1alpha1.DecisionViaLink,
			wantApprovals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			wantFailed:    3,
		},
		{
			name:          "a token of a contact without an approval row fails",
			approvals:     []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			hashes:        hashesOf("alice", "frank", "mallory"),
			token:         token("mallory", 1),
			decision:      v1alpha1.DecisionApproved,
			via:           v1alpha1.DecisionViaLink,
			wantApprovals: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
			wantFailed:    3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			x := xferWith(tt.approvals...)
			x.Status.FailedAttempts = 2
			before := x.DeepCopy()

			party, ok := applyDecision(x, tt.hashes, tt.token, tt.decision, tt.via, xferNow)

			g.Expect(party).To(Equal(tt.wantParty))
			g.Expect(ok).To(Equal(tt.wantOK))
			g.Expect(x.Status.Approvals).To(Equal(tt.wantApprovals))
			g.Expect(x.Status.FailedAttempts).To(Equal(tt.wantFailed))
			// Nothing else of the transfer changes.
			x.Status.Approvals, before.Status.Approvals = nil, nil
			x.Status.FailedAttempts, before.Status.FailedAttempts = 0, 0
			g.Expect(x).To(Equal(before))
		})
	}
}

func TestEnsureApprovals(t *testing.T) {
	tests := []struct {
		name      string
		existing  []v1alpha1.PartyApproval
		approvers []string
		want      []v1alpha1.PartyApproval
	}{
		{
			name:      "every approver gets a pending row in approver order",
			approvers: []string{"alice", "frank"},
			want:      []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")},
		},
		{
			name:      "existing decisions are kept and new approvers are pending",
			existing:  []v1alpha1.PartyApproval{approvedRow("alice")},
			approvers: []string{"alice", "frank"},
			want:      []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("frank")},
		},
		{
			name:      "pending rows of contacts that are no longer approvers go, decided ones stay for the audit trail",
			existing:  []v1alpha1.PartyApproval{refusedRow("mallory"), approvedRow("frank"), pendingRow("bob")},
			approvers: []string{"alice", "frank"},
			want:      []v1alpha1.PartyApproval{pendingRow("alice"), approvedRow("frank"), refusedRow("mallory")},
		},
		{
			name:      "rows follow the approvers' order",
			existing:  []v1alpha1.PartyApproval{refusedRow("frank"), approvedRow("alice")},
			approvers: []string{"alice", "frank"},
			want:      []v1alpha1.PartyApproval{approvedRow("alice"), refusedRow("frank")},
		},
		{
			name:      "no approvers leaves only decided rows",
			existing:  []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("bob")},
			approvers: nil,
			want:      []v1alpha1.PartyApproval{approvedRow("alice")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			x := xferWith(tt.existing...)
			ensureApprovals(x, tt.approvers)
			g.Expect(x.Status.Approvals).To(Equal(tt.want))
		})
	}
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
			name:        "all pending, in row order",
			approvals:   []v1alpha1.PartyApproval{pendingRow("frank"), pendingRow("alice")},
			wantPending: []string{"frank", "alice"},
		},
		{
			name:        "decided parties are not pending",
			approvals:   []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("bob"), refusedRow("frank")},
			wantPending: []string{"bob"},
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
			g.Expect(pendingParties(x)).To(Equal(tt.wantPending))
			g.Expect(refusedBy(x)).To(Equal(tt.wantRefused))
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
			got := expiry(created, org)
			g.Expect(got.Time).To(BeTemporally("==", tt.want))
		})
	}
}

func TestSetDeliveredCondition(t *testing.T) {
	pending := func(id, channel string, attempts int32, lastError string) v1alpha1.Delivery {
		return v1alpha1.Delivery{ID: id + "/" + channel, Type: "TransferRequested", Channel: channel, State: v1alpha1.DeliveryPending,
			Attempts: attempts, LastError: lastError, RecordedAt: metav1.NewTime(past)}
	}
	sent := func(id, channel string, attempts int32) v1alpha1.Delivery {
		d := pending(id, channel, attempts, "")
		d.State, d.SentAt = v1alpha1.DeliverySent, &metav1.Time{Time: past}
		return d
	}
	ready := condAt(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "fine", 2, past)
	tests := []struct {
		name    string
		initial []metav1.Condition
		outbox  []v1alpha1.Delivery
		want    []wantCondition
	}{
		{
			name: "an empty outbox removes the condition and keeps the others",
			initial: []metav1.Condition{ready,
				condAt(v1alpha1.NotificationsDeliveredCondition, metav1.ConditionTrue, v1alpha1.DeliveredReason, "delivered", 2, past)},
			want: []wantCondition{{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "fine", 2}},
		},
		{
			name: "an empty outbox adds no condition",
		},
		{
			name:   "a delivery failing 3 times is DeliveryFailing naming the channel and error",
			outbox: []v1alpha1.Delivery{sent("k1", "email", 0), pending("k2", "webhook/ops", 3, "connection refused")},
			want: []wantCondition{{v1alpha1.NotificationsDeliveredCondition, metav1.ConditionFalse, v1alpha1.DeliveryFailingReason,
				"1 notification(s) not delivered; TransferRequested on webhook/ops failed 3 times: connection refused", 4}},
		},
		{
			name: "several failing deliveries are counted and the first is named",
			outbox: []v1alpha1.Delivery{pending("k1", "email", 5, "535 authentication failed"), pending("k2", "webhook/ops", 4, "timeout"),
				pending("k3", "email", 1, "")},
			want: []wantCondition{{v1alpha1.NotificationsDeliveredCondition, metav1.ConditionFalse, v1alpha1.DeliveryFailingReason,
				"2 notification(s) not delivered; TransferRequested on email failed 5 times: 535 authentication failed", 4}},
		},
		{
			name:   "two failed attempts are not failing yet",
			outbox: []v1alpha1.Delivery{pending("k1", "email", 2, "timeout")},
			want: []wantCondition{{v1alpha1.NotificationsDeliveredCondition, metav1.ConditionTrue, v1alpha1.DeliveredReason,
				"notifications are delivered", 4}},
		},
		{
			name:    "a sent delivery is delivered whatever its attempts, and replaces a failing condition",
			initial: []metav1.Condition{condAt(v1alpha1.NotificationsDeliveredCondition, metav1.ConditionFalse, v1alpha1.DeliveryFailingReason, "failing", 2, past)},
			outbox:  []v1alpha1.Delivery{sent("k1", "webhook/ops", 6)},
			want: []wantCondition{{v1alpha1.NotificationsDeliveredCondition, metav1.ConditionTrue, v1alpha1.DeliveredReason,
				"notifications are delivered", 4}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			conds := append([]metav1.Condition(nil), tt.initial...)
			setDeliveredCondition(&conds, 4, tt.outbox)
			expectConditions(g, conds, tt.want...)
		})
	}
}

func TestTransferApprovedStaysTrue(t *testing.T) {
	g := NewWithT(t)
	tr := &v1alpha1.ContactTransfer{Spec: v1alpha1.ContactTransferSpec{Role: "billing", To: v1alpha1.LocalObjectReference{Name: "frank"}}}
	tr.Status.Approvals = []v1alpha1.PartyApproval{{Contact: "alice", Decision: v1alpha1.DecisionApproved}}
	setTransferStatus(tr, transferFacts{})
	g.Expect(conditions.IsTrue(tr.Status.Conditions, v1alpha1.ApprovedCondition)).To(BeTrue())
	// A pending row appearing later (a new approver) does not take the approval back.
	tr.Status.Approvals = append(tr.Status.Approvals, v1alpha1.PartyApproval{Contact: "zoe", Decision: v1alpha1.DecisionPending})
	setTransferStatus(tr, transferFacts{expired: true})
	g.Expect(conditions.IsTrue(tr.Status.Conditions, v1alpha1.ApprovedCondition)).To(BeTrue())
	g.Expect(conditions.IsTrue(tr.Status.Conditions, v1alpha1.ExpiredCondition)).To(BeFalse())
}
