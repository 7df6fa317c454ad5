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
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
)

// transferFacts is what a ContactTransfer's status is computed from, besides its own approvals.
type transferFacts struct {
	// invalid says why the request breaks a rule; it ends the transfer.
	invalid string
	// waiting says what the transfer waits for before it can be judged (its organization, a valid
	// catalogue); it does not end it.
	waiting string
	// expired is set once the transfer outlived its tokenTTL without being approved.
	expired bool
	// maxAttempts is the organization's approval.maxAttempts.
	maxAttempts int32
	// overdue says which contact's standing holds the completion back.
	overdue string
	// moved is set once the role's assignment shows the new holder.
	moved bool
	now   metav1.Time
}

// ensureApprovals gives every approver a row, Pending until it decides. A decided row stays for the audit
// trail even when its contact is no longer an approver; a pending one goes.
func ensureApprovals(t *v1alpha1.ContactTransfer, approvers []string) {
	rows := make([]v1alpha1.PartyApproval, 0, len(approvers))
	for _, p := range approvers {
		row := v1alpha1.PartyApproval{Contact: p, Decision: v1alpha1.DecisionPending}
		for _, existing := range t.Status.Approvals {
			if existing.Contact == p {
				row = existing
			}
		}
		rows = append(rows, row)
	}
	for _, existing := range t.Status.Approvals {
		if existing.Decision != v1alpha1.DecisionPending && !slices.Contains(approvers, existing.Contact) {
			rows = append(rows, existing)
		}
	}
	t.Status.Approvals = rows
}

// usedToken reports whether token is the token of a party that already decided in the current round: a
// replay, refused without counting as a wrong attempt.
func usedToken(t *v1alpha1.ContactTransfer, keys *approval.Keyring, token string) bool {
	for _, a := range t.Status.Approvals {
		if a.Decision != v1alpha1.DecisionPending &&
			subtle.ConstantTimeCompare([]byte(keys.Token(t.UID, t.Status.Round, a.Contact)), []byte(token)) == 1 {
			return true
		}
	}
	return false
}

// pendingParties lists the approvers that have not decided.
func pendingParties(t *v1alpha1.ContactTransfer) []string {
	var out []string
	for _, a := range t.Status.Approvals {
		if a.Decision == v1alpha1.DecisionPending {
			out = append(out, a.Contact)
		}
	}
	return out
}

// applyDecision records the decision of the party a token belongs to, or counts a wrong attempt. A token
// of a party that already decided (a replay) is a wrong token.
func applyDecision(t *v1alpha1.ContactTransfer, hashes map[string]string, token string, d v1alpha1.Decision,
	via v1alpha1.DecisionChannel, now metav1.Time) (party string, ok bool) {
	if party, found := approval.Match(hashes, token); found {
		for i := range t.Status.Approvals {
			row := &t.Status.Approvals[i]
			if row.Contact == party && row.Decision == v1alpha1.DecisionPending {
				row.Decision, row.DecidedAt, row.Via = d, &now, via
				return party, true
			}
		}
	}
	t.Status.FailedAttempts++
	return "", false
}

// setTransferStatus computes a ContactTransfer's conditions. Approved, Refused, Expired and Completed are
// one-way: once True they are never touched again.
func setTransferStatus(t *v1alpha1.ContactTransfer, f transferFacts) {
	gen := t.Generation
	conds := &t.Status.Conditions
	t.Status.ObservedGeneration = gen
	isTrue := func(typ string) bool { return conditionTrue(*conds, typ) }
	defer func() {
		t.Status.Awaiting = ""
		if !transferSettled(t) {
			t.Status.Awaiting = strings.Join(pendingParties(t), ",")
		}
	}()
	once := func(typ, reason, msg string) {
		if !isTrue(typ) {
			setCondition(conds, gen, typ, metav1.ConditionTrue, reason, msg)
		}
	}

	switch {
	case isTrue(v1alpha1.CompletedCondition) || isTrue(v1alpha1.RefusedCondition) || isTrue(v1alpha1.ExpiredCondition):
		// Settled: nothing changes any more.
	case f.invalid != "":
		setReady(conds, gen, false, true, v1alpha1.InvalidTransferReason, f.invalid+": nothing moves; create a new ContactTransfer")
	case f.waiting != "":
		setReady(conds, gen, false, false, v1alpha1.AwaitingApprovalReason, f.waiting)
	case refusedBy(t) != "":
		msg := refusedBy(t) + " refused the transfer; nothing moves"
		once(v1alpha1.RefusedCondition, v1alpha1.RefusedReason, msg)
		setReady(conds, gen, false, true, v1alpha1.RefusedReason, msg)
	case f.maxAttempts > 0 && t.Status.FailedAttempts >= f.maxAttempts:
		msg := fmt.Sprintf("locked after %d wrong tokens; nothing moves: create a new ContactTransfer to try again", t.Status.FailedAttempts)
		once(v1alpha1.RefusedCondition, v1alpha1.LockedReason, msg)
		setReady(conds, gen, false, true, v1alpha1.LockedReason, msg)
	case f.expired && !isTrue(v1alpha1.ApprovedCondition):
		msg := "expired before every party approved; nothing moves: create a new ContactTransfer to try again"
		once(v1alpha1.ExpiredCondition, v1alpha1.ExpiredReason, msg)
		setReady(conds, gen, false, true, v1alpha1.ExpiredReason, msg)
	case len(pendingParties(t)) > 0 && !isTrue(v1alpha1.ApprovedCondition):
		setCondition(conds, gen, v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason,
			"waiting for "+strings.Join(pendingParties(t), ", "))
		setReady(conds, gen, false, false, v1alpha1.AwaitingApprovalReason, "waiting for "+strings.Join(pendingParties(t), ", ")+
			" to approve with their token")
	default:
		once(v1alpha1.ApprovedCondition, v1alpha1.ApprovedReason, approvedMessage(t))
		switch {
		case f.moved:
			once(v1alpha1.CompletedCondition, v1alpha1.CompletedReason, "role "+t.Spec.Role+scopeSuffix(t.Spec.Scope)+" moved to "+t.Spec.To.Name)
			if t.Status.CompletedAt == nil {
				t.Status.CompletedAt = &f.now
			}
			setReady(conds, gen, true, false, v1alpha1.CompletedReason, "role "+t.Spec.Role+scopeSuffix(t.Spec.Scope)+" moved to "+t.Spec.To.Name)
		case f.overdue != "":
			setReady(conds, gen, false, false, v1alpha1.AccountOverdueReason, f.overdue)
		default:
			setReady(conds, gen, false, false, v1alpha1.ApprovedReason, "approved: moving role "+t.Spec.Role+" to "+t.Spec.To.Name)
		}
	}
}

// refusedBy names the first party that refused.
func refusedBy(t *v1alpha1.ContactTransfer) string {
	for _, a := range t.Status.Approvals {
		if a.Decision == v1alpha1.DecisionRefused {
			return a.Contact
		}
	}
	return ""
}

func approvedMessage(t *v1alpha1.ContactTransfer) string {
	if len(t.Status.Approvals) == 0 {
		return "role " + t.Spec.Role + " changes without approval"
	}
	names := make([]string, 0, len(t.Status.Approvals))
	for _, a := range t.Status.Approvals {
		names = append(names, a.Contact)
	}
	return "approved by " + strings.Join(names, ", ")
}

// expiry is when a transfer created at created expires with the organization's tokenTTL.
func expiry(created metav1.Time, org *v1alpha1.Organization) metav1.Time {
	ttl := 168 * time.Hour
	if org.Spec.Approval.TokenTTL != nil {
		ttl = org.Spec.Approval.TokenTTL.Duration
	}
	return metav1.NewTime(created.Add(ttl))
}

func conditionTrue(conds []metav1.Condition, typ string) bool {
	for _, c := range conds {
		if c.Type == typ {
			return c.Status == metav1.ConditionTrue
		}
	}
	return false
}
