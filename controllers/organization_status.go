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
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// setOrganizationStatus computes the Organization's status from an evaluation of its roles, or from the
// error that its catalogue does not validate.
func setOrganizationStatus(org *v1alpha1.Organization, e *roles.Evaluation, catalogueErr *state.InvalidCatalogueError) {
	gen := org.Generation
	if catalogueErr != nil {
		msg := catalogueErr.Error() + ": fix spec.roles"
		conditions.Set(&org.Status.Conditions, gen, v1alpha1.RolesSatisfiedCondition, metav1.ConditionUnknown, v1alpha1.InvalidCatalogueReason, msg)
		conditions.SetReady(&org.Status.Conditions, gen, false, true, v1alpha1.InvalidCatalogueReason, msg)
		org.Status.ObservedGeneration = gen
		return
	}
	org.Status.Roles, org.Status.OmittedRoles = roleRows(e.Rows)
	setRolesSatisfiedCondition(org, e.Vacant())
	setRolesRecommendedCondition(org, e.RecommendedVacant(), e.Rows)
	if vacant := e.Vacant(); len(vacant) > 0 {
		conditions.SetReady(&org.Status.Conditions, gen, false, false, v1alpha1.RequiredRoleVacantReason, vacancyMessage(vacant))
	} else {
		conditions.SetReady(&org.Status.Conditions, gen, true, false, v1alpha1.ReconciledReason, "every required role is held")
	}
	org.Status.ObservedGeneration = gen
}

// setRolesSatisfiedCondition is False while a required role lacks holders, naming each vacant (role, scope).
func setRolesSatisfiedCondition(org *v1alpha1.Organization, vacant []roles.Row) {
	if len(vacant) == 0 {
		conditions.Set(&org.Status.Conditions, org.Generation, v1alpha1.RolesSatisfiedCondition, metav1.ConditionTrue,
			v1alpha1.RolesSatisfiedReason, "every required role is held")
		return
	}
	conditions.Set(&org.Status.Conditions, org.Generation, v1alpha1.RolesSatisfiedCondition, metav1.ConditionFalse,
		v1alpha1.RequiredRoleVacantReason, vacancyMessage(vacant))
}

// setRolesRecommendedCondition is False while a recommended role has no holder, naming each; it is
// informative only (Ready does not depend on it), and absent when no role is recommended.
func setRolesRecommendedCondition(org *v1alpha1.Organization, vacant []roles.Row, rows []roles.Row) {
	if !slices.ContainsFunc(rows, func(r roles.Row) bool { return r.Recommended }) {
		meta.RemoveStatusCondition(&org.Status.Conditions, v1alpha1.RolesRecommendedCondition)
		return
	}
	if len(vacant) == 0 {
		conditions.Set(&org.Status.Conditions, org.Generation, v1alpha1.RolesRecommendedCondition, metav1.ConditionTrue,
			v1alpha1.RecommendedRolesHeldReason, "every recommended role is held")
		return
	}
	names := make([]string, 0, len(vacant))
	for _, row := range vacant {
		name := row.Role
		if row.Scope != "" {
			name += " for scope " + row.Scope
		}
		names = append(names, name)
	}
	conditions.Set(&org.Status.Conditions, org.Generation, v1alpha1.RolesRecommendedCondition, metav1.ConditionFalse,
		v1alpha1.RecommendedRoleVacantReason, "recommended role without a holder: "+strings.Join(names, ", ")+
			" (informative: the organization is Ready without it)")
}

// vacancyMessage names each vacant (role, scope) and says what to do.
func vacancyMessage(vacant []roles.Row) string {
	names := make([]string, 0, len(vacant))
	for _, row := range vacant {
		name := row.Role
		if row.Scope != "" {
			name += " for scope " + row.Scope
		}
		if missing := int(row.MinHolders) - len(row.Holders); missing > 1 {
			name += fmt.Sprintf(" (%d holders missing)", missing)
		}
		names = append(names, name)
	}
	return "required role vacant: " + strings.Join(names, ", ") + "; create a RoleAssignment for each"
}

// roleRows turns evaluation rows into status rows, within the bounds of status.roles: beyond them it
// leaves out rows without holders that no one requires, then the last holders and rows, and counts what
// it left out.
func roleRows(rows []roles.Row) ([]v1alpha1.RoleHolders, int32) {
	out := make([]v1alpha1.RoleHolders, 0, len(rows))
	omitted := 0
	size := 0
	for _, row := range rows {
		holders := row.Holders
		if len(holders) > v1alpha1.MaxRoleHolders {
			omitted += len(holders) - v1alpha1.MaxRoleHolders
			holders = holders[:v1alpha1.MaxRoleHolders]
		}
		r := v1alpha1.RoleHolders{Role: row.Role, Scope: row.Scope, Holders: holders, Required: row.Required, Satisfied: row.Satisfied}
		size += rowBytes(r)
		out = append(out, r)
	}
	if size <= v1alpha1.MaxRolesBytes && len(out) <= v1alpha1.MaxRoleRows {
		return out, int32(omitted)
	}
	// Rows that say nothing an auditor needs go first: no holder, and no one requires one.
	kept, count := out[:0], len(out)
	for _, r := range out {
		if len(r.Holders) == 0 && !r.Required && (size > v1alpha1.MaxRolesBytes || count > v1alpha1.MaxRoleRows) {
			size -= rowBytes(r)
			count--
			omitted++
			continue
		}
		kept = append(kept, r)
	}
	for len(kept) > 0 && (size > v1alpha1.MaxRolesBytes || len(kept) > v1alpha1.MaxRoleRows) {
		last := &kept[len(kept)-1]
		if n := len(last.Holders); n > 0 && len(kept) <= v1alpha1.MaxRoleRows {
			size -= len(last.Holders[n-1]) + 3
			last.Holders = last.Holders[:n-1]
			omitted++
			continue
		}
		size -= rowBytes(*last)
		omitted += 1 + len(last.Holders)
		kept = kept[:len(kept)-1]
	}
	return kept, int32(omitted)
}

// rowBytes is about the JSON size of a row: its names and 70 bytes of keys and values, 3 a holder.
func rowBytes(r v1alpha1.RoleHolders) int {
	n := 70 + len(r.Role) + len(r.Scope)
	for _, h := range r.Holders {
		n += len(h) + 3
	}
	return n
}
