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
	"slices"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

// Parties are the contacts a ContactTransfer involves.
type Parties struct {
	// Approvers must each approve with their own token: spec.requestedBy, then spec.to, deduplicated.
	Approvers []string
	// Informed are told about the transfer but not asked: spec.from, when set and not an approver.
	Informed []string
}

// PartiesOf returns the parties of t.
func PartiesOf(t *v1alpha1.ContactTransfer) Parties {
	var p Parties
	for _, name := range []string{t.Spec.RequestedBy.Name, t.Spec.To.Name} {
		if name != "" && !slices.Contains(p.Approvers, name) {
			p.Approvers = append(p.Approvers, name)
		}
	}
	if from := t.Spec.From; from != nil && from.Name != "" && !slices.Contains(p.Approvers, from.Name) {
		p.Informed = append(p.Informed, from.Name)
	}
	return p
}

// IsSelfNomination reports whether t is a contact asking for a self-nomination role for itself.
func IsSelfNomination(t *v1alpha1.ContactTransfer, role roles.Role) bool {
	return role.SelfNomination && t.Spec.From == nil && t.Spec.RequestedBy.Name == t.Spec.To.Name
}

// IsReassignment reports whether t hands a disabled contact's role to the successor it names in
// spec.reassignTo ("disable and reassign"): the successor asks, and is the only party whose consent is
// needed; the disabled contact is told nothing.
func IsReassignment(t *v1alpha1.ContactTransfer, in roles.Input) bool {
	if t.Spec.From != nil || t.Spec.RequestedBy.Name != t.Spec.To.Name {
		return false
	}
	for _, c := range in.Contacts {
		if !c.Spec.Disabled || c.Spec.ReassignTo == nil || c.Spec.ReassignTo.Name != t.Spec.To.Name {
			continue
		}
		for _, ra := range in.Assignments {
			if ra.Spec.Role == t.Spec.Role && ra.Spec.Scope == t.Spec.Scope && ra.Spec.ContactRef.Name == c.Name {
				return true
			}
		}
	}
	return false
}

// PartiesFor returns the parties of t given its role and who holds what: a self-nomination is approved
// by the primary contact, and the nominee is told the outcome; any other transfer has PartiesOf(t).
func PartiesFor(t *v1alpha1.ContactTransfer, role roles.Role, e roles.Evaluation) Parties {
	if !IsSelfNomination(t, role) {
		return PartiesOf(t)
	}
	var p Parties
	if row, ok := e.Row(roles.Primary, ""); ok {
		p.Approvers = slices.Clone(row.Holders)
	}
	p.Informed = []string{t.Spec.To.Name}
	return p
}
