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
	"strings"

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
	org.Status.Roles = roleRows(e.Rows)
	setRolesSatisfiedCondition(org, e.Vacant())
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

// roleRows turns evaluation rows into status rows.
func roleRows(rows []roles.Row) []v1alpha1.RoleHolders {
	out := make([]v1alpha1.RoleHolders, 0, len(rows))
	for _, row := range rows {
		out = append(out, v1alpha1.RoleHolders{
			Role: row.Role, Scope: row.Scope, Holders: row.Holders, Required: row.Required, Satisfied: row.Satisfied,
		})
	}
	return out
}
