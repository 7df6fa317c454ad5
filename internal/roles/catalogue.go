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

// Package roles holds the role catalogue of an Organization and the evaluation of who holds which role.
// It is pure: no client, no I/O. Controllers and admission webhooks share it so that they agree on
// every decision.
package roles

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"roster.dev/roster/api/v1alpha1"
)

// Names of the built-in roles.
const (
	Primary            = "primary"
	Administrative     = "administrative"
	Technical          = "technical"
	TechnicalSecondary = "technical-secondary"
	Billing            = "billing"
	Renewal            = "renewal"
	Shipping           = "shipping"
	UnpaidInvoices     = "unpaid-invoices"
	NewQuotes          = "new-quotes"
	SecurityUpdates    = "security-updates"
	DataProtection     = "data-protection"
	// SiteUser is IBM Passport Advantage's site user: any number per site, by self-nomination, approved by
	// the site's technical contact.
	SiteUser = "site-user"
)

// Role is one entry of an organization's effective catalogue.
type Role struct {
	// Name of the role.
	Name string
	// MinHolders is how many holders each scope needs; above 0 the role is required.
	MinHolders int32
	// MaxHolders is the most holders each scope may have; 0 means unbounded.
	MaxHolders int32
	// Scoped roles are held per scope of the organization rather than once.
	Scoped bool
	// Approval is what a change of holder needs.
	Approval v1alpha1.RoleApproval
	// Initiators are the roles whose holders may start a change of holder.
	Initiators []string
	// RequiresGoodStanding makes a change of holder need both contacts in good standing.
	RequiresGoodStanding bool
	// NotificationOnly roles grant no access; their holders only receive notices.
	NotificationOnly bool
	// SelfNomination makes a new holder wait for the nominee's consent and an initiator's approval.
	SelfNomination bool
	// InitiatorsInScope makes the holders of a scoped initiator role count only in the scope of a change.
	InitiatorsInScope bool
	// Recommended roles should have a holder; a vacancy is informative only.
	Recommended bool
}

// Required reports whether the role needs at least one holder per scope.
func (r Role) Required() bool { return r.MinHolders > 0 }

// NeedsApproval reports whether a change of holder needs two-party approval.
func (r Role) NeedsApproval() bool { return r.Approval == v1alpha1.RoleApprovalTwoParty }

// Unbounded reports whether the role accepts any number of holders per scope.
func (r Role) Unbounded() bool { return r.MaxHolders == 0 }

func (r Role) clone() Role {
	r.Initiators = slices.Clone(r.Initiators)
	return r
}

// defaultInitiators are the initiators of every built-in role and of new roles that name none.
func defaultInitiators() []string { return []string{Primary, Administrative} }

// BuiltIn returns the built-in roles in the order of the design's table. Each call returns a new slice.
func BuiltIn() []Role {
	role := func(name string, minH, maxH int32, scoped bool, approval v1alpha1.RoleApproval) Role {
		return Role{
			Name: name, MinHolders: minH, MaxHolders: maxH, Scoped: scoped,
			Approval: approval, Initiators: defaultInitiators(),
		}
	}
	two, none := v1alpha1.RoleApprovalTwoParty, v1alpha1.RoleApprovalNone
	billing := role(Billing, 0, 1, false, two)
	billing.RequiresGoodStanding = true
	out := []Role{
		role(Primary, 1, 1, false, two),
		role(Administrative, 0, 1, false, two),
		role(Technical, 1, 1, true, two),
		role(TechnicalSecondary, 0, 4, true, none),
		billing,
		role(Renewal, 0, 1, false, none),
		role(Shipping, 0, 1, false, none),
	}
	for _, name := range []string{UnpaidInvoices, NewQuotes, SecurityUpdates, DataProtection} {
		r := role(name, 0, 0, false, none)
		r.NotificationOnly = true
		out = append(out, r)
	}
	siteUser := role(SiteUser, 0, 0, true, none)
	siteUser.SelfNomination, siteUser.InitiatorsInScope, siteUser.Initiators = true, true, []string{Technical}
	return append(out, siteUser)
}

// Catalogue is an organization's effective set of roles: the built-in roles in table order (with the
// organization's overrides applied), then the roles it adds, sorted by name. It is immutable.
type Catalogue struct {
	roles []Role
	index map[string]int
}

var builtInCatalogue = func() *Catalogue {
	c, errs := NewCatalogue(nil)
	if len(errs) > 0 {
		panic(errs.ToAggregate())
	}
	return c
}()

// BuiltInCatalogue returns the catalogue of an organization without spec.roles.
func BuiltInCatalogue() *Catalogue { return builtInCatalogue }

// NewCatalogue merges defs (an Organization's spec.roles) into the built-in roles and validates the
// result. An entry naming a built-in role overrides only the fields it sets; a new role takes the
// defaults documented on v1alpha1.RoleDefinition. Errors have paths under spec.roles[i]; the catalogue
// is nil whenever the list is not empty.
func NewCatalogue(defs []v1alpha1.RoleDefinition) (*Catalogue, field.ErrorList) {
	rolesPath := field.NewPath("spec", "roles")
	builtIn := BuiltIn()
	roles := make([]Role, 0, len(builtIn)+len(defs))
	roles = append(roles, builtIn...)
	index := make(map[string]int, len(builtIn)+len(defs))
	for i, r := range builtIn {
		index[r.Name] = i
	}

	// All names the merged catalogue will have, to check initiators against.
	known := make(map[string]bool, len(builtIn)+len(defs))
	for _, r := range builtIn {
		known[r.Name] = true
	}
	for _, d := range defs {
		known[d.Name] = true
	}

	var errs field.ErrorList
	seen := make(map[string]int, len(defs))
	var added []Role
	for i, d := range defs {
		p := rolesPath.Index(i)
		if d.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), "set the role's name, e.g. billing or security-updates"))
			continue
		}
		if msgs := validation.IsDNS1123Label(d.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("name"), d.Name,
				"use lower-case letters, digits and '-', at most 63 characters: "+strings.Join(msgs, "; ")))
			continue
		}
		if first, dup := seen[d.Name]; dup {
			e := field.Duplicate(p.Child("name"), d.Name)
			e.Detail = fmt.Sprintf("spec.roles[%d] already defines this role: merge the two entries into one", first)
			errs = append(errs, e)
			continue
		}
		seen[d.Name] = i

		r, isBuiltIn := Role{}, false
		if j, ok := index[d.Name]; ok {
			r, isBuiltIn = roles[j], true
		} else {
			r = Role{Name: d.Name, Approval: v1alpha1.RoleApprovalNone, Initiators: defaultInitiators()}
		}
		errs = append(errs, apply(&r, d, p, known)...)
		if isBuiltIn {
			roles[index[d.Name]] = r
		} else {
			added = append(added, r)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}

	slices.SortFunc(added, func(a, b Role) int { return strings.Compare(a.Name, b.Name) })
	for _, r := range added {
		index[r.Name] = len(roles)
		roles = append(roles, r)
	}
	return &Catalogue{roles: roles, index: index}, nil
}

// apply sets on r the fields d sets, and validates the result.
func apply(r *Role, d v1alpha1.RoleDefinition, p *field.Path, known map[string]bool) field.ErrorList {
	var errs field.ErrorList
	if d.MinHolders != nil {
		r.MinHolders = *d.MinHolders
		if r.MinHolders < 0 {
			errs = append(errs, field.Invalid(p.Child("minHolders"), r.MinHolders, "set minHolders to 0 or more"))
		}
	}
	if d.MaxHolders != nil {
		r.MaxHolders = *d.MaxHolders
		if r.MaxHolders < 0 {
			errs = append(errs, field.Invalid(p.Child("maxHolders"), r.MaxHolders, "set maxHolders to 0 (unbounded) or more"))
		}
	}
	if r.MaxHolders > 0 && r.MinHolders > r.MaxHolders {
		// Blame the field the entry sets; when it sets both, minHolders.
		if d.MinHolders != nil {
			errs = append(errs, field.Invalid(p.Child("minHolders"), r.MinHolders, fmt.Sprintf(
				"role %s allows at most %d holders: lower minHolders to %d or less, or raise maxHolders (0 means unbounded)",
				r.Name, r.MaxHolders, r.MaxHolders)))
		} else {
			errs = append(errs, field.Invalid(p.Child("maxHolders"), r.MaxHolders, fmt.Sprintf(
				"role %s needs at least %d holders: raise maxHolders to %d or more (0 means unbounded), or lower minHolders",
				r.Name, r.MinHolders, r.MinHolders)))
		}
	}
	if d.Scoped != nil {
		r.Scoped = *d.Scoped
	}
	switch d.Approval {
	case "":
	case v1alpha1.RoleApprovalNone, v1alpha1.RoleApprovalTwoParty:
		r.Approval = d.Approval
	default:
		errs = append(errs, field.NotSupported(p.Child("approval"), d.Approval,
			[]v1alpha1.RoleApproval{v1alpha1.RoleApprovalNone, v1alpha1.RoleApprovalTwoParty}))
	}
	if len(d.Initiators) > 0 {
		r.Initiators = slices.Clone(d.Initiators)
		for k, name := range d.Initiators {
			if !known[name] {
				e := field.NotFound(p.Child("initiators").Index(k), name)
				e.Detail = fmt.Sprintf("role %q is not in the catalogue: name a built-in role (e.g. primary, administrative) or one defined in spec.roles", name)
				errs = append(errs, e)
			}
		}
	}
	if d.RequiresGoodStanding != nil {
		r.RequiresGoodStanding = *d.RequiresGoodStanding
	}
	if d.NotificationOnly != nil {
		r.NotificationOnly = *d.NotificationOnly
	}
	if d.SelfNomination != nil {
		r.SelfNomination = *d.SelfNomination
	}
	if d.InitiatorsInScope != nil {
		r.InitiatorsInScope = *d.InitiatorsInScope
	}
	if d.Recommended != nil {
		r.Recommended = *d.Recommended
	}
	return errs
}

// Get returns the role called name.
func (c *Catalogue) Get(name string) (Role, bool) {
	i, ok := c.index[name]
	if !ok {
		return Role{}, false
	}
	return c.roles[i].clone(), true
}

// lookup is Get without the copy, for callers of this package that do not modify the role.
func (c *Catalogue) lookup(name string) (*Role, bool) {
	i, ok := c.index[name]
	if !ok {
		return nil, false
	}
	return &c.roles[i], true
}

// Roles returns a copy of the roles in catalogue order.
func (c *Catalogue) Roles() []Role {
	out := make([]Role, len(c.roles))
	for i, r := range c.roles {
		out[i] = r.clone()
	}
	return out
}

// Names returns the role names in catalogue order.
func (c *Catalogue) Names() []string {
	out := make([]string, len(c.roles))
	for i, r := range c.roles {
		out[i] = r.Name
	}
	return out
}
