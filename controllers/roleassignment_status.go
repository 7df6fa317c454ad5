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

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

// holderChange is the state of a change of holder that waits for approval.
type holderChange struct {
	// transfer names the ContactTransfer carrying it.
	transfer string
	// refused is set when the transfer was refused, expired, locked or not admitted; message says why.
	refused bool
	message string
}

// setAssignmentStatus computes a RoleAssignment's status from the rules' verdict on it and the state of a
// pending change of holder.
func setAssignmentStatus(ra *v1alpha1.RoleAssignment, res roles.AssignmentResult, change holderChange) {
	gen := ra.Generation
	ra.Status.ObservedGeneration = gen
	ra.Status.Transfer = change.transfer
	if res.Pending != "" && (res.Effective || res.Reason == v1alpha1.AwaitingApprovalReason) {
		ra.Status.Holder = res.Holder
		if change.refused {
			setReady(&ra.Status.Conditions, gen, false, true, v1alpha1.TransferRefusedReason, fmt.Sprintf(
				"the change of holder to %s did not go through (%s): point spec.contactRef at another contact, or delete this assignment",
				res.Pending, change.message))
			return
		}
		msg := fmt.Sprintf("%s holds role %s%s until ContactTransfer %s to %s is approved", res.Holder, ra.Spec.Role,
			scopeSuffix(ra.Spec.Scope), change.transfer, res.Pending)
		if res.Holder == "" {
			msg = fmt.Sprintf("%s gets role %s%s once the primary contact approves ContactTransfer %s", res.Pending,
				ra.Spec.Role, scopeSuffix(ra.Spec.Scope), change.transfer)
		}
		setReady(&ra.Status.Conditions, gen, false, false, v1alpha1.AwaitingApprovalReason, msg)
		return
	}
	if res.Effective {
		ra.Status.Holder = res.Holder
		setReady(&ra.Status.Conditions, gen, true, false, v1alpha1.ReconciledReason,
			"role "+ra.Spec.Role+scopeSuffix(ra.Spec.Scope)+" held by "+res.Holder)
		return
	}
	ra.Status.Holder = ""
	setReady(&ra.Status.Conditions, gen, false, stalls(res.Reason), res.Reason, res.Message)
}

// stalls tells whether a reason needs a person to change something. Reasons that clear by themselves when
// another object appears or changes (a missing organization or contact) do not stall.
func stalls(reason string) bool {
	switch reason {
	case v1alpha1.UnknownRoleReason, v1alpha1.ScopeRequiredReason, v1alpha1.ScopeNotAllowedReason,
		v1alpha1.ContactOfOtherOrganizationReason, v1alpha1.InvalidCatalogueReason:
		return true
	}
	return false
}
