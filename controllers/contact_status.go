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

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
)

// setContactStatus computes a Contact's status from what the reconcile found.
func setContactStatus(c *v1alpha1.Contact, f contactFacts) {
	gen := c.Generation
	c.Status.Roles = f.held
	if len(c.Status.Roles) > maxHeldRoles {
		// The Ready message still counts them all.
		c.Status.Roles = c.Status.Roles[:maxHeldRoles]
	}
	c.Status.RolesSummary = rolesSummary(f.held)
	c.Status.NormalizedEmail = strings.ToLower(strings.TrimSpace(c.Spec.Email))
	c.Status.ObservedGeneration = gen
	conds := &c.Status.Conditions
	switch {
	case f.organizationMissing:
		c.Status.Roles, c.Status.RolesSummary = nil, ""
		conditions.SetReady(conds, gen, false, false, v1alpha1.OrganizationNotFoundReason,
			fmt.Sprintf("spec.organizationRef: organization %q does not exist: create it or fix the reference", c.Spec.OrganizationRef.Name))
	case f.duplicateOf != "":
		conditions.SetReady(conds, gen, false, true, v1alpha1.DuplicateEmailReason,
			fmt.Sprintf("spec.email: contact %q of the same organization already uses %s: use another address or delete one of them", f.duplicateOf, c.Spec.Email))
	case f.successorProblem != "":
		conditions.SetReady(conds, gen, false, true, v1alpha1.SuccessorUnavailableReason, f.successorProblem)
	case c.Spec.Disabled:
		conditions.SetReady(conds, gen, true, false, v1alpha1.ContactDisabledReason, "disabled: holds no active role and gets no notifications")
	default:
		conditions.SetReady(conds, gen, true, false, v1alpha1.ReconciledReason, fmt.Sprintf("holds %d role(s)", len(f.held)))
	}
}

// scopeSuffix renders a scope for messages: "" for organization-wide roles.
func scopeSuffix(scope string) string {
	if scope == "" {
		return ""
	}
	return " (scope " + scope + ")"
}

// Bounds of a Contact's status (api/v1alpha1/contact_types.go): status.roles lists at most maxHeldRoles
// roles, status.rolesSummary at most maxRolesSummary characters.
const (
	maxHeldRoles    = 1024
	maxRolesSummary = 4096
)

// rolesSummary renders held roles for the ROLES column: "primary,technical/site-paris". Past
// maxRolesSummary characters it ends with "…(+N)", N the roles left out.
func rolesSummary(held []v1alpha1.HeldRole) string {
	var b strings.Builder
	for i, h := range held {
		part := h.Role
		if h.Scope != "" {
			part += "/" + h.Scope
		}
		if i > 0 {
			part = "," + part
		}
		if more := fmt.Sprintf(",…(+%d)", len(held)-i); b.Len()+len(part)+len(more) > maxRolesSummary &&
			(i < len(held)-1 || b.Len()+len(part) > maxRolesSummary) {
			b.WriteString(more)
			break
		}
		b.WriteString(part)
	}
	return b.String()
}
