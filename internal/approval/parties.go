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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

// Parties are the contacts a ContactTransfer involves.
//
// The one rule: no contact becomes the holder of a role whose changes need approval without the approval
// of two different people, the incoming contact and one initiator other than it. The initiators are the
// requester when one is named (and is not the incoming contact); otherwise every holder of the role's
// initiator roles, the outgoing holder included; when nobody holds those, every holder of primary or
// administrative. The incoming contact alone suffices only when none of them exists.
type Parties struct {
	// Incoming is spec.to: its approval is always needed.
	Incoming string
	// Initiators may each approve for the second party; one approval among them is enough, and a
	// refusal by any of them refuses. Empty when nobody but the incoming contact can approve.
	Initiators []string
	// Informed are told about the transfer but not asked: spec.from when it is not an approver.
	Informed []string
}

// Approvers lists every contact asked to decide: the incoming contact, then the initiators.
func (p Parties) Approvers() []string {
	out := make([]string, 0, 1+len(p.Initiators))
	if p.Incoming != "" {
		out = append(out, p.Incoming)
	}
	return append(out, p.Initiators...)
}

// Everyone lists the approvers and the informed contacts.
func (p Parties) Everyone() []string { return append(p.Approvers(), p.Informed...) }

// PartiesFor returns the parties of t, given its role and who holds what now (e).
func PartiesFor(t *v1alpha1.ContactTransfer, role roles.Role, e roles.Evaluation) Parties {
	to, from := t.Spec.To.Name, From(t)
	p := Parties{Incoming: to}
	if req := RequestedBy(t); req != "" && req != to {
		p.Initiators = []string{req}
	} else {
		pool := holdersIn(e, role.Initiators, initiatorScope(role, t.Spec.Scope))
		if from != "" {
			pool = append(pool, from)
		}
		p.Initiators = without(pool, to)
		if len(p.Initiators) == 0 {
			p.Initiators = without(e.HoldersOf(roles.Primary, roles.Administrative), to)
		}
	}
	if len(p.Initiators) == 0 {
		p.Initiators = nil
	}
	if len(p.Initiators) > v1alpha1.MaxApprovers-1 {
		p.Initiators = p.Initiators[:v1alpha1.MaxApprovers-1]
	}
	if from != "" && from != to && !slices.Contains(p.Initiators, from) {
		p.Informed = []string{from}
	}
	return p
}

// holdersIn lists, sorted and once each, the holders of the named roles: in every scope when scope is
// "", else of unscoped roles and in that scope only.
func holdersIn(e roles.Evaluation, names []string, scope string) []string {
	var out []string
	for _, row := range e.Rows {
		if slices.Contains(names, row.Role) && (scope == "" || row.Scope == "" || row.Scope == scope) {
			out = append(out, row.Holders...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// without returns names, sorted and once each, without drop.
func without(names []string, drop string) []string {
	out := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == drop || n == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// From is the name of spec.from, "" when the role is vacant.
func From(t *v1alpha1.ContactTransfer) string {
	if t.Spec.From == nil {
		return ""
	}
	return t.Spec.From.Name
}

// RequestedBy is the name of spec.requestedBy, "" when none is named.
func RequestedBy(t *v1alpha1.ContactTransfer) string {
	if t.Spec.RequestedBy == nil {
		return ""
	}
	return t.Spec.RequestedBy.Name
}

// OpenedFor is the UID of the RoleAssignment the operator opened t for, "" when a user made t: its
// roster.dev/opened-for-uid annotation, or a RoleAssignment controller reference (what older versions
// set). Only the operator may write either (see the ContactTransfer webhook).
func OpenedFor(t *v1alpha1.ContactTransfer) string {
	if uid := t.Annotations[v1alpha1.OpenedForUIDAnnotation]; uid != "" {
		return uid
	}
	return ControllingAssignment(t)
}

// ControllingAssignment is the UID of the RoleAssignment that is t's controller, "" when none is.
func ControllingAssignment(t *v1alpha1.ContactTransfer) string {
	if owner := metav1.GetControllerOf(t); owner != nil && owner.Kind == "RoleAssignment" {
		return string(owner.UID)
	}
	return ""
}

// IsSelfNomination reports whether t is a contact asking for a self-nomination role for itself.
func IsSelfNomination(t *v1alpha1.ContactTransfer, role roles.Role) bool {
	return role.SelfNomination && t.Spec.From == nil && RequestedBy(t) == t.Spec.To.Name
}
