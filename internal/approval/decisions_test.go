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
)

func TestSecurityDecisionsBoundToTheirPurpose(t *testing.T) {
	k := mustKeyring(t, testKey(7))
	x := func(rows ...v1alpha1.PartyApproval) *v1alpha1.ContactTransfer {
		tr := xferWith(rows...)
		tr.Status.Round = 2
		return tr
	}
	link := func(c string) string { return k.Token("uid-1", 2, c, PurposeLink) }
	decided := func(c string, d v1alpha1.Decision, via v1alpha1.DecisionChannel) v1alpha1.PartyApproval {
		return v1alpha1.PartyApproval{Contact: c, As: kindOf(c), Decision: d, DecidedAt: &xferNow, Via: via}
	}
	approved := x(approvedRow("alice"), pendingRow("frank"))
	approved.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ApprovedCondition, Status: metav1.ConditionTrue}}
	tests := []struct {
		name        string
		transfer    *v1alpha1.ContactTransfer
		secret      string
		purpose     Purpose
		decision    v1alpha1.Decision
		wantParty   string
		wantOutcome Outcome
		wantRows    []v1alpha1.PartyApproval
		wantFailed  int32
	}{
		{name: "the link token records the decision of its party", transfer: x(pendingRow("alice"), pendingRow("frank")),
			secret: link("alice"), purpose: PurposeLink, decision: v1alpha1.DecisionApproved, wantParty: "alice", wantOutcome: Recorded,
			wantRows: []v1alpha1.PartyApproval{decided("alice", v1alpha1.DecisionApproved, v1alpha1.DecisionViaLink), pendingRow("frank")}},
		{name: "the refuse code refuses", transfer: x(pendingRow("alice"), pendingRow("frank")),
			secret: k.Token("uid-1", 2, "frank", PurposeRefuse), purpose: PurposeRefuse, decision: v1alpha1.DecisionRefused,
			wantParty: "frank", wantOutcome: Recorded,
			wantRows: []v1alpha1.PartyApproval{pendingRow("alice"), decided("frank", v1alpha1.DecisionRefused, v1alpha1.DecisionViaLink)}},
		{name: "an approve code does not refuse (it is a wrong code there)", transfer: x(pendingRow("alice"), pendingRow("frank")),
			secret: k.Token("uid-1", 2, "frank", PurposeApprove), purpose: PurposeRefuse, decision: v1alpha1.DecisionRefused,
			wantOutcome: Wrong, wantFailed: 1, wantRows: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")}},
		{name: "a refuse code does not approve", transfer: x(pendingRow("alice"), pendingRow("frank")),
			secret: k.Token("uid-1", 2, "frank", PurposeRefuse), purpose: PurposeApprove, decision: v1alpha1.DecisionApproved,
			wantOutcome: Wrong, wantFailed: 1, wantRows: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")}},
		{name: "a code is not a link token", transfer: x(pendingRow("alice"), pendingRow("frank")),
			secret: k.Token("uid-1", 2, "frank", PurposeApprove), purpose: PurposeLink, decision: v1alpha1.DecisionApproved,
			wantOutcome: Wrong, wantFailed: 1, wantRows: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")}},
		{name: "a wrong secret counts", transfer: x(pendingRow("alice"), pendingRow("frank")),
			secret: "not-a-token", purpose: PurposeLink, decision: v1alpha1.DecisionApproved,
			wantOutcome: Wrong, wantFailed: 1, wantRows: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")}},
		{name: "an empty secret counts", transfer: x(pendingRow("alice"), pendingRow("frank")),
			purpose: PurposeLink, decision: v1alpha1.DecisionApproved,
			wantOutcome: Wrong, wantFailed: 1, wantRows: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")}},
		{name: "a token of another transfer counts", transfer: x(pendingRow("alice"), pendingRow("frank")),
			secret: k.Token("uid-2", 2, "frank", PurposeLink), purpose: PurposeLink, decision: v1alpha1.DecisionApproved,
			wantOutcome: Wrong, wantFailed: 1, wantRows: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")}},
		{name: "the token of a party that decided is a replay: no change, no count", transfer: x(approvedRow("alice"), pendingRow("frank")),
			secret: link("alice"), purpose: PurposeLink, decision: v1alpha1.DecisionRefused, wantParty: "alice", wantOutcome: Replay,
			wantRows: []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("frank")}},
		{name: "a token of an earlier round is a replay", transfer: x(pendingRow("alice"), pendingRow("frank")),
			secret: k.Token("uid-1", 1, "frank", PurposeLink), purpose: PurposeLink, decision: v1alpha1.DecisionApproved, wantOutcome: Replay,
			wantRows: []v1alpha1.PartyApproval{pendingRow("alice"), pendingRow("frank")}},
		{name: "an approved transfer takes no more decisions", transfer: approved,
			secret: link("frank"), purpose: PurposeLink, decision: v1alpha1.DecisionRefused, wantParty: "frank", wantOutcome: Replay,
			wantRows: []v1alpha1.PartyApproval{approvedRow("alice"), pendingRow("frank")}},
		{name: "the token of a contact without a row matches nobody", transfer: x(pendingRow("frank")),
			secret: link("alice"), purpose: PurposeLink, decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantFailed: 1,
			wantRows: []v1alpha1.PartyApproval{pendingRow("frank")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			via := v1alpha1.DecisionViaLink
			party, outcome := Decide(k, tt.transfer, tt.secret, tt.purpose, tt.decision, via, xferNow)
			g.Expect(party).To(Equal(tt.wantParty))
			g.Expect(outcome).To(Equal(tt.wantOutcome))
			g.Expect(tt.transfer.Status.Approvals).To(Equal(tt.wantRows))
			g.Expect(tt.transfer.Status.FailedAttempts).To(Equal(tt.wantFailed))
		})
	}
}

func TestApprovedNeedsTheIncomingContactAndOneInitiator(t *testing.T) {
	tests := []struct {
		name string
		rows []v1alpha1.PartyApproval
		want bool
	}{
		{name: "both approved", rows: []v1alpha1.PartyApproval{approvedRow("frank"), approvedRow("alice")}, want: true},
		{name: "the incoming contact alone is not enough", rows: []v1alpha1.PartyApproval{approvedRow("frank"), pendingRow("alice")}},
		{name: "an initiator alone is not enough", rows: []v1alpha1.PartyApproval{pendingRow("frank"), approvedRow("alice")}},
		{name: "one initiator of several is enough",
			rows: []v1alpha1.PartyApproval{approvedRow("frank"), pendingRow("alice"), approvedRow("carol")}, want: true},
		{name: "no initiator row: the incoming contact alone", rows: []v1alpha1.PartyApproval{approvedRow("frank")}, want: true},
		{name: "no rows: nothing to approve", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(Approved(xferWith(tt.rows...))).To(Equal(tt.want))
		})
	}
}

func TestOverride(t *testing.T) {
	g := NewWithT(t)
	tr := xferWith(pendingRow("frank"), pendingRow("alice"))
	party, err := Override(tr, "alice=Approved", "root", xferNow)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(party).To(Equal("alice"))
	g.Expect(tr.Status.Approvals[1]).To(Equal(v1alpha1.PartyApproval{Contact: "alice", As: v1alpha1.PartyInitiator,
		Decision: v1alpha1.DecisionApproved, DecidedAt: &xferNow, Via: v1alpha1.DecisionViaOverride, User: "root"}))
	for _, bad := range []string{"alice=Approved", "mallory=Approved", "frank=Maybe", "frank", "=Approved", ""} {
		_, err := Override(tr, bad, "root", xferNow)
		g.Expect(err).To(HaveOccurred(), bad)
	}
	g.Expect(tr.Status.Approvals[0].Decision).To(Equal(v1alpha1.DecisionPending))
}
