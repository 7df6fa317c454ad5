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
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
)

// Facts is what a ContactTransfer's status is computed from, besides its own approvals.
type Facts struct {
	// Invalid says why the request breaks a rule; it ends the transfer.
	Invalid string
	// Waiting says what the transfer waits for before it can be judged (its organization, a valid
	// catalogue); it does not end it.
	Waiting string
	// Expired is set once the transfer outlived its tokenTTL without being approved.
	Expired bool
	// MaxAttempts is the organization's approval.maxAttempts.
	MaxAttempts int32
	// Overdue says which contact's standing holds the completion back.
	Overdue string
	// Gone says that the assignment the approved transfer was changing was deleted.
	Gone string
	// Moved is set once the bound assignment shows the new holder.
	Moved bool
	Now   metav1.Time
}

// SetStatus computes a ContactTransfer's conditions and status.awaiting. Approved, Refused, Expired and
// Completed are one-way: once True they are never touched again.
func SetStatus(t *v1alpha1.ContactTransfer, f Facts) {
	gen := t.Generation
	conds := &t.Status.Conditions
	t.Status.ObservedGeneration = gen
	isTrue := func(typ string) bool { return conditions.IsTrue(*conds, typ) }
	defer func() {
		t.Status.Awaiting = ""
		if Open(t) {
			t.Status.Awaiting = AwaitingSummary(t)
		}
	}()
	once := func(typ, reason, msg string) {
		if !isTrue(typ) {
			conditions.Set(conds, gen, typ, metav1.ConditionTrue, reason, msg)
		}
	}
	what := "role " + t.Spec.Role + scopeSuffix(t.Spec.Scope)

	switch {
	case isTrue(v1alpha1.CompletedCondition) || isTrue(v1alpha1.RefusedCondition) || isTrue(v1alpha1.ExpiredCondition):
		// Settled: nothing changes any more.
	case f.Invalid != "":
		conditions.SetReady(conds, gen, false, true, v1alpha1.InvalidTransferReason, f.Invalid+": nothing moves; create a new ContactTransfer")
	case f.Gone != "":
		conditions.SetReady(conds, gen, false, true, v1alpha1.AssignmentGoneReason, f.Gone)
	case f.Waiting != "":
		conditions.SetReady(conds, gen, false, false, v1alpha1.AwaitingApprovalReason, f.Waiting)
	case !isTrue(v1alpha1.ApprovedCondition) && RefusedBy(t) != "":
		msg := RefusedBy(t) + " refused the transfer; nothing moves"
		once(v1alpha1.RefusedCondition, v1alpha1.RefusedReason, msg)
		conditions.SetReady(conds, gen, false, true, v1alpha1.RefusedReason, msg)
	case !isTrue(v1alpha1.ApprovedCondition) && f.MaxAttempts > 0 && t.Status.FailedAttempts >= f.MaxAttempts:
		msg := fmt.Sprintf("locked after %d wrong tokens; nothing moves: create a new ContactTransfer to try again", t.Status.FailedAttempts)
		once(v1alpha1.RefusedCondition, v1alpha1.LockedReason, msg)
		conditions.SetReady(conds, gen, false, true, v1alpha1.LockedReason, msg)
	case f.Expired && !isTrue(v1alpha1.ApprovedCondition):
		msg := "expired before every party approved; nothing moves: create a new ContactTransfer to try again"
		once(v1alpha1.ExpiredCondition, v1alpha1.ExpiredReason, msg)
		conditions.SetReady(conds, gen, false, true, v1alpha1.ExpiredReason, msg)
	case !isTrue(v1alpha1.ApprovedCondition) && !Approved(t):
		waiting := "waiting for " + AwaitingSummary(t)
		conditions.Set(conds, gen, v1alpha1.ApprovedCondition, metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, waiting)
		conditions.SetReady(conds, gen, false, false, v1alpha1.AwaitingApprovalReason, waiting+" to approve with their token")
	default:
		once(v1alpha1.ApprovedCondition, v1alpha1.ApprovedReason, approvedMessage(t))
		switch {
		case f.Moved:
			once(v1alpha1.CompletedCondition, v1alpha1.CompletedReason, what+" moved to "+t.Spec.To.Name)
			if t.Status.CompletedAt == nil {
				t.Status.CompletedAt = &f.Now
			}
			conditions.SetReady(conds, gen, true, false, v1alpha1.CompletedReason, what+" moved to "+t.Spec.To.Name)
		case f.Overdue != "":
			conditions.SetReady(conds, gen, false, false, v1alpha1.AccountOverdueReason, f.Overdue)
		default:
			conditions.SetReady(conds, gen, false, false, v1alpha1.ApprovedReason, "approved: moving "+what+" to "+t.Spec.To.Name)
		}
	}
}

// approvedMessage names who approved, and how.
func approvedMessage(t *v1alpha1.ContactTransfer) string {
	var names []string
	for _, a := range t.Status.Approvals {
		if a.Decision == v1alpha1.DecisionApproved {
			names = append(names, fmt.Sprintf("%s (%s)", a.Contact, a.Via))
		}
	}
	if len(names) == 0 {
		return "role " + t.Spec.Role + " changes without approval"
	}
	return "approved by " + strings.Join(names, ", ")
}

// Expiry is when a transfer created at created expires with the organization's tokenTTL.
func Expiry(created metav1.Time, org *v1alpha1.Organization) metav1.Time {
	ttl := 168 * time.Hour
	if org.Spec.Approval.TokenTTL != nil {
		ttl = org.Spec.Approval.TokenTTL.Duration
	}
	return metav1.NewTime(created.Add(ttl))
}

// scopeSuffix renders a scope for messages: "" for organization-wide roles.
func scopeSuffix(scope string) string {
	if scope == "" {
		return ""
	}
	return " (scope " + scope + ")"
}

// Resend limits: roster.dev/resend issues a new round of secrets, and each round mails every awaited
// party. Whoever may annotate a transfer could otherwise flood their inboxes.
const (
	// ResendInterval is the least time between two rounds of one transfer.
	ResendInterval = 2 * time.Minute
	// MaxRounds is the most rounds one transfer issues.
	MaxRounds = 10
)

// ResendWait returns how long a resend of t must wait at now (0: it may go now), and whether t issued
// all the rounds it may.
func ResendWait(t *v1alpha1.ContactTransfer, now time.Time) (wait time.Duration, exhausted bool) {
	if t.Status.Round >= MaxRounds {
		return 0, true
	}
	if t.Status.RoundIssuedAt == nil {
		return 0, false
	}
	return max(0, t.Status.RoundIssuedAt.Add(ResendInterval).Sub(now)), false
}
