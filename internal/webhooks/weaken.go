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

package webhooks

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/roles"
)

// weakening is one change to a role's definition that lets its holder change with less consent than
// before.
type weakening struct {
	// role is the name of the role weakened.
	role string
	// field is the path of the role's field, as spec.roles[<name>].<field>.
	field *field.Path
	// change says what changed, e.g. "approval from TwoParty to None".
	change string
}

// weakenings compares each role of the old catalogue with the role of the same name in the new one and
// returns the changes that weaken it, in catalogue order:
//   - approval from TwoParty to None;
//   - a different initiators list (other people may start a change);
//   - requiresGoodStanding turned off;
//   - maxHolders raised, or made unbounded (0), for a two-party role;
//   - selfNomination turned off;
//   - a role that needed approval removed (it could come back without it).
func weakenings(old, updated *roles.Catalogue) []weakening {
	var out []weakening
	for _, before := range old.Roles() {
		path := field.NewPath("spec", "roles").Key(before.Name)
		add := func(child, format string, args ...any) {
			out = append(out, weakening{role: before.Name, field: path.Child(child), change: fmt.Sprintf(format, args...)})
		}
		after, ok := updated.Get(before.Name)
		if !ok {
			if before.Gated("") {
				out = append(out, weakening{role: before.Name, field: path, change: "a role that needs approval removed"})
			}
			continue
		}
		if before.NeedsApproval() && !after.NeedsApproval() {
			add("approval", "approval from %s to %s", before.Approval, after.Approval)
		}
		if !sameSet(before.Initiators, after.Initiators) {
			add("initiators", "initiators from [%s] to [%s]", strings.Join(before.Initiators, ", "), strings.Join(after.Initiators, ", "))
		}
		if before.RequiresGoodStanding && !after.RequiresGoodStanding {
			add("requiresGoodStanding", "requiresGoodStanding turned off")
		}
		if (before.NeedsApproval() || after.NeedsApproval()) && !before.Unbounded() &&
			(after.Unbounded() || after.MaxHolders > before.MaxHolders) {
			add("maxHolders", "maxHolders raised from %d to %s", before.MaxHolders, maxHoldersText(after.MaxHolders))
		}
		if before.SelfNomination && !after.SelfNomination {
			add("selfNomination", "selfNomination turned off")
		}
	}
	return out
}

func maxHoldersText(n int32) string {
	if n == 0 {
		return "0 (unbounded)"
	}
	return fmt.Sprint(n)
}

// sameSet reports whether a and b hold the same names, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// heldRoles returns the roles that have a holder in some scope, or a holder awaited: an assignment
// waiting for an approval, or an open ContactTransfer. Weakening such a role would let a change of holder
// (or the one in flight) through with less consent.
func heldRoles(in roles.Input) map[string]bool {
	held := make(map[string]bool)
	ev := roles.Evaluate(in)
	for _, row := range ev.Rows {
		if len(row.Holders) > 0 {
			held[row.Role] = true
		}
	}
	for _, ra := range in.Assignments {
		if res, ok := ev.Assignments[ra.Name]; ok && (res.Pending != "" || res.Reason == v1alpha1.AwaitingApprovalReason) {
			held[ra.Spec.Role] = true
		}
	}
	for i := range in.Transfers {
		t := &in.Transfers[i]
		if t.DeletionTimestamp.IsZero() && !approval.Settled(t) {
			held[t.Spec.Role] = true
		}
	}
	return held
}
