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

// Package history records each change of holder of an Organization's roles in its status.history: which
// changes happened (a diff of the holders the status showed against those just evaluated), how, who
// approved them and who asked; and keeps the list within the CRD's bounds, newest entries kept. It also
// chooses the settled ContactTransfers kept as audit records beyond spec.approval.historyLimit.
package history

import (
	"slices"
	"sort"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/roles"
)

// The bounds of status.history, as the CRD enforces them.
const (
	// MaxEntries is how many entries status.history keeps.
	MaxEntries = 128
	// MaxNames is how many characters of names and users its entries take in all.
	MaxNames = 49152
	// MaxApprovals is how many approvals one entry records.
	MaxApprovals = 4
	// maxUser is the longest user an entry records.
	maxUser = 512
)

// Append returns h with entries added last, dropping the oldest entries so that the result stays within
// MaxEntries and MaxNames: a status write never fails on the bounds.
func Append(h []v1alpha1.HolderChange, entries ...v1alpha1.HolderChange) []v1alpha1.HolderChange {
	if len(entries) == 0 {
		return h
	}
	out := append(slices.Clone(h), entries...)
	total := 0
	for _, e := range out {
		total += Size(e)
	}
	drop := 0
	for drop < len(out) && (len(out)-drop > MaxEntries || total > MaxNames) {
		total -= Size(out[drop])
		drop++
	}
	return out[drop:]
}

// Size is what an entry counts towards MaxNames: the lengths of its names and users (in bytes, which is
// at least the characters the CRD counts).
func Size(e v1alpha1.HolderChange) int {
	n := len(e.Role) + len(e.Scope) + len(e.Holder) + len(e.Previous) + len(e.Assignment) + len(e.Transfer) +
		len(e.RequestedBy) + len(e.User)
	for _, a := range e.Approvals {
		n += len(a.Contact) + len(a.User)
	}
	return n
}

// Sources are what the entries are described from: the organization's assignments (those being deleted
// included), the verdict on each, its transfers, and the time of the change.
type Sources struct {
	Now time.Time
	// Organization, when set, tells which direct assignments were its initial roster.
	Organization *v1alpha1.Organization
	Assignments  []v1alpha1.RoleAssignment
	Results      map[string]roles.AssignmentResult
	Transfers    []v1alpha1.ContactTransfer
	// Rows are the evaluation's, when the status may leave rows or holders out: a holder the status
	// omits but the evaluation still has did not leave.
	Rows []roles.Row
}

type slot struct{ role, scope string }

// Entries returns the changes of holder from the rows the status showed (before) to the rows it shows
// now (after), oldest first: a new holder of a (role, scope), with the one it replaced when that is
// clear (the transfer's spec.from, or the only holder that left), and each holder that left without a
// successor (a deletion, an expiry, a vacancy).
func Entries(before, after []v1alpha1.RoleHolders, src Sources) []v1alpha1.HolderChange {
	was := make(map[slot][]string, len(before))
	for _, row := range before {
		was[slot{row.Role, row.Scope}] = row.Holders
	}
	var out []v1alpha1.HolderChange
	seen := make(map[slot]bool, len(after))
	for _, row := range after {
		s := slot{row.Role, row.Scope}
		seen[s] = true
		out = append(out, changesOf(s, was[s], row.Holders, src)...)
	}
	for _, row := range before {
		if s := (slot{row.Role, row.Scope}); !seen[s] {
			out = append(out, changesOf(s, row.Holders, nil, src)...)
		}
	}
	return out
}

// changesOf describes the changes of one (role, scope).
func changesOf(s slot, was, now []string, src Sources) []v1alpha1.HolderChange {
	added := without(now, was)
	removed := slices.DeleteFunc(without(was, now), func(h string) bool { return src.stillHeld(s, h) })
	if len(added) == 0 && len(removed) == 0 {
		return nil
	}
	var out []v1alpha1.HolderChange
	// A holder whose assignment is being deleted left by that deletion, whoever comes next.
	var left []string
	for _, r := range removed {
		ra := leaving(s, r, src.Assignments)
		if ra != nil && ra.DeletionTimestamp != nil {
			out = append(out, v1alpha1.HolderChange{Role: s.role, Scope: s.scope, Previous: r, Since: metav1.NewTime(src.Now),
				How: v1alpha1.HolderChangeDeletion, Assignment: ra.Name, User: bounded(ra.Annotations[v1alpha1.DeletedByAnnotation])})
			continue
		}
		left = append(left, r)
	}
	for _, a := range added {
		e := arrival(s, a, src)
		switch {
		case e.Previous != "" && slices.Contains(left, e.Previous):
			left = slices.DeleteFunc(left, func(r string) bool { return r == e.Previous })
		case e.Previous != "":
			e.Previous = "" // the transfer's spec.from was not the holder the status showed
		}
		if e.Previous == "" && len(added) == 1 && len(left) == 1 {
			e.Previous, left = left[0], nil
		}
		out = append(out, e)
	}
	for _, r := range left {
		e := v1alpha1.HolderChange{Role: s.role, Scope: s.scope, Previous: r, Since: metav1.NewTime(src.Now), How: v1alpha1.HolderChangeVacated}
		if ra := leaving(s, r, src.Assignments); ra != nil {
			e.Assignment = ra.Name
			if roles.Ended(ra, src.Now) {
				e.How, e.Since = v1alpha1.HolderChangeExpiry, *ra.Spec.ValidUntil
			}
		}
		out = append(out, e)
	}
	return out
}

// arrival describes how holder came to hold the (role, scope).
func arrival(s slot, holder string, src Sources) v1alpha1.HolderChange {
	e := v1alpha1.HolderChange{Role: s.role, Scope: s.scope, Holder: holder, Since: metav1.NewTime(src.Now), How: v1alpha1.HolderChangeAssignment}
	var ra *v1alpha1.RoleAssignment
	var result roles.AssignmentResult
	for i := range src.Assignments {
		a := &src.Assignments[i]
		if r := src.Results[a.Name]; r.Effective && r.Holder == holder && a.Spec.Role == s.role && a.Spec.Scope == s.scope {
			result, ra, e.Assignment = r, a, a.Name
		}
	}
	if ra != nil {
		e.User = bounded(ra.Annotations[v1alpha1.ChangedByAnnotation])
		e.RequestedBy = contactName(ra.Annotations[v1alpha1.RequestedByAnnotation])
	}
	switch result.Grant {
	case v1alpha1.GrantInitialRoster:
		e.How = v1alpha1.HolderChangeInitialRoster
	case v1alpha1.GrantDirect:
		if ra != nil && src.Organization != nil && roles.InInitialRoster(ra, src.Organization) {
			e.How = v1alpha1.HolderChangeInitialRoster
		}
	case v1alpha1.GrantTransfer:
		e.How, e.Transfer = v1alpha1.HolderChangeTransfer, result.Transfer
		if t := findTransfer(src.Transfers, result.Transfer); t != nil {
			describeTransfer(&e, t)
		}
	}
	return e
}

// contactName is name when it can name a Contact, else "": the roster.dev/requested-by annotation is
// written by users, and a value beyond the history's bounds would make every status write fail.
func contactName(name string) string {
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return ""
	}
	return name
}

// describeTransfer records what the transfer tells of a change: how, who asked, who approved and when.
func describeTransfer(e *v1alpha1.HolderChange, t *v1alpha1.ContactTransfer) {
	purpose := t.Labels[v1alpha1.PurposeLabel]
	if purpose == v1alpha1.ReassignmentPurpose {
		e.How = v1alpha1.HolderChangeReassignment
	}
	e.Previous = approval.From(t)
	e.RequestedBy = approval.RequestedBy(t)
	switch purpose {
	case v1alpha1.HolderChangePurpose:
		// The operator opens it for the user who edited the assignment (e.User, from changed-by).
	case v1alpha1.ReassignmentPurpose:
		e.User = "" // the operator opened it for a disabled contact: no user asked
	default:
		e.User = bounded(t.Spec.Username)
	}
	if t.Status.CompletedAt != nil {
		e.Since = *t.Status.CompletedAt
	}
	e.Approvals = nil
	for _, a := range t.Status.Approvals {
		if a.Decision != v1alpha1.DecisionApproved {
			continue
		}
		if a.Via == v1alpha1.DecisionViaOverride {
			e.How = v1alpha1.HolderChangeOverride
		}
		if len(e.Approvals) < MaxApprovals {
			e.Approvals = append(e.Approvals, v1alpha1.HistoryApproval{Contact: a.Contact, DecidedAt: a.DecidedAt, Via: a.Via, User: bounded(a.User)})
		}
	}
}

// leaving finds the assignment through which holder held the (role, scope): one being deleted first,
// then one whose status still names it, then one whose spec names it.
func leaving(s slot, holder string, assignments []v1alpha1.RoleAssignment) *v1alpha1.RoleAssignment {
	var found *v1alpha1.RoleAssignment
	rank := 0
	for i := range assignments {
		ra := &assignments[i]
		if ra.Spec.Role != s.role || ra.Spec.Scope != s.scope {
			continue
		}
		r := 0
		switch {
		case ra.DeletionTimestamp != nil && (ra.Status.Holder == holder || ra.Spec.ContactRef.Name == holder):
			r = 3
		case ra.Status.Holder == holder:
			r = 2
		case ra.Spec.ContactRef.Name == holder:
			r = 1
		}
		if r > rank {
			found, rank = ra, r
		}
	}
	return found
}

// stillHeld tells whether the evaluation has holder in the (role, scope), though the status omits it.
func (src Sources) stillHeld(s slot, holder string) bool {
	for _, row := range src.Rows {
		if row.Role == s.role && row.Scope == s.scope {
			return slices.Contains(row.Holders, holder)
		}
	}
	return false
}

func findTransfer(transfers []v1alpha1.ContactTransfer, name string) *v1alpha1.ContactTransfer {
	for i := range transfers {
		if transfers[i].Name == name {
			return &transfers[i]
		}
	}
	return nil
}

// without returns the names of a not in b, sorted.
func without(a, b []string) []string {
	var out []string
	for _, n := range a {
		if !slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// bounded cuts a user name to the length the CRD allows.
func bounded(user string) string {
	if utf8.RuneCountInString(user) <= maxUser {
		return user
	}
	return string([]rune(user)[:maxUser])
}

// SettledAt is when a settled transfer settled: its completion, or the last change of its conditions.
func SettledAt(t *v1alpha1.ContactTransfer) time.Time {
	if t.Status.CompletedAt != nil {
		return t.Status.CompletedAt.Time
	}
	var at time.Time
	for _, typ := range []string{v1alpha1.RefusedCondition, v1alpha1.ExpiredCondition, v1alpha1.StalledCondition, v1alpha1.ReadyCondition} {
		if c := meta.FindStatusCondition(t.Status.Conditions, typ); c != nil && c.LastTransitionTime.After(at) {
			at = c.LastTransitionTime.Time
		}
	}
	return at
}

// delivered tells whether nothing of t's outbox waits to be sent: a transfer is pruned only once its
// last notices went out.
func delivered(t *v1alpha1.ContactTransfer) bool {
	return !slices.ContainsFunc(t.Status.Outbox, func(d v1alpha1.Delivery) bool { return d.State == v1alpha1.DeliveryPending })
}

// Prunable returns the settled transfers beyond the newest limit, oldest first: the audit records to
// delete. Transfers being deleted already count neither way.
func Prunable(transfers []v1alpha1.ContactTransfer, limit int) []*v1alpha1.ContactTransfer {
	var settled []*v1alpha1.ContactTransfer
	for i := range transfers {
		if t := &transfers[i]; t.DeletionTimestamp == nil && approval.Settled(t) && delivered(t) {
			settled = append(settled, t)
		}
	}
	if len(settled) <= limit {
		return nil
	}
	sort.SliceStable(settled, func(i, j int) bool {
		a, b := SettledAt(settled[i]), SettledAt(settled[j])
		if !a.Equal(b) {
			return a.Before(b)
		}
		// Settled within the same second (timestamps have whole seconds): the older request first.
		if ca, cb := settled[i].CreationTimestamp, settled[j].CreationTimestamp; !ca.Equal(&cb) {
			return ca.Before(&cb)
		}
		return settled[i].Name < settled[j].Name
	})
	return settled[:len(settled)-limit]
}
