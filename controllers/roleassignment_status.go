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
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/roles"
)

// holderChange is the state of a change of holder that waits for approval.
type holderChange struct {
	// transfer names the ContactTransfer carrying it.
	transfer string
	// refused is set when the transfer was refused, expired, locked or not admitted; message says why.
	refused bool
	message string
	// requesterRefused is set when admission refused the transfer because the contact that the
	// roster.dev/requested-by annotation names may not request this change.
	requesterRefused bool
}

// setAssignmentStatus computes a RoleAssignment's status from the rules' verdict on it and the state of a
// pending change of holder.
func setAssignmentStatus(ra *v1alpha1.RoleAssignment, res roles.AssignmentResult, change holderChange) {
	gen := ra.Generation
	conds := &ra.Status.Conditions
	ra.Status.ObservedGeneration = gen
	what := ra.Spec.Role + scopeSuffix(ra.Spec.Scope)
	switch {
	case res.Pending != "" && (res.Effective || res.Reason == v1alpha1.AwaitingApprovalReason):
		ra.Status.Holder, ra.Status.HolderUID = res.Holder, res.HolderUID
		ra.Status.Transfer = change.transfer
		if change.requesterRefused {
			conditions.SetReady(conds, gen, false, true, v1alpha1.RequesterNotAllowedReason, fmt.Sprintf(
				"the %s annotation names a contact that may not request this change (%s): fix or remove the annotation (without it, any initiator approves)",
				v1alpha1.RequestedByAnnotation, change.message))
			return
		}
		if change.refused {
			conditions.SetReady(conds, gen, false, true, v1alpha1.TransferRefusedReason, fmt.Sprintf(
				"the change of holder to %s did not go through (%s): point spec.contactRef at another contact, or delete this assignment",
				res.Pending, change.message))
			return
		}
		msg := fmt.Sprintf("%s holds role %s until ContactTransfer %s to %s is approved", res.Holder, what, change.transfer, res.Pending)
		if res.Holder == "" {
			msg = fmt.Sprintf("%s gets role %s once ContactTransfer %s is approved by %s and by an initiator", res.Pending, what,
				change.transfer, res.Pending)
		}
		conditions.SetReady(conds, gen, false, false, v1alpha1.AwaitingApprovalReason, msg)
	case res.Effective && res.Successor != "":
		ra.Status.Holder, ra.Status.HolderUID, ra.Status.Grant, ra.Status.Transfer = res.Holder, res.HolderUID, res.Grant, res.Transfer
		conditions.SetReady(conds, gen, false, false, v1alpha1.AwaitingApprovalReason, fmt.Sprintf(
			"%s is disabled and holds role %s until its reassignment to %s is approved", res.Holder, what, res.Successor))
	case res.Effective:
		ra.Status.Holder, ra.Status.HolderUID, ra.Status.Grant, ra.Status.Transfer = res.Holder, res.HolderUID, res.Grant, res.Transfer
		reason := v1alpha1.ReconciledReason
		switch res.Grant {
		case v1alpha1.GrantInitialRoster:
			reason = v1alpha1.InitialRosterReason
		case v1alpha1.GrantTransfer:
			reason = v1alpha1.TransferCompletedReason
		}
		conditions.SetReady(conds, gen, true, false, reason, "role "+what+" held by "+res.Holder)
	case res.Reason == v1alpha1.ExpiredReason:
		// Ended as declared: nothing to fix, so Ready stays True; grant stays, as below.
		ra.Status.Holder, ra.Status.HolderUID, ra.Status.Transfer = "", "", ""
		conditions.SetReady(conds, gen, true, false, res.Reason, res.Message)
	case keepsHolder(res.Reason):
		// Waiting on the organization (missing, or an invalid catalogue being fixed): the holder is kept,
		// so that fixing it does not need approvals again.
		conditions.SetReady(conds, gen, false, stalls(res.Reason), res.Reason, res.Message)
	default:
		// The holder goes; grant stays, so that the assignment never takes the initial roster path again.
		ra.Status.Holder, ra.Status.HolderUID, ra.Status.Transfer = "", "", change.transfer
		conditions.SetReady(conds, gen, false, stalls(res.Reason), res.Reason, res.Message)
	}
}

// keepsHolder tells the reasons that leave status.holder as it is.
func keepsHolder(reason string) bool {
	return reason == v1alpha1.OrganizationNotFoundReason || reason == v1alpha1.InvalidCatalogueReason
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
