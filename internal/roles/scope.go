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
	"strings"

	"roster.dev/roster/api/v1alpha1"
)

// Scopes returns the names of org's spec.scopes in spec order, or [""] when it lists none (or org is
// nil).
func Scopes(org *v1alpha1.Organization) []string {
	if org == nil || len(org.Spec.Scopes) == 0 {
		return []string{""}
	}
	out := make([]string, len(org.Spec.Scopes))
	for i, s := range org.Spec.Scopes {
		out[i] = s.Name
	}
	return out
}

// ScopesOf returns the scopes role is held in: every scope of org for a scoped role, [""] otherwise.
func ScopesOf(role Role, org *v1alpha1.Organization) []string {
	if !role.Scoped {
		return []string{""}
	}
	return Scopes(org)
}

// CheckScope says whether an assignment or transfer of role may name scope in org. When it may not,
// reason is v1alpha1.ScopeRequiredReason or v1alpha1.ScopeNotAllowedReason and message says how to fix
// spec.scope.
func CheckScope(role Role, org *v1alpha1.Organization, scope string) (reason, message string, ok bool) {
	listed := false
	if org != nil {
		for _, s := range org.Spec.Scopes {
			if s.Name == scope {
				listed = true
				break
			}
		}
	}
	return checkScope(&role, org, scope, listed)
}

// checkScope is CheckScope once the caller has looked scope up in org's spec.scopes.
func checkScope(role *Role, org *v1alpha1.Organization, scope string, listed bool) (reason, message string, ok bool) {
	hasScopes := org != nil && len(org.Spec.Scopes) > 0
	switch {
	case !role.Scoped && scope != "":
		return v1alpha1.ScopeNotAllowedReason, fmt.Sprintf(
			"role %s is held once for the whole organization, not per scope: set spec.scope to \"\" instead of %q",
			role.Name, scope), false
	case !role.Scoped:
		return "", "", true
	case !hasScopes && scope != "":
		return v1alpha1.ScopeNotAllowedReason, fmt.Sprintf(
			"organization %s lists no scopes: set spec.scope to \"\" instead of %q, or add %q to the Organization's spec.scopes",
			orgName(org), scope, scope), false
	case !hasScopes:
		return "", "", true
	case scope == "":
		return v1alpha1.ScopeRequiredReason, fmt.Sprintf(
			"role %s is held per scope: set spec.scope to one of %s", role.Name, scopeList(org)), false
	case !listed:
		return v1alpha1.ScopeNotAllowedReason, fmt.Sprintf(
			"scope %q is not in organization %s's spec.scopes: set spec.scope to one of %s, or add %q to the Organization's spec.scopes",
			scope, orgName(org), scopeList(org), scope), false
	}
	return "", "", true
}

func orgName(org *v1alpha1.Organization) string {
	if org == nil {
		return ""
	}
	return org.Name
}

// scopeList names org's scopes for a message, at most 10 of them.
func scopeList(org *v1alpha1.Organization) string {
	return joinCapped(Scopes(org), 10)
}

// joinCapped joins names with ", ", naming at most limit of them and counting the rest.
func joinCapped(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:limit], ", "), len(names)-limit)
}
