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
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
)

// fuzzKeyring is the Keyring of the fuzz targets and decide tests.
func fuzzKeyring(t testing.TB) *Keyring {
	t.Helper()
	k, err := NewKeyring(bytes.Repeat([]byte{0x5a}, MinKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var fuzzNow = metav1.NewTime(time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC))

// fuzzTransfer is a transfer with UID uid in the given round, with a row for each distinct contact of
// the comma-separated contacts (at most 4; the first is the incoming contact), decided when the row's
// bit of decided is set (approved, or refused when bit 4 is set too), and approved already when
// settled.
func fuzzTransfer(uid string, round int32, contacts string, decided uint8, settled bool) *v1alpha1.ContactTransfer {
	t := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns", UID: types.UID(uid)}}
	t.Status.Round = round
	var seen []string
	for c := range strings.SplitSeq(contacts, ",") {
		if c == "" || slices.Contains(seen, c) || len(seen) == 4 {
			continue
		}
		row := v1alpha1.PartyApproval{Contact: c, As: v1alpha1.PartyInitiator, Decision: v1alpha1.DecisionPending}
		if len(seen) == 0 {
			row.As = v1alpha1.PartyIncoming
		}
		if decided&(1<<len(seen)) != 0 {
			row.Decision = v1alpha1.DecisionApproved
			if decided&(1<<4) != 0 {
				row.Decision = v1alpha1.DecisionRefused
			}
			row.Via, row.DecidedAt = v1alpha1.DecisionViaLink, &fuzzNow
		}
		seen = append(seen, c)
		t.Status.Approvals = append(t.Status.Approvals, row)
	}
	if settled {
		conditions.Set(&t.Status.Conditions, 0, v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, "approved")
	}
	return t
}

var purposes = []Purpose{PurposeLink, PurposeApprove, PurposeRefuse}

// FuzzIdentify checks Identify against its definition, derivation by derivation: a secret is the
// party's when it is the party's token of the current round (Recorded while the party is pending, else
// Replay), an earlier round's token within maxStaleRounds is a Replay, and anything else, whatever the
// transfer, is Wrong and nobody's. Identify never changes the transfer.
func FuzzIdentify(f *testing.F) {
	const uid = "0b5a3c1e-7f0e-4b8e-9d7a-1f0c2d3e4f50"
	f.Add(uid, int32(1), "bob,carol", uint8(0), uint8(0), uint8(0), "", uint8(0), uint8(0))
	f.Add(uid, int32(1), "bob,carol", uint8(1), uint8(0), uint8(0), "", uint8(0), uint8(0))
	f.Add(uid, int32(3), "bob,carol,dave", uint8(2), uint8(1), uint8(1), "", uint8(0), uint8(0))
	f.Add(uid, int32(12), "bob", uint8(0), uint8(0), uint8(9), "", uint8(0), uint8(0))
	f.Add(uid, int32(0), "bob", uint8(0), uint8(0), uint8(0), "", uint8(0), uint8(1))
	f.Add(uid, int32(2), "bob,carol", uint8(0), uint8(1), uint8(0), "", uint8(5), uint8(2))
	f.Add(uid, int32(-7), "bob", uint8(0), uint8(4), uint8(0), "garbage", uint8(0), uint8(0))
	f.Add("", int32(1), "", uint8(0), uint8(0), uint8(0), "", uint8(0), uint8(0))
	f.Add(uid, int32(1), "bob", uint8(0), uint8(4), uint8(0), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", uint8(0), uint8(0))
	f.Add(uid, int32(2147483647), "a\x00link,a", uint8(0), uint8(0), uint8(0), "", uint8(0), uint8(0))

	k := fuzzKeyring(f)
	f.Fuzz(func(t *testing.T, uid string, round int32, contacts string, decided, pick, back uint8, garbage string,
		flip uint8, purpose uint8) {
		tr := fuzzTransfer(uid, round, contacts, decided, false)
		rows := tr.Status.Approvals
		current := max(round, 1)
		p := purposes[int(purpose)%len(purposes)]

		// The secret: a row's token of the current or an earlier round, with one character changed
		// when flip says so; or, when pick names no row, the fuzzed garbage.
		secret := garbage
		if i := int(pick) % (len(rows) + 1); i < len(rows) {
			r := current - int32(back%12)
			secret = k.Token(tr.UID, r, rows[i].Contact, p)
			if flip != 0 {
				b := []byte(secret)
				at := int(flip) % len(b)
				if b[at] == 'A' {
					b[at] = 'B'
				} else {
					b[at] = 'A'
				}
				secret = string(b)
			}
		}

		before := tr.DeepCopy()
		party, outcome := Identify(k, tr, secret, p)
		if !equality.Semantic.DeepEqual(before, tr) {
			t.Fatalf("Identify changed the transfer")
		}

		// The definition, one derivation at a time: a secret that is none of these tokens (garbage, a
		// token changed by one character, another purpose's, a round too old) is Wrong and nobody's,
		// whatever the transfer.
		wantParty, wantOutcome := "", Wrong
		for _, r := range rows {
			if secret == k.Token(tr.UID, current, r.Contact, p) {
				wantParty, wantOutcome = r.Contact, Replay
				if r.Decision == v1alpha1.DecisionPending {
					wantOutcome = Recorded
				}
			}
		}
		for _, r := range rows {
			for old := max(1, current-maxStaleRounds); old < current && wantOutcome == Wrong; old++ {
				if secret == k.Token(tr.UID, old, r.Contact, p) {
					wantOutcome = Replay
				}
			}
		}
		if party != wantParty || outcome != wantOutcome {
			t.Fatalf("Identify = (%q, %v), want (%q, %v)", party, outcome, wantParty, wantOutcome)
		}
	})
}

// FuzzDecisionCodes checks that a secret serves only the purpose it was derived for: the approve code
// never refuses, the refuse code never approves, and the link token is no code (nor a code a link
// token). A secret used for another purpose is a wrong secret: it decides nothing and counts as a
// failed attempt.
func FuzzDecisionCodes(f *testing.F) {
	const uid = "0b5a3c1e-7f0e-4b8e-9d7a-1f0c2d3e4f50"
	for made := range uint8(3) {
		for used := range uint8(3) {
			f.Add(uid, int32(1), "bob,carol", uint8(0), uint8(0), made, used, false)
		}
	}
	f.Add(uid, int32(4), "bob,carol", uint8(1), uint8(0), uint8(1), uint8(2), false)
	f.Add(uid, int32(4), "bob,carol", uint8(0), uint8(1), uint8(2), uint8(2), true)
	f.Add("", int32(0), "x", uint8(0), uint8(0), uint8(0), uint8(1), false)

	k := fuzzKeyring(f)
	f.Fuzz(func(t *testing.T, uid string, round int32, contacts string, decided, pick, made, used uint8, settled bool) {
		tr := fuzzTransfer(uid, round, contacts, decided, settled)
		rows := tr.Status.Approvals
		if len(rows) == 0 {
			return
		}
		current := max(round, 1)
		row := rows[int(pick)%len(rows)]
		madeFor, usedAs := purposes[int(made)%len(purposes)], purposes[int(used)%len(purposes)]

		link := k.Token(tr.UID, current, row.Contact, PurposeLink)
		approve := k.Token(tr.UID, current, row.Contact, PurposeApprove)
		refuse := k.Token(tr.UID, current, row.Contact, PurposeRefuse)
		if link == approve || link == refuse || approve == refuse {
			t.Fatalf("two purposes give the same secret")
		}

		decision := v1alpha1.DecisionApproved
		if usedAs == PurposeRefuse {
			decision = v1alpha1.DecisionRefused
		}
		secret := k.Token(tr.UID, current, row.Contact, madeFor)
		before := tr.DeepCopy()
		party, outcome := Decide(k, tr, secret, usedAs, decision, v1alpha1.DecisionViaAnnotation, fuzzNow)

		if madeFor != usedAs {
			if outcome != Wrong || party != "" {
				t.Fatalf("the %s secret was taken as the %s secret: (%q, %v)", madeFor, usedAs, party, outcome)
			}
			if tr.Status.FailedAttempts != before.Status.FailedAttempts+1 {
				t.Fatalf("a secret used for another purpose did not count as a failed attempt")
			}
			if !equality.Semantic.DeepEqual(before.Status.Approvals, tr.Status.Approvals) {
				t.Fatalf("a secret used for another purpose changed a decision")
			}
			return
		}

		if party != row.Contact {
			t.Fatalf("the secret of %s was taken as %q's", row.Contact, party)
		}
		if row.Decision != v1alpha1.DecisionPending || !Open(before) {
			if outcome != Replay || !equality.Semantic.DeepEqual(before, tr) {
				t.Fatalf("a decided party or a closed transfer changed: %v", outcome)
			}
			return
		}
		if outcome != Recorded {
			t.Fatalf("the pending party's own secret was not recorded: %v", outcome)
		}
		want := before.DeepCopy()
		r := rowOf(want, row.Contact)
		r.Decision, r.DecidedAt, r.Via = decision, &fuzzNow, v1alpha1.DecisionViaAnnotation
		if !equality.Semantic.DeepEqual(want, tr) {
			t.Fatalf("Decide changed more than the party's row")
		}
	})
}
