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
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
)

// maxRows bounds status.approvals: the approvers, and the decided rows of contacts that stopped being
// approvers, kept for the audit trail.
const maxRows = 2 * v1alpha1.MaxApprovers

// maxStaleRounds is how many earlier rounds a secret is recognised from (and refused without counting as
// a guess): a party reopening an old link is not an attacker.
const maxStaleRounds = 8

// EnsureRows gives every approver of p a row of status.approvals, Pending until it decides. A decided row
// stays for the audit trail even when its contact is no longer an approver; a pending one goes.
func EnsureRows(t *v1alpha1.ContactTransfer, p Parties) {
	rows := make([]v1alpha1.PartyApproval, 0, 1+len(p.Initiators))
	add := func(contact string, as v1alpha1.PartyKind) {
		row := v1alpha1.PartyApproval{Contact: contact, As: as, Decision: v1alpha1.DecisionPending}
		if existing := rowOf(t, contact); existing != nil {
			row = *existing
			row.As = as
		}
		rows = append(rows, row)
	}
	if p.Incoming != "" {
		add(p.Incoming, v1alpha1.PartyIncoming)
	}
	for _, c := range p.Initiators {
		if c != p.Incoming {
			add(c, v1alpha1.PartyInitiator)
		}
	}
	for _, existing := range t.Status.Approvals {
		if existing.Decision != v1alpha1.DecisionPending && !slices.ContainsFunc(rows, func(r v1alpha1.PartyApproval) bool {
			return r.Contact == existing.Contact
		}) && len(rows) < maxRows {
			rows = append(rows, existing)
		}
	}
	t.Status.Approvals = rows
}

func rowOf(t *v1alpha1.ContactTransfer, contact string) *v1alpha1.PartyApproval {
	for i := range t.Status.Approvals {
		if t.Status.Approvals[i].Contact == contact {
			return &t.Status.Approvals[i]
		}
	}
	return nil
}

// DecisionOf is the decision of contact, Pending when it has none.
func DecisionOf(t *v1alpha1.ContactTransfer, contact string) v1alpha1.Decision {
	if r := rowOf(t, contact); r != nil {
		return r.Decision
	}
	return v1alpha1.DecisionPending
}

// Approved reports whether the approvals are complete: the incoming contact approved, and so did one
// initiator row (or there is none); or no approval is needed at all (no rows: the controller gives a
// transfer of a gated role its rows before it judges it).
func Approved(t *v1alpha1.ContactTransfer) bool {
	if len(t.Status.Approvals) == 0 {
		return true // a change that needs nobody's approval
	}
	incoming, initiators, initiatorApproved := false, false, false
	for _, r := range t.Status.Approvals {
		switch r.As {
		case v1alpha1.PartyIncoming:
			incoming = r.Decision == v1alpha1.DecisionApproved
		case v1alpha1.PartyInitiator:
			initiators = true
			initiatorApproved = initiatorApproved || r.Decision == v1alpha1.DecisionApproved
		}
	}
	return incoming && (!initiators || initiatorApproved)
}

// RefusedBy names the first party that refused, "" when none did.
func RefusedBy(t *v1alpha1.ContactTransfer) string {
	for _, a := range t.Status.Approvals {
		if a.Decision == v1alpha1.DecisionRefused {
			return a.Contact
		}
	}
	return ""
}

// Awaited lists the parties whose decision is still needed: the incoming contact while it is pending,
// and the pending initiators while none of them approved.
func Awaited(t *v1alpha1.ContactTransfer) (incoming []string, initiators []string) {
	initiatorApproved := slices.ContainsFunc(t.Status.Approvals, func(r v1alpha1.PartyApproval) bool {
		return r.As == v1alpha1.PartyInitiator && r.Decision == v1alpha1.DecisionApproved
	})
	for _, r := range t.Status.Approvals {
		if r.Decision != v1alpha1.DecisionPending {
			continue
		}
		switch {
		case r.As == v1alpha1.PartyIncoming:
			incoming = append(incoming, r.Contact)
		case r.As == v1alpha1.PartyInitiator && !initiatorApproved:
			initiators = append(initiators, r.Contact)
		}
	}
	return incoming, initiators
}

// Pending lists every party whose decision is still needed (see Awaited), in row order.
func Pending(t *v1alpha1.ContactTransfer) []string {
	in, init := Awaited(t)
	return append(in, init...)
}

// AwaitingSummary says whose decision is awaited: "bob, alice", or "bob, one of alice, carol".
func AwaitingSummary(t *v1alpha1.ContactTransfer) string {
	in, init := Awaited(t)
	parts := slices.Clone(in)
	switch {
	case len(init) == 1:
		parts = append(parts, init[0])
	case len(init) > 1:
		parts = append(parts, "one of "+strings.Join(init, ", "))
	}
	return strings.Join(parts, ", ")
}

// Outcome is what a secret submitted for a transfer did.
type Outcome int

const (
	// Wrong: the secret is nobody's; it counts as a failed attempt.
	Wrong Outcome = iota
	// Recorded: the party's decision was recorded.
	Recorded
	// Replay: the secret belongs to a party that already decided, or to an earlier round; it decides
	// nothing and does not count as a guess.
	Replay
)

// Identify finds whose secret of the given purpose secret is, among the transfer's rows. It derives and
// compares the secret of every row, for the current round and the earlier ones, in constant time and
// without stopping at a match, so that its duration says nothing about which row matched.
func Identify(k *Keyring, t *v1alpha1.ContactTransfer, secret string, purpose Purpose) (party string, outcome Outcome) {
	round := max(t.Status.Round, 1)
	outcome = Wrong
	for _, r := range t.Status.Approvals {
		if SecretsEqual(k.Token(t.UID, round, r.Contact, purpose), secret) && secret != "" {
			party = r.Contact
			if r.Decision == v1alpha1.DecisionPending {
				outcome = Recorded
			} else {
				outcome = Replay
			}
		}
		for old := max(1, round-maxStaleRounds); old < round; old++ {
			if SecretsEqual(k.Token(t.UID, old, r.Contact, purpose), secret) && outcome == Wrong {
				outcome = Replay
			}
		}
	}
	return party, outcome
}

// Decide records, for the party whose secret of the given purpose secret is, decision d made via the
// given channel. A wrong secret counts as a failed attempt; a replay changes nothing. A transfer whose
// approvals are complete, or that settled, takes no more decisions (every secret is a replay then).
func Decide(k *Keyring, t *v1alpha1.ContactTransfer, secret string, purpose Purpose, d v1alpha1.Decision,
	via v1alpha1.DecisionChannel, now metav1.Time) (party string, outcome Outcome) {
	party, outcome = Identify(k, t, secret, purpose)
	if !Open(t) && outcome == Recorded {
		return party, Replay
	}
	switch outcome {
	case Wrong:
		t.Status.FailedAttempts++
	case Recorded:
		row := rowOf(t, party)
		row.Decision, row.DecidedAt, row.Via = d, &now, via
	}
	return party, outcome
}

// Override records the break-glass decision value ("<party>=Approved" or "<party>=Refused") made by the
// Kubernetes user: the party must be awaited.
func Override(t *v1alpha1.ContactTransfer, value, user string, now metav1.Time) (string, error) {
	party, decision, err := ParseOverride(value)
	if err != nil {
		return "", err
	}
	row := rowOf(t, party)
	if row == nil || !slices.Contains(Pending(t), party) || !Open(t) {
		return "", fmt.Errorf("%s: %q is not a party awaited by this transfer (awaiting: %s)",
			v1alpha1.OverrideAnnotation, party, AwaitingSummary(t))
	}
	row.Decision, row.DecidedAt, row.Via, row.User = decision, &now, v1alpha1.DecisionViaOverride, user
	return party, nil
}

// ParseOverride reads "<party>=Approved|Refused".
func ParseOverride(value string) (party string, d v1alpha1.Decision, err error) {
	party, decision, ok := strings.Cut(strings.TrimSpace(value), "=")
	d = v1alpha1.Decision(decision)
	if !ok || party == "" || (d != v1alpha1.DecisionApproved && d != v1alpha1.DecisionRefused) {
		return "", "", fmt.Errorf("%s must read <contact>=Approved or <contact>=Refused, not %q", v1alpha1.OverrideAnnotation, value)
	}
	return party, d, nil
}

// Open reports whether the transfer still takes decisions: not approved yet and not settled.
func Open(t *v1alpha1.ContactTransfer) bool {
	return !conditions.IsTrue(t.Status.Conditions, v1alpha1.ApprovedCondition) && !Settled(t)
}

// Settled reports whether the transfer reached an end: Completed, Refused, Expired, or Stalled on a
// broken rule.
func Settled(t *v1alpha1.ContactTransfer) bool {
	c := t.Status.Conditions
	return conditions.IsTrue(c, v1alpha1.CompletedCondition) || conditions.IsTrue(c, v1alpha1.RefusedCondition) ||
		conditions.IsTrue(c, v1alpha1.ExpiredCondition) || conditions.IsTrue(c, v1alpha1.StalledCondition)
}
