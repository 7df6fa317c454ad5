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

package rosterctl

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
)

// WhoisRow is one role of a contact found by its address; Role is "" for a contact that holds none.
type WhoisRow struct {
	Namespace    string `json:"namespace"`
	Organization string `json:"organization"`
	Contact      string `json:"contact"`
	Email        string `json:"email"`
	Role         string `json:"role"`
	Scope        string `json:"scope"`
}

var whoisColumns = []Column{
	{"NAMESPACE", namespaceKey}, {"ORGANIZATION", "organization"}, {"CONTACT", "contact"},
	{"EMAIL", "email"}, {"ROLE", "role"}, {"SCOPE", "scope"},
}

// NormalizeEmail is the form of an address that Contact status.normalizedEmail holds: lowercase,
// without surrounding spaces.
func NormalizeEmail(address string) string {
	return strings.ToLower(strings.TrimSpace(address))
}

// Whois lists every role of the contacts, one row per (contact, role, scope), sorted.
func Whois(contacts []v1alpha1.Contact) Table {
	var rows []WhoisRow
	for _, c := range contacts {
		base := WhoisRow{Namespace: c.Namespace, Organization: c.Spec.OrganizationRef.Name, Contact: c.Name, Email: c.Spec.Email}
		if len(c.Status.Roles) == 0 {
			rows = append(rows, base)
		}
		for _, r := range c.Status.Roles {
			row := base
			row.Role, row.Scope = r.Role, r.Scope
			rows = append(rows, row)
		}
	}
	slices.SortStableFunc(rows, func(a, b WhoisRow) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Organization, b.Organization),
			cmp.Compare(a.Contact, b.Contact), cmp.Compare(a.Role, b.Role), cmp.Compare(a.Scope, b.Scope))
	})
	t := Table{Columns: whoisColumns, Items: nonNil(rows)}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{r.Namespace, r.Organization, r.Contact, r.Email, r.Role, r.Scope})
	}
	return t
}

// VacantRow is a required (role, scope) of an organization without enough holders.
type VacantRow struct {
	Namespace    string      `json:"namespace"`
	Organization string      `json:"organization"`
	Role         string      `json:"role"`
	Scope        string      `json:"scope"`
	Holders      int         `json:"holders"`
	VacantSince  metav1.Time `json:"vacantSince"`
}

var vacantColumns = []Column{
	{"NAMESPACE", namespaceKey}, {"ORGANIZATION", "organization"}, {"ROLE", "role"}, {"SCOPE", "scope"},
	{"HOLDERS", "holders"}, {"VACANT SINCE", "vacantSince"}, {"FOR", "for"},
}

// Vacant lists the rows of status.roles that are required and not satisfied (no holder, or fewer than
// the role needs), with since when: the newest history entry of that (role, scope) when it left the
// role without a holder, else the last transition of RolesSatisfied to False, else the organization's
// creation.
func Vacant(orgs []v1alpha1.Organization, now time.Time) Table {
	var rows []VacantRow
	for _, o := range sortedOrgs(orgs) {
		for _, r := range o.Status.Roles {
			if !r.Required || r.Satisfied {
				continue
			}
			rows = append(rows, VacantRow{Namespace: o.Namespace, Organization: o.Name, Role: r.Role, Scope: r.Scope,
				Holders: len(r.Holders), VacantSince: vacantSince(&o, r)})
		}
	}
	t := Table{Columns: vacantColumns, Items: nonNil(rows)}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{r.Namespace, r.Organization, r.Role, r.Scope, fmt.Sprint(r.Holders),
			Timestamp(r.VacantSince.Time), age(now, r.VacantSince.Time)})
	}
	return t
}

func vacantSince(o *v1alpha1.Organization, r v1alpha1.RoleHolders) metav1.Time {
	var last *v1alpha1.HolderChange
	for i := range o.Status.History {
		h := &o.Status.History[i]
		if h.Role == r.Role && h.Scope == r.Scope && (last == nil || !h.Since.Before(&last.Since)) {
			last = h
		}
	}
	if last != nil && last.Holder == "" {
		return last.Since
	}
	if c := apimeta.FindStatusCondition(o.Status.Conditions, v1alpha1.RolesSatisfiedCondition); c != nil && c.Status == metav1.ConditionFalse {
		return c.LastTransitionTime
	}
	return o.CreationTimestamp
}

// PendingRow is a ContactTransfer not settled yet.
type PendingRow struct {
	Namespace    string       `json:"namespace"`
	Name         string       `json:"name"`
	Organization string       `json:"organization"`
	Role         string       `json:"role"`
	Scope        string       `json:"scope"`
	From         string       `json:"from"`
	To           string       `json:"to"`
	Awaiting     string       `json:"awaiting"`
	Status       string       `json:"status"`
	ExpiresAt    *metav1.Time `json:"expiresAt"`
}

var pendingColumns = []Column{
	{"NAMESPACE", namespaceKey}, {"NAME", "name"}, {"ORGANIZATION", "organization"}, {"ROLE", "role"},
	{"SCOPE", "scope"}, {"FROM", "from"}, {"TO", "to"}, {"AWAITING", "awaiting"}, {"STATUS", "status"},
	{"EXPIRES", "expiresAt"}, {"EXPIRES IN", "expiresIn"},
}

// Settled reports whether a transfer is over: completed, refused (or locked) or expired.
func Settled(t *v1alpha1.ContactTransfer) bool {
	for _, c := range []string{v1alpha1.CompletedCondition, v1alpha1.RefusedCondition, v1alpha1.ExpiredCondition} {
		if apimeta.IsStatusConditionTrue(t.Status.Conditions, c) {
			return true
		}
	}
	return false
}

// Pending lists the transfers not settled nor being deleted, the soonest to expire first, with the
// parties still awaited.
func Pending(transfers []v1alpha1.ContactTransfer, now time.Time) Table {
	var rows []PendingRow
	for i := range transfers {
		t := &transfers[i]
		if Settled(t) || t.DeletionTimestamp != nil {
			continue
		}
		row := PendingRow{Namespace: t.Namespace, Name: t.Name, Organization: t.Spec.OrganizationRef.Name,
			Role: t.Spec.Role, Scope: t.Spec.Scope, To: t.Spec.To.Name, Awaiting: awaiting(t), ExpiresAt: t.Status.ExpiresAt}
		if t.Spec.From != nil {
			row.From = t.Spec.From.Name
		}
		if c := apimeta.FindStatusCondition(t.Status.Conditions, "Ready"); c != nil {
			row.Status = c.Reason
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b PendingRow) int {
		return cmp.Or(compareExpiry(a.ExpiresAt, b.ExpiresAt), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	t := Table{Columns: pendingColumns, Items: nonNil(rows)}
	for _, r := range rows {
		expires, in := "", ""
		if r.ExpiresAt != nil {
			expires = Timestamp(r.ExpiresAt.Time)
			in = "expired"
			if left := r.ExpiresAt.Sub(now); left > 0 {
				in = duration.HumanDuration(left)
			}
		}
		t.Rows = append(t.Rows, []string{r.Namespace, r.Name, r.Organization, r.Role, r.Scope, r.From, r.To,
			r.Awaiting, r.Status, expires, in})
	}
	return t
}

// awaiting names the parties whose decision is awaited, as the PENDING column of kubectl get says it:
// status.awaiting, else computed from status.approvals ("carol, one of alice, bob").
func awaiting(t *v1alpha1.ContactTransfer) string {
	if t.Status.Awaiting != "" {
		return t.Status.Awaiting
	}
	return approval.AwaitingSummary(t)
}

func compareExpiry(a, b *metav1.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Time.Compare(b.Time)
}

// HistoryRow is one change of holder of an organization's status.history.
type HistoryRow = v1alpha1.HolderChange

var historyColumns = []Column{
	{"SINCE", "since"}, {"ROLE", "role"}, {"SCOPE", "scope"}, {"HOLDER", "holder"}, {"PREVIOUS", "previous"},
	{"HOW", "how"}, {"APPROVALS", "approvals"}, {"REQUESTED BY", "requestedBy"}, {"USER", "user"},
	{"TRANSFER", "transfer"}, {"ASSIGNMENT", "assignment"},
}

// HistoryFilter selects entries of History: of Role when set, from Since on when not zero.
type HistoryFilter struct {
	Role  string
	Since time.Time
}

// ParseSince reads a --since date: 2006-01-02 (midnight UTC) or RFC 3339.
func ParseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: write a date as 2006-01-02 or a time as RFC 3339 (2006-01-02T15:04:05Z)", s)
	}
	return t, nil
}

// History lists the organization's changes of holder, oldest first, that f selects. The approvals
// column reads "contact via Channel at time" for each approval, and the user of an Override.
func History(o *v1alpha1.Organization, f HistoryFilter) Table {
	rows := []HistoryRow{}
	for _, h := range o.Status.History {
		if (f.Role != "" && h.Role != f.Role) || (!f.Since.IsZero() && h.Since.Time.Before(f.Since)) {
			continue
		}
		rows = append(rows, h)
	}
	slices.SortStableFunc(rows, func(a, b HistoryRow) int { return a.Since.Time.Compare(b.Since.Time) })
	t := Table{Columns: historyColumns, Items: rows}
	for _, h := range rows {
		t.Rows = append(t.Rows, []string{Timestamp(h.Since.Time), h.Role, h.Scope, h.Holder, h.Previous, string(h.How),
			approvals(h.Approvals), h.RequestedBy, h.User, h.Transfer, h.Assignment})
	}
	return t
}

func approvals(as []v1alpha1.HistoryApproval) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		p := a.Contact
		if a.Via != "" {
			p += " via " + string(a.Via)
		}
		if a.User != "" {
			p += " by " + a.User
		}
		if a.DecidedAt != nil {
			p += " at " + Timestamp(a.DecidedAt.Time)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// ReportRow is one holder of one (role, scope) of an organization, with the state of its address and
// of its re-confirmation.
type ReportRow struct {
	Namespace    string `json:"namespace"`
	Organization string `json:"organization"`
	Role         string `json:"role"`
	Scope        string `json:"scope"`
	Contact      string `json:"contact"`
	DisplayName  string `json:"displayName"`
	Email        string `json:"email"`
	// Verified is when the address was verified (EmailVerified True); nil when it is not.
	Verified *metav1.Time `json:"verified"`
	// Reconfirmed is status.reconfirmedAt.
	Reconfirmed *metav1.Time `json:"reconfirmed"`
	// Reconfirmation is the reason of the Reconfirmed condition: Reconfirmed, AwaitingReconfirmation or
	// ReconfirmationLapsed; "" when the organization asks for none.
	Reconfirmation string `json:"reconfirmation"`
}

var reportColumns = []Column{
	{"NAMESPACE", namespaceKey}, {"ORGANIZATION", "organization"}, {"ROLE", "role"}, {"SCOPE", "scope"},
	{"CONTACT", "contact"}, {"DISPLAY NAME", "displayName"}, {"EMAIL", "email"}, {"VERIFIED", "verified"},
	{"RECONFIRMED", "reconfirmed"}, {"RECONFIRMATION", "reconfirmation"},
}

// Report lists who holds what: one row per holder of each row of the organizations' status.roles, in
// the order of status.roles, organizations sorted by namespace and name. A holder whose Contact is not
// among contacts keeps its name with the other columns empty.
func Report(orgs []v1alpha1.Organization, contacts []v1alpha1.Contact) Table {
	type key struct{ namespace, name string }
	byName := make(map[key]*v1alpha1.Contact, len(contacts))
	for i := range contacts {
		byName[key{contacts[i].Namespace, contacts[i].Name}] = &contacts[i]
	}
	var rows []ReportRow
	for _, o := range sortedOrgs(orgs) {
		for _, r := range o.Status.Roles {
			for _, h := range r.Holders {
				row := ReportRow{Namespace: o.Namespace, Organization: o.Name, Role: r.Role, Scope: r.Scope, Contact: h}
				if c := byName[key{o.Namespace, h}]; c != nil {
					fillContact(&row, c)
				}
				rows = append(rows, row)
			}
		}
	}
	t := Table{Columns: reportColumns, Items: nonNil(rows)}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{r.Namespace, r.Organization, r.Role, r.Scope, r.Contact, r.DisplayName, r.Email,
			timestampOf(r.Verified), timestampOf(r.Reconfirmed), r.Reconfirmation})
	}
	return t
}

func fillContact(row *ReportRow, c *v1alpha1.Contact) {
	row.DisplayName = c.Spec.DisplayName
	row.Email = c.Status.VerifiedEmail
	if row.Email == "" {
		row.Email = c.Spec.Email
	}
	if v := apimeta.FindStatusCondition(c.Status.Conditions, v1alpha1.EmailVerifiedCondition); v != nil && v.Status == metav1.ConditionTrue {
		at := v.LastTransitionTime
		row.Verified = &at
	}
	row.Reconfirmed = c.Status.ReconfirmedAt
	if v := apimeta.FindStatusCondition(c.Status.Conditions, v1alpha1.ReconfirmedCondition); v != nil {
		row.Reconfirmation = v.Reason
	}
}

func timestampOf(t *metav1.Time) string {
	if t == nil {
		return ""
	}
	return Timestamp(t.Time)
}

// age is how long ago t was, as kubectl writes ages.
func age(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return duration.HumanDuration(now.Sub(t))
}

func sortedOrgs(orgs []v1alpha1.Organization) []v1alpha1.Organization {
	out := slices.Clone(orgs)
	slices.SortStableFunc(out, func(a, b v1alpha1.Organization) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
