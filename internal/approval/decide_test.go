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

	"roster.dev/roster/api/v1alpha1"
)

func TestDecideRecordsReplaysOrCounts(t *testing.T) {
	k := fuzzKeyring(t)
	const uid = "0b5a3c1e-7f0e-4b8e-9d7a-1f0c2d3e4f50"
	token := func(round int32, contact string, p Purpose) string { return k.Token(uid, round, contact, p) }
	pending := map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionPending, "carol": v1alpha1.DecisionPending}

	for _, tc := range []struct {
		name     string
		round    int32
		decided  uint8 // bit 0: bob approved, bit 1: carol approved
		settled  bool
		secret   string
		purpose  Purpose
		decision v1alpha1.Decision

		wantParty   string
		wantOutcome Outcome
		wantRows    map[string]v1alpha1.Decision
		wantFailed  int32
	}{
		{name: "the pending party's link token approves", round: 1, secret: token(1, "bob", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantParty: "bob", wantOutcome: Recorded,
			wantRows: map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionApproved, "carol": v1alpha1.DecisionPending}},
		{name: "the other party's token decides for it only", round: 1, secret: token(1, "carol", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionRefused, wantParty: "carol", wantOutcome: Recorded,
			wantRows: map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionPending, "carol": v1alpha1.DecisionRefused}},
		{name: "round 0 is round 1", round: 0, secret: token(1, "bob", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantParty: "bob", wantOutcome: Recorded,
			wantRows: map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionApproved, "carol": v1alpha1.DecisionPending}},
		{name: "the approve code approves by annotation", round: 2, secret: token(2, "bob", PurposeApprove), purpose: PurposeApprove,
			decision: v1alpha1.DecisionApproved, wantParty: "bob", wantOutcome: Recorded,
			wantRows: map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionApproved, "carol": v1alpha1.DecisionPending}},
		{name: "a used token is a replay", round: 1, decided: 1, secret: token(1, "bob", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionRefused, wantParty: "bob", wantOutcome: Replay,
			wantRows: map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionApproved, "carol": v1alpha1.DecisionPending}},
		{name: "a closed transfer takes no decision", round: 1, settled: true, secret: token(1, "bob", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantParty: "bob", wantOutcome: Replay, wantRows: pending},
		{name: "the previous round's token is a replay", round: 5, secret: token(4, "bob", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantOutcome: Replay, wantRows: pending},
		{name: "the oldest recognised round's token is a replay", round: 10, secret: token(2, "carol", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantOutcome: Replay, wantRows: pending},
		{name: "a token older than that counts", round: 10, secret: token(1, "carol", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
		{name: "a next round's token counts", round: 1, secret: token(2, "bob", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
		{name: "garbage counts", round: 1, secret: "garbage", purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
		{name: "an empty secret counts", round: 1, secret: "", purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
		{name: "a non-party's token counts", round: 1, secret: token(1, "mallory", PurposeLink), purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
		{name: "another transfer's token counts", round: 1, secret: k.Token("7d1e0c55-2b3a-4c8d-9e0f-a1b2c3d4e5f6", 1, "bob", PurposeLink),
			purpose: PurposeLink, decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
		{name: "the approve code is no refuse code", round: 1, secret: token(1, "bob", PurposeApprove), purpose: PurposeRefuse,
			decision: v1alpha1.DecisionRefused, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
		{name: "the refuse code is no approve code", round: 1, secret: token(1, "bob", PurposeRefuse), purpose: PurposeApprove,
			decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
		{name: "the link token is no code", round: 1, secret: token(1, "bob", PurposeLink), purpose: PurposeApprove,
			decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
		{name: "a code is no link token", round: 1, secret: token(1, "bob", PurposeApprove), purpose: PurposeLink,
			decision: v1alpha1.DecisionApproved, wantOutcome: Wrong, wantRows: pending, wantFailed: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			tr := fuzzTransfer(uid, tc.round, "bob,carol", tc.decided, tc.settled)
			tr.Status.FailedAttempts = 0

			party, outcome := Identify(k, tr.DeepCopy(), tc.secret, tc.purpose)
			idOutcome := tc.wantOutcome
			if tc.settled && tc.wantOutcome == Replay {
				idOutcome = Recorded // Identify knows parties, not whether the transfer still takes decisions
			}
			g.Expect(party).To(Equal(tc.wantParty))
			g.Expect(outcome).To(Equal(idOutcome))

			party, outcome = Decide(k, tr, tc.secret, tc.purpose, tc.decision, v1alpha1.DecisionViaLink, fuzzNow)
			g.Expect(party).To(Equal(tc.wantParty))
			g.Expect(outcome).To(Equal(tc.wantOutcome))
			g.Expect(tr.Status.FailedAttempts).To(Equal(tc.wantFailed))
			got := map[string]v1alpha1.Decision{}
			for _, r := range tr.Status.Approvals {
				got[r.Contact] = r.Decision
				if outcome == Recorded && r.Contact == party {
					g.Expect(r.Via).To(Equal(v1alpha1.DecisionViaLink))
					g.Expect(r.DecidedAt).To(Equal(&fuzzNow))
				}
			}
			g.Expect(got).To(Equal(tc.wantRows))
		})
	}
}
