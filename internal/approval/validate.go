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

	"k8s.io/apimachinery/pkg/util/validation/field"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

// maxListed is how many names a message lists before counting the rest.
const maxListed = 20

// Validate checks a ContactTransfer against its organization's state: field errors name the field and
// say what to do. in is the state of the organization t names (in.Organization may be nil when it does
// not exist). Validate is pure; the admission webhook runs it on create and the controller before it
// sends tokens and again before the role moves.
//
// The rules: spec.role is in the catalogue and spec.scope valid for it; spec.from, when set, holds the
// role in that scope now, and when omitted the role has room for another holder; spec.to and
// spec.requestedBy are existing, enabled contacts of the organization, and spec.to does not hold the
// role in that scope yet; spec.requestedBy is spec.from (the current holder naming its successor) or
// holds one of the role's initiator roles in any scope (or asks for itself a self-nomination role), or is
// omitted; for a role that requires good standing, spec.from and spec.to are in good standing
// (CheckStanding).
func Validate(t *v1alpha1.ContactTransfer, in roles.Input) field.ErrorList {
	spec := field.NewPath("spec")
	orgPath := spec.Child("organizationRef", "name")
	org := in.Organization
	switch {
	case org == nil:
		e := field.NotFound(orgPath, t.Spec.OrganizationRef.Name)
		e.Detail = fmt.Sprintf("organization %q does not exist in namespace %q: create it, or name an existing Organization",
			t.Spec.OrganizationRef.Name, t.Namespace)
		return field.ErrorList{e}
	case t.Spec.OrganizationRef.Name != org.Name || !sameNamespace(t.Namespace, org.Namespace):
		return field.ErrorList{field.Invalid(orgPath, t.Spec.OrganizationRef.Name, fmt.Sprintf(
			"the transfer was checked against organization %s of namespace %q: name an Organization of the transfer's namespace",
			org.Name, org.Namespace))}
	}
	cat := in.Catalogue
	if cat == nil {
		cat = roles.BuiltInCatalogue()
		in.Catalogue = cat
	}
	contacts := make(map[string]*v1alpha1.Contact, len(in.Contacts))
	for i := range in.Contacts {
		if c := &in.Contacts[i]; sameNamespace(c.Namespace, org.Namespace) {
			contacts[c.Name] = c
		}
	}
	ev := roles.Evaluate(in)

	var errs field.ErrorList
	role, roleOK := cat.Get(t.Spec.Role)
	if !roleOK {
		e := field.NotFound(spec.Child("role"), t.Spec.Role)
		e.Detail = fmt.Sprintf("role %q is not in organization %s's catalogue: use one of %s, or define it in the Organization's spec.roles",
			t.Spec.Role, org.Name, joinCapped(cat.Names(), maxListed))
		errs = append(errs, e)
	}
	scope := t.Spec.Scope
	var row roles.Row
	haveRow := false
	if roleOK {
		if _, msg, ok := roles.CheckScope(role, org, scope); !ok {
			errs = append(errs, field.Invalid(spec.Child("scope"), scope, msg))
		} else {
			row, haveRow = ev.Row(role.Name, scope)
		}
	}
	what := describe(t.Spec.Role, scope)

	// spec.from: the current holder, or omitted when there is room for another holder.
	fromPath := spec.Child("from", "name")
	from := ""
	if t.Spec.From != nil {
		from = t.Spec.From.Name
	}
	switch {
	case !haveRow:
	case from != "" && !slices.Contains(row.Holders, from):
		msg := fmt.Sprintf("contact %q does not hold %s: name the current holder, or omit spec.from for a vacant role (%s)",
			from, what, holdersNote(row))
		if _, ok := contacts[from]; !ok {
			e := field.NotFound(fromPath, from)
			e.Detail = fmt.Sprintf("contact %q does not exist in namespace %q, so it does not hold %s: name the current holder, or omit spec.from for a vacant role (%s)",
				from, org.Namespace, what, holdersNote(row))
			errs = append(errs, e)
		} else {
			errs = append(errs, field.Invalid(fromPath, from, msg))
		}
	case from == "" && !role.Unbounded() && len(row.Holders) >= int(role.MaxHolders):
		if role.MaxHolders == 1 {
			errs = append(errs, field.Required(fromPath, fmt.Sprintf(
				"%s is held by %s: name the current holder in spec.from", what, joinCapped(row.Holders, maxListed))))
		} else {
			errs = append(errs, field.Required(fromPath, fmt.Sprintf(
				"%s is held by %s, the most it allows (%d): name the holder to replace in spec.from",
				what, joinCapped(row.Holders, maxListed), role.MaxHolders)))
		}
	}

	// spec.to: an enabled contact of the organization that does not hold the role yet.
	toPath := spec.Child("to", "name")
	to := t.Spec.To.Name
	if e := checkMember(toPath, to, "the contact who takes the role over", org, contacts); e != nil {
		errs = append(errs, e)
	} else if to == from {
		errs = append(errs, field.Invalid(toPath, to,
			"spec.to must differ from spec.from: a transfer moves a role to another contact"))
	} else if haveRow && slices.Contains(row.Holders, to) {
		errs = append(errs, field.Invalid(toPath, to, fmt.Sprintf(
			"contact %q already holds %s: name a contact that does not hold it yet", to, what)))
	}

	// spec.requestedBy, when named: an enabled contact of the organization allowed to start the change.
	reqPath := spec.Child("requestedBy", "name")
	if req := RequestedBy(t); req != "" {
		if e := checkMember(reqPath, req, "the contact who asks for the change", org, contacts); e != nil {
			errs = append(errs, e)
		} else if roleOK && req != from && !IsSelfNomination(t, role) && !holdsAny(ev.ContactRoles[req], role.Initiators, initiatorScope(role, scope)) {
			errs = append(errs, field.Forbidden(reqPath, fmt.Sprintf(
				"contact %q may not request a change of role %q: only %s may (or omit spec.requestedBy to let any of them approve)",
				req, role.Name, whoMayRequest(role))))
		}
	}
	if roleOK {
		errs = append(errs, CheckStanding(t, role, contacts)...)
	}
	return errs
}

// CheckStanding reports, for a role that requires good standing, which contact of the transfer (spec.from
// when set, spec.to) is not in good standing; an empty accountStanding counts as Good. Contacts absent
// from contacts (name to Contact) are not judged here. The controller runs it again when the transfer
// completes.
func CheckStanding(t *v1alpha1.ContactTransfer, role roles.Role, contacts map[string]*v1alpha1.Contact) field.ErrorList {
	if !role.RequiresGoodStanding {
		return nil
	}
	spec := field.NewPath("spec")
	var errs field.ErrorList
	check := func(path *field.Path, name string) {
		c := contacts[name]
		if c == nil || roles.InGoodStanding(c) {
			return
		}
		errs = append(errs, field.Forbidden(path, fmt.Sprintf(
			"contact %q has unpaid invoices (accountStanding %s): settle them before %s moves", name, c.Spec.AccountStanding, role.Name)))
	}
	if t.Spec.From != nil && t.Spec.From.Name != "" {
		check(spec.Child("from", "name"), t.Spec.From.Name)
	}
	check(spec.Child("to", "name"), t.Spec.To.Name)
	return errs
}

// checkMember checks that name is an existing, enabled contact of org; who says what the field is for.
func checkMember(path *field.Path, name, who string, org *v1alpha1.Organization, contacts map[string]*v1alpha1.Contact) *field.Error {
	if name == "" {
		return field.Required(path, "name "+who)
	}
	c, ok := contacts[name]
	switch {
	case !ok:
		e := field.NotFound(path, name)
		e.Detail = fmt.Sprintf("contact %q does not exist in namespace %q: create it, or name an existing contact of organization %s",
			name, org.Namespace, org.Name)
		return e
	case c.Spec.OrganizationRef.Name != org.Name:
		return field.Invalid(path, name, fmt.Sprintf("contact %q belongs to organization %s, not %s: name a contact of %s",
			name, c.Spec.OrganizationRef.Name, org.Name, org.Name))
	case c.Spec.Disabled:
		return field.Invalid(path, name, fmt.Sprintf("contact %q is disabled: name an enabled contact, or enable %s (spec.disabled: false)",
			name, name))
	}
	return nil
}

// holdsAny reports whether held includes one of the roles named: in any scope when scope is "", else
// unscoped or in that scope.
func holdsAny(held []v1alpha1.HeldRole, names []string, scope string) bool {
	for _, h := range held {
		if slices.Contains(names, h.Role) && (scope == "" || h.Scope == "" || h.Scope == scope) {
			return true
		}
	}
	return false
}

// initiatorScope is the scope initiators of role count in for a change in scope: that scope when the
// role's initiators count in scope only, else "" (any).
func initiatorScope(role roles.Role, scope string) string {
	if role.InitiatorsInScope {
		return scope
	}
	return ""
}

// whoMayRequest names who may start a change of role: "holders of primary, administrative or the current
// holder".
func whoMayRequest(role roles.Role) string {
	if len(role.Initiators) == 0 {
		return "the current holder"
	}
	return "holders of " + strings.Join(role.Initiators, ", ") + " or the current holder"
}

// describe names a role in a scope for a message: `role "billing"`, `role "technical" in scope "site-paris"`.
func describe(role, scope string) string {
	if scope == "" {
		return fmt.Sprintf("role %q", role)
	}
	return fmt.Sprintf("role %q in scope %q", role, scope)
}

// holdersNote says who holds a row now, for a message.
func holdersNote(row roles.Row) string {
	if len(row.Holders) == 0 {
		return "it is vacant now"
	}
	return "it is held by " + joinCapped(row.Holders, maxListed) + " now"
}

// joinCapped joins names with ", ", naming at most limit of them and counting the rest.
func joinCapped(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:limit], ", "), len(names)-limit)
}

// sameNamespace treats "" as any namespace, for objects built in memory (as package roles does).
func sameNamespace(a, b string) bool { return a == "" || b == "" || a == b }
