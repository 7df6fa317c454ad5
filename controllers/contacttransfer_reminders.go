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
	"fmt"
	"strconv"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/notify"
)

// recordReminders records, at each point of the organization's spec.approval.reminders, a reminder to the
// parties of the current round that have not decided, and adds the point to status.reminded in the same
// status write: a point is reminded once per round, whatever the restarts. When the operator was away
// through several points, one reminder goes out for all of them. It asks to be woken at the next point.
func (r *ContactTransferReconciler) recordReminders(s *transferScope) ctrl.Result {
	t := s.t
	pending := approval.Pending(t)
	if s.org == nil || !approval.Open(t) || len(pending) == 0 || t.Status.RoundIssuedAt == nil ||
		t.Status.NotifiedRound != t.Status.Round || s.facts.Expired {
		return ctrl.Result{}
	}
	ttl := 168 * time.Hour
	if s.org.Spec.Approval.TokenTTL != nil {
		ttl = s.org.Spec.Approval.TokenTTL.Duration
	}
	var expires time.Time
	if t.Status.ExpiresAt != nil {
		expires = t.Status.ExpiresAt.Time
	}
	now := s.facts.Now.Time
	due, next := approval.DueReminders(s.org.Spec.Approval.Reminders, t.Status.Reminded, t.Status.RoundIssuedAt.Time, ttl, expires, now)
	if len(due) > 0 {
		point := due[len(due)-1]
		n := r.notification(s, notify.TransferReminder,
			fmt.Sprintf("%s/round-%d/reminder-%s", t.UID, t.Status.Round, strings.TrimSuffix(point, "%")))
		n.Facts[roundFact] = strconv.Itoa(int(t.Status.Round))
		n.Facts[approversFact] = strings.Join(pending, ",")
		n.Facts["reminder"] = point
		n.Recipients = r.recipients(s, pending, pending)
		r.Deliverer.Record(t, &t.Status.Outbox, s.org, n,
			fmt.Sprintf("reminder (%s of the token lifetime, round %d) sent to %s", point, t.Status.Round, joinNames(pending)))
		t.Status.Reminded = append(t.Status.Reminded, due...)
	}
	if next.IsZero() {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: waitUntil(next, now)}
}

// resetReminders empties status.reminded when a round's tokens are recorded: a new round starts its
// reminders again.
func resetReminders(t *v1alpha1.ContactTransfer) { t.Status.Reminded = nil }
