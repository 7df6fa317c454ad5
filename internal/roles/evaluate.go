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

package roles

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

// maxNamed is how many holders a Conflict message names before counting the rest.
const maxNamed = 5

// Input is what Evaluate needs to know about one organization.
type Input struct {
	// Organization must be non-nil.
	Organization *v1alpha1.Organization
	// Catalogue is the organization's catalogue; nil means BuiltInCatalogue().
	Catalogue *Catalogue
	// Contacts of the organization's namespace. Contacts of other namespaces are ignored; contacts of
	// other organizations are reported as such when an assignment names them.
	Contacts []v1alpha1.Contact
	// Assignments that reference the organization. Others (other organization or namespace) are
	// ignored and get no result.
	Assignments []v1alpha1.RoleAssignment
	// Transfers of the organization. An approved one lets an assignment of a role whose changes need
	// approval move from its current holder to spec.contactRef.
	Transfers []v1alpha1.ContactTransfer
	// Now is the time assignments' spec.validUntil is judged at; the zero time means time.Now().
	Now time.Time
}

// AssignmentResult is the verdict on one RoleAssignment.
type AssignmentResult struct {
	// Effective is true when the assignment gives its contact the role.
	Effective bool
	// Holder is the contact holding the role through the assignment, when Effective.
	Holder string
	// Reason is v1alpha1.ReconciledReason when Effective, else the reason it is not: UnknownRole,
	// ScopeRequired, ScopeNotAllowed, ContactNotFound, ContactOfOtherOrganization, ContactDisabled,
	// Duplicate, Conflict, or AwaitingApproval for a first holder that waits for its approvals.
	Reason string
	// Message is a sentence naming the field at fault and what to do.
	Message string
	// Pending is the contact a change of holder waits for (spec.contactRef), when the role's changes need
	// approval and no approved ContactTransfer allows it yet; Holder stays the current holder meanwhile.
	Pending string
	// Grant says how Holder got the role; Transfer names the ContactTransfer when Grant is Transfer.
	Grant    v1alpha1.Grant
	Transfer string
	// HolderUID is the UID of Holder's Contact.
	HolderUID string
	// Successor is set when Holder is disabled and keeps the role only until its reassignment to the
	// successor (its spec.reassignTo) is approved.
	Successor string
}

// Row is one (role, scope) of the catalogue and who holds it.
type Row struct {
	Role  string
	Scope string
	// Holders are the contact names holding the role in the scope, sorted.
	Holders []string
	// Assignments are the names of the effective assignments behind Holders, sorted.
	Assignments []string
	// Required is true when the role needs at least one holder in this scope (the role's minHolders,
	// adjusted by the scope's requiredRoles and exemptRoles).
	Required bool
	// Recommended is true when the role is recommended and not required here: a vacancy is informative.
	Recommended bool
	// Satisfied is true when the holder count is within [MinHolders, MaxHolders] (MaxHolders 0 =
	// unbounded).
	Satisfied bool
	// MinHolders and MaxHolders are the role's bounds.
	MinHolders, MaxHolders int32
}

// Evaluation is who holds what in an organization, and why each assignment is or is not in effect.
type Evaluation struct {
	// Rows has one row per (role, scope): catalogue order, then scope order.
	Rows []Row
	// Assignments holds a result per assignment name, for every assignment not being deleted.
	Assignments map[string]AssignmentResult
	// ContactRoles lists, per contact name, the roles held through effective assignments, sorted by
	// role then scope. Contacts that hold nothing are absent.
	ContactRoles map[string][]v1alpha1.HeldRole

	rowIndex map[slot]int
}

// slot is a (role, scope) pair.
type slot struct{ role, scope string }

// claim is a contact wanting a slot.
type claim struct {
	slot
	contact string
}

// holding is a contact holding a slot through an assignment.
type holding struct{ contact, assignment string }

// DefaultInitialRosterWindow is the initial roster window of an organization that sets none.
const DefaultInitialRosterWindow = 10 * time.Minute

// InInitialRoster reports whether ra belongs to org's initial roster: created within
// spec.approval.initialRosterWindow of the organization's creationTimestamp (or before it), and never
// edited since (metadata.generation 1, or 0 before creation). Both timestamps are set by the apiserver.
func InInitialRoster(ra *v1alpha1.RoleAssignment, org *v1alpha1.Organization) bool {
	window := DefaultInitialRosterWindow
	if w := org.Spec.Approval.InitialRosterWindow; w != nil {
		window = w.Duration
	}
	if window <= 0 || ra.Generation > 1 || ra.CreationTimestamp.IsZero() {
		return false
	}
	return !ra.CreationTimestamp.After(org.CreationTimestamp.Add(window))
}

// PastInitialRoster reports whether org's initial roster window is over at now: from then on every
// weakening of its approvals needs the verb approve.
func PastInitialRoster(org *v1alpha1.Organization, now time.Time) bool {
	window := DefaultInitialRosterWindow
	if w := org.Spec.Approval.InitialRosterWindow; w != nil {
		window = w.Duration
	}
	return !org.CreationTimestamp.IsZero() && now.After(org.CreationTimestamp.Add(window))
}

// Ended reports whether ra's spec.validUntil has passed at now.
func Ended(ra *v1alpha1.RoleAssignment, now time.Time) bool {
	return ra.Spec.ValidUntil != nil && !now.Before(ra.Spec.ValidUntil.Time)
}

// EndedResult is the verdict on an assignment whose spec.validUntil has passed.
func EndedResult(ra *v1alpha1.RoleAssignment) AssignmentResult {
	return AssignmentResult{Reason: v1alpha1.ExpiredReason, Message: fmt.Sprintf(
		"spec.validUntil (%s) has passed: the assignment holds nothing; set a later spec.validUntil for it to take effect again, or delete it",
		ra.Spec.ValidUntil.UTC().Format(time.RFC3339))}
}

// Gated reports whether a change to a new holder of role needs approval, when current holds it now ("" for
// nobody): always for a two-party role; for a self-nomination role, when it has no holder yet.
func (r Role) Gated(current string) bool {
	return r.NeedsApproval() || (r.SelfNomination && current == "")
}

// grantOf returns the contact the assignment gives the role to now, the contact a change of holder
// waits for, and how the holder got the role. A role whose changes need approval keeps its current holder
// (status.holder) until a ContactTransfer approved for this very assignment (bound to its UID) moves it to
// spec.contactRef; only the initial roster takes spec.contactRef at once.
func grantOf(ra *v1alpha1.RoleAssignment, role *Role, org *v1alpha1.Organization, contacts map[string]*v1alpha1.Contact,
	transfers []v1alpha1.ContactTransfer) (holder, pending string, grant v1alpha1.Grant, transfer string) {
	want, have := ra.Spec.ContactRef.Name, ra.Status.Holder
	if c, ok := contacts[have]; have != "" && ra.Status.HolderUID != "" && (!ok || string(c.UID) != ra.Status.HolderUID) {
		have = "" // the holder's Contact is gone, or was created again: whoever has the name now is new
	}
	switch {
	case have != "" && have == want && ra.Status.Grant != "":
		return want, "", ra.Status.Grant, ra.Status.Transfer
	case !role.Gated(have):
		return want, "", v1alpha1.GrantDirect, ""
	case have == want:
		return want, "", ra.Status.Grant, ra.Status.Transfer
	case have == "" && ra.Status.Grant == "" && InInitialRoster(ra, org):
		// Only a first holder: an assignment that had one takes no shortcut.
		return want, "", v1alpha1.GrantInitialRoster, ""
	}
	for i := range transfers {
		if Approves(&transfers[i], ra, role, contacts) {
			return want, "", v1alpha1.GrantTransfer, transfers[i].Name
		}
	}
	return have, want, ra.Status.Grant, ra.Status.Transfer
}

// Approves reports whether t lets ra's holder change now: t is approved and not settled, it was bound to
// this very assignment (its UID) when its move started, it moves the role from ra's holder to
// spec.contactRef, and, for a role that requires good standing, both contacts are in good standing now.
func Approves(t *v1alpha1.ContactTransfer, ra *v1alpha1.RoleAssignment, role *Role, contacts map[string]*v1alpha1.Contact) bool {
	from := ""
	if t.Spec.From != nil {
		from = t.Spec.From.Name
	}
	conds := t.Status.Conditions
	if t.DeletionTimestamp != nil || t.Status.Assignment == nil || t.Status.Assignment.UID != string(ra.UID) ||
		t.Spec.Role != ra.Spec.Role || t.Spec.Scope != ra.Spec.Scope ||
		from != ra.Status.Holder || t.Spec.To.Name != ra.Spec.ContactRef.Name ||
		!meta.IsStatusConditionTrue(conds, v1alpha1.ApprovedCondition) ||
		meta.IsStatusConditionTrue(conds, v1alpha1.CompletedCondition) ||
		meta.IsStatusConditionTrue(conds, v1alpha1.RefusedCondition) ||
		meta.IsStatusConditionTrue(conds, v1alpha1.ExpiredCondition) {
		return false
	}
	if role.RequiresGoodStanding {
		for _, name := range []string{from, t.Spec.To.Name} {
			if c, ok := contacts[name]; ok && !InGoodStanding(c) {
				return false
			}
		}
	}
	return true
}

// InGoodStanding reports whether c may take part in a change of a role that requires good standing; an
// empty accountStanding counts as Good.
func InGoodStanding(c *v1alpha1.Contact) bool {
	s := c.Spec.AccountStanding
	return s == "" || s == v1alpha1.AccountStandingGood
}

// Evaluate decides which assignments of in.Organization are in effect and who holds each (role, scope).
// Assignments being deleted are ignored. The others are judged oldest first (creationTimestamp, then
// name; an assignment without creationTimestamp, not yet created, counts as the newest), so that among
// valid assignments of a (role, scope) the oldest take its MaxHolders places and the rest are in
// Conflict.
func Evaluate(in Input) Evaluation {
	org := in.Organization
	cat := in.Catalogue
	if cat == nil {
		cat = builtInCatalogue
	}

	scopeSet := make(map[string]bool, len(org.Spec.Scopes))
	for _, s := range org.Spec.Scopes {
		scopeSet[s.Name] = true
	}
	contacts := make(map[string]*v1alpha1.Contact, len(in.Contacts))
	for i := range in.Contacts {
		c := &in.Contacts[i]
		if sameNamespace(c.Namespace, org.Namespace) {
			contacts[c.Name] = c
		}
	}
	ras := make([]*v1alpha1.RoleAssignment, 0, len(in.Assignments))
	for i := range in.Assignments {
		ra := &in.Assignments[i]
		if ra.DeletionTimestamp == nil && ra.Spec.OrganizationRef.Name == org.Name &&
			sameNamespace(ra.Namespace, org.Namespace) {
			ras = append(ras, ra)
		}
	}
	slices.SortFunc(ras, func(a, b *v1alpha1.RoleAssignment) int { return OlderFirst(a, b) })

	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	results := make(map[string]AssignmentResult, len(ras))
	held := make(map[slot][]holding)
	claimed := make(map[claim]string, len(ras))
	for _, ra := range ras {
		if Ended(ra, now) {
			results[ra.Name] = EndedResult(ra)
			continue
		}
		results[ra.Name] = judge(ra, org, cat, scopeSet, contacts, held, claimed, in.Transfers)
	}

	ev := Evaluation{
		Assignments:  results,
		ContactRoles: make(map[string][]v1alpha1.HeldRole),
		rowIndex:     make(map[slot]int),
	}
	scopeNeeds := make(map[string]v1alpha1.Scope, len(org.Spec.Scopes))
	for _, sc := range org.Spec.Scopes {
		scopeNeeds[sc.Name] = sc
	}
	for i := range cat.roles {
		r := &cat.roles[i]
		for _, scope := range ScopesOf(*r, org) {
			hs := held[slot{r.Name, scope}]
			minHolders := r.MinHolders
			if sc, ok := scopeNeeds[scope]; ok && r.Scoped {
				switch {
				case slices.Contains(sc.ExemptRoles, r.Name):
					minHolders = 0
				case slices.Contains(sc.RequiredRoles, r.Name):
					minHolders = max(minHolders, 1)
				}
			}
			row := Row{
				Role: r.Name, Scope: scope,
				Holders:     make([]string, len(hs)),
				Assignments: make([]string, len(hs)),
				Required:    minHolders > 0,
				Recommended: r.Recommended && minHolders == 0,
				MinHolders:  minHolders, MaxHolders: r.MaxHolders,
			}
			for k, h := range hs {
				row.Holders[k], row.Assignments[k] = h.contact, h.assignment
				ev.ContactRoles[h.contact] = append(ev.ContactRoles[h.contact], v1alpha1.HeldRole{Role: r.Name, Scope: scope})
			}
			slices.Sort(row.Holders)
			slices.Sort(row.Assignments)
			n := int32(len(hs))
			row.Satisfied = n >= minHolders && (r.MaxHolders == 0 || n <= r.MaxHolders)
			ev.rowIndex[slot{r.Name, scope}] = len(ev.Rows)
			ev.Rows = append(ev.Rows, row)
		}
	}
	for _, hr := range ev.ContactRoles {
		slices.SortFunc(hr, func(a, b v1alpha1.HeldRole) int {
			if c := strings.Compare(a.Role, b.Role); c != 0 {
				return c
			}
			return strings.Compare(a.Scope, b.Scope)
		})
	}
	return ev
}

// judge decides one assignment, recording it in held and claimed when it is valid.
func judge(ra *v1alpha1.RoleAssignment, org *v1alpha1.Organization, cat *Catalogue, scopeSet map[string]bool,
	contacts map[string]*v1alpha1.Contact, held map[slot][]holding, claimed map[claim]string,
	transfers []v1alpha1.ContactTransfer) AssignmentResult {
	notEffective := func(reason, message string) AssignmentResult {
		return AssignmentResult{Reason: reason, Message: message}
	}
	role, ok := cat.lookup(ra.Spec.Role)
	if !ok {
		return notEffective(v1alpha1.UnknownRoleReason, fmt.Sprintf(
			"spec.role %q is not in organization %s's catalogue: use one of %s, or define it in the Organization's spec.roles",
			ra.Spec.Role, org.Name, joinCapped(cat.Names(), 20)))
	}
	scope := ra.Spec.Scope
	if reason, message, ok := checkScope(role, org, scope, scopeSet[scope]); !ok {
		return notEffective(reason, message)
	}

	holder, pending, grant, via := grantOf(ra, role, org, contacts, transfers)
	// A first holder waiting for approval holds nothing yet: check the nominee instead.
	name := holder
	if name == "" {
		name = pending
	}
	c, ok := contacts[name]
	successor := ""
	switch {
	case !ok:
		return notEffective(v1alpha1.ContactNotFoundReason, fmt.Sprintf(
			"contact %q does not exist in namespace %q: create it, or set spec.contactRef.name to an existing contact of organization %s",
			name, org.Namespace, org.Name))
	case c.Spec.OrganizationRef.Name != org.Name:
		return notEffective(v1alpha1.ContactOfOtherOrganizationReason, fmt.Sprintf(
			"contact %q belongs to organization %s, not %s: set spec.contactRef.name to a contact of %s",
			name, c.Spec.OrganizationRef.Name, org.Name, org.Name))
	case c.Spec.Disabled && c.Spec.ReassignTo != nil && holder != "" && role.NeedsApproval():
		// Disable and reassign: the holder keeps the role until the move to its successor is approved,
		// so that the role is never vacant and the move needs its approval like any other.
		successor = c.Spec.ReassignTo.Name
	case c.Spec.Disabled:
		return notEffective(v1alpha1.ContactDisabledReason, fmt.Sprintf(
			"contact %q is disabled: set spec.contactRef.name to an enabled contact, or enable %s (spec.disabled: false)",
			name, name))
	}
	s := slot{role.Name, scope}
	if holder == "" {
		if role.MaxHolders != 0 && len(held[s]) >= int(role.MaxHolders) {
			return notEffective(v1alpha1.ConflictReason, conflictMessage(role, scope, held[s]))
		}
		return AssignmentResult{Reason: v1alpha1.AwaitingApprovalReason, Pending: pending, Message: fmt.Sprintf(
			"%s gets role %q once the change is approved", pending, role.Name)}
	}

	cl := claim{s, name}
	if older, dup := claimed[cl]; dup {
		return notEffective(v1alpha1.DuplicateReason, fmt.Sprintf(
			"contact %s is already assigned role %q in scope %q by assignment %s (older): delete this duplicate assignment",
			name, role.Name, scope, older))
	}
	claimed[cl] = ra.Name

	hs := held[s]
	if role.MaxHolders != 0 && len(hs) >= int(role.MaxHolders) {
		return notEffective(v1alpha1.ConflictReason, conflictMessage(role, scope, hs))
	}
	held[s] = append(hs, holding{contact: name, assignment: ra.Name})
	msg := fmt.Sprintf("contact %s holds role %q", name, role.Name)
	if scope != "" {
		msg += fmt.Sprintf(" in scope %q", scope)
	}
	return AssignmentResult{Effective: true, Holder: name, HolderUID: string(c.UID), Reason: v1alpha1.ReconciledReason,
		Message: msg, Pending: pending, Grant: grant, Transfer: via, Successor: successor}
}

// conflictMessage explains that the slot is full and names its holders, oldest first.
func conflictMessage(role *Role, scope string, hs []holding) string {
	if role.MaxHolders == 1 {
		h := hs[0]
		return fmt.Sprintf(
			"role %q allows at most 1 holder in scope %q and it is held by %s (assignment %s, older): to change the holder, use a ContactTransfer or edit spec.contactRef of %s instead of adding an assignment",
			role.Name, scope, h.contact, h.assignment, h.assignment)
	}
	named := make([]string, 0, min(len(hs), maxNamed))
	for _, h := range hs[:min(len(hs), maxNamed)] {
		named = append(named, fmt.Sprintf("%s (assignment %s)", h.contact, h.assignment))
	}
	list := strings.Join(named, ", ")
	if len(hs) > maxNamed {
		list += fmt.Sprintf(" and %d more", len(hs)-maxNamed)
	}
	return fmt.Sprintf(
		"role %q allows at most %d holders in scope %q and they are held by %s, all older: free a place first (delete one of theirs), or raise maxHolders for %s in the Organization's spec.roles",
		role.Name, role.MaxHolders, scope, list, role.Name)
}

// OlderFirst orders objects as the rules settle races: by creationTimestamp, then name; those without a
// creationTimestamp (not yet created, as in admission) come last.
func OlderFirst(a, b metav1.Object) int {
	at, bt := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	az, bz := at.IsZero(), bt.IsZero()
	switch {
	case az && !bz:
		return 1
	case !az && bz:
		return -1
	}
	if c := at.Compare(bt.Time); c != 0 {
		return c
	}
	return strings.Compare(a.GetName(), b.GetName())
}

// sameNamespace treats "" as any namespace, for objects built in memory.
func sameNamespace(a, b string) bool { return a == "" || b == "" || a == b }

// Vacant returns the rows of required roles with fewer holders than MinHolders.
func (e Evaluation) Vacant() []Row {
	var out []Row
	for _, r := range e.Rows {
		if r.Required && int32(len(r.Holders)) < r.MinHolders {
			out = append(out, r)
		}
	}
	return out
}

// HoldersOf lists, once each and in row order, the holders of the named roles in every scope.
func (e Evaluation) HoldersOf(names ...string) []string {
	var out []string
	for _, row := range e.Rows {
		if !slices.Contains(names, row.Role) {
			continue
		}
		for _, h := range row.Holders {
			if !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

// RecommendedVacant returns the rows of recommended roles without a holder.
func (e Evaluation) RecommendedVacant() []Row {
	var out []Row
	for _, r := range e.Rows {
		if r.Recommended && len(r.Holders) == 0 {
			out = append(out, r)
		}
	}
	return out
}

// Row returns the row of (role, scope).
func (e Evaluation) Row(role, scope string) (Row, bool) {
	if e.rowIndex != nil {
		i, ok := e.rowIndex[slot{role, scope}]
		if !ok {
			return Row{}, false
		}
		return e.Rows[i], true
	}
	for _, r := range e.Rows {
		if r.Role == role && r.Scope == scope {
			return r, true
		}
	}
	return Row{}, false
}

// WithAssignment returns in with candidate replacing the assignment of the same name, or added when
// there is none; in.Assignments is not modified. Evaluate(WithAssignment(in, c)) is what admitting a
// create or update of c would lead to.
func WithAssignment(in Input, candidate v1alpha1.RoleAssignment) Input {
	out := make([]v1alpha1.RoleAssignment, 0, len(in.Assignments)+1)
	replaced := false
	for _, ra := range in.Assignments {
		if ra.Name == candidate.Name {
			ra, replaced = candidate, true
		}
		out = append(out, ra)
	}
	if !replaced {
		out = append(out, candidate)
	}
	in.Assignments = out
	return in
}

// WithoutAssignment returns in without the assignment called name; in.Assignments is not modified.
// Evaluate(WithoutAssignment(in, n)) is what admitting the deletion of n would lead to.
func WithoutAssignment(in Input, name string) Input {
	out := make([]v1alpha1.RoleAssignment, 0, len(in.Assignments))
	for _, ra := range in.Assignments {
		if ra.Name != name {
			out = append(out, ra)
		}
	}
	in.Assignments = out
	return in
}
