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
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/roles"
)

// AddressFacts is what a contact's address status is computed from.
type AddressFacts struct {
	// EmailChannel is set when the organization sends email: without it addresses stay as declared.
	EmailChannel bool
	// Approver is set when the contact's approval counts (it holds a two-party or initiator role): a
	// change of its address then also needs the old address, or another initiator, to approve it.
	Approver bool
	// UsedToken is set when the contact decided a transfer with a token sent to status.verifiedEmail.
	UsedToken bool
}

// AddressChange says what SetAddress started or ended, for the notifications.
type AddressChange int

const (
	// AddressUnchanged: nothing to tell.
	AddressUnchanged AddressChange = iota
	// AddressChangeStarted: a new spec.email waits for confirmation; the new address gets its link and
	// the old address (and the other initiators, for an approver) are told.
	AddressChangeStarted
	// AddressChangeCompleted: the new address is in effect; transfers awaiting the contact send it new
	// tokens there.
	AddressChangeCompleted
)

// SetAddress computes a contact's status.verifiedEmail, status.emailChange and its EmailVerified condition.
//
// The first address is taken as declared: tokens and notices go there, and it is verified once the
// contact uses a token sent there. A later change of spec.email takes effect only once the new address
// confirms it with its single-use link and, for an approver, once the old address or another initiator
// approves it; until then everything goes to status.verifiedEmail.
func SetAddress(c *v1alpha1.Contact, f AddressFacts) AddressChange {
	conds, gen := &c.Status.Conditions, c.Generation
	set := func(status metav1.ConditionStatus, reason, msg string) {
		conditions.Set(conds, gen, v1alpha1.EmailVerifiedCondition, status, reason, msg)
	}
	if !f.EmailChannel {
		c.Status.VerifiedEmail, c.Status.EmailChange = c.Spec.Email, nil
		set(metav1.ConditionUnknown, v1alpha1.NoEmailChannelReason, "the organization sends no email: the address is used as declared")
		return AddressUnchanged
	}
	if c.Status.VerifiedEmail == "" {
		c.Status.VerifiedEmail = c.Spec.Email
	}
	if sameAddress(c.Spec.Email, c.Status.VerifiedEmail) {
		c.Status.EmailChange = nil
		if f.UsedToken || conditions.IsTrue(*conds, v1alpha1.EmailVerifiedCondition) {
			set(metav1.ConditionTrue, v1alpha1.EmailVerifiedReason, c.Status.VerifiedEmail+" is verified")
		} else {
			set(metav1.ConditionFalse, v1alpha1.EmailDeclaredReason, c.Status.VerifiedEmail+
				" is used as declared; it is verified once the contact uses a token sent there")
		}
		return AddressUnchanged
	}
	change, started := c.Status.EmailChange, AddressUnchanged
	if change == nil || !sameAddress(change.Email, c.Spec.Email) {
		c.Status.EmailRounds++
		change = &v1alpha1.EmailChange{Email: c.Spec.Email, Round: c.Status.EmailRounds, NeedsApproval: f.Approver}
		c.Status.EmailChange, started = change, AddressChangeStarted
	}
	switch {
	case change.RefusedBy != "":
		set(metav1.ConditionFalse, v1alpha1.EmailChangeRefusedReason, fmt.Sprintf(
			"%s refused the change of address to %s: tokens and notices still go to %s; set spec.email back, or to another address",
			change.RefusedBy, change.Email, c.Status.VerifiedEmail))
	case change.ConfirmedAt != nil && (!change.NeedsApproval || change.ApprovedAt != nil):
		c.Status.VerifiedEmail, c.Status.EmailChange = change.Email, nil
		set(metav1.ConditionTrue, v1alpha1.EmailVerifiedReason, change.Email+" is verified: it confirmed the change")
		return AddressChangeCompleted
	default:
		var waiting []string
		if change.ConfirmedAt == nil {
			waiting = append(waiting, change.Email+" to confirm it with the link sent there")
		}
		if change.NeedsApproval && change.ApprovedAt == nil {
			waiting = append(waiting, c.Status.VerifiedEmail+" (or another initiator) to approve it")
		}
		set(metav1.ConditionFalse, v1alpha1.EmailAwaitingConfirmationReason, fmt.Sprintf(
			"tokens and notices go to %s until the change to %s is confirmed: waiting for %s",
			c.Status.VerifiedEmail, change.Email, strings.Join(waiting, ", and ")))
	}
	return started
}

// DecideAddress records, for the party whose secret it is, the confirmation or the decision on the
// pending change of c's address. approvers are the contacts besides c itself who may approve the change
// (other initiators). It derives and compares every candidate's secret. It reports whether something was
// recorded; a wrong or used secret records nothing.
func DecideAddress(k *Keyring, c *v1alpha1.Contact, approvers []string, secret string, approve bool, now metav1.Time) (party string, purpose Purpose, ok bool) {
	change := c.Status.EmailChange
	if change == nil || change.RefusedBy != "" || secret == "" {
		return "", "", false
	}
	type candidate struct {
		party   string
		purpose Purpose
	}
	candidates := []candidate{{c.Name, PurposeConfirmEmail}}
	if change.NeedsApproval {
		candidates = append(candidates, candidate{c.Name, PurposeApproveEmail})
		for _, a := range approvers {
			if a != c.Name {
				candidates = append(candidates, candidate{a, PurposeApproveEmail})
			}
		}
	}
	var found *candidate
	for i, cand := range candidates {
		if SecretsEqual(k.EmailToken(c.UID, change.Round, change.Email, cand.party, cand.purpose), secret) && found == nil {
			found = &candidates[i]
		}
	}
	switch {
	case found == nil:
		return "", "", false
	case found.purpose == PurposeConfirmEmail:
		if change.ConfirmedAt != nil {
			return found.party, found.purpose, false
		}
		if approve {
			change.ConfirmedAt = &now
		} else {
			change.RefusedBy = c.Name + " (new address)"
		}
	default:
		if change.ApprovedAt != nil {
			return found.party, found.purpose, false
		}
		if approve {
			change.ApprovedBy, change.ApprovedAt = found.party, &now
		} else {
			change.RefusedBy = found.party
		}
	}
	return found.party, found.purpose, true
}

// sameAddress compares addresses as the uniqueness rule does: case-insensitively.
func sameAddress(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// AddressOf is where tokens and notices for c go: status.verifiedEmail, or spec.email before the operator
// first saw the contact.
func AddressOf(c *v1alpha1.Contact) string {
	if c.Status.VerifiedEmail != "" {
		return c.Status.VerifiedEmail
	}
	return c.Spec.Email
}

// UsedTokenAt reports whether contact decided t with a token sent to address.
func UsedTokenAt(t *v1alpha1.ContactTransfer, contact, address string) bool {
	for _, a := range t.Status.Approvals {
		if a.Contact == contact && a.Email != "" && sameAddress(a.Email, address) &&
			(a.Via == v1alpha1.DecisionViaLink || a.Via == v1alpha1.DecisionViaAnnotation) {
			return true
		}
	}
	return false
}

// IsApprover reports whether holding these roles makes a contact's approval count: one of them needs
// two-party approval, or is an initiator of some role of the catalogue.
func IsApprover(cat *roles.Catalogue, held []v1alpha1.HeldRole) bool {
	for _, h := range held {
		if r, ok := cat.Get(h.Role); ok && r.NeedsApproval() {
			return true
		}
		for _, name := range cat.Names() {
			if r, ok := cat.Get(name); ok && slices.Contains(r.Initiators, h.Role) {
				return true
			}
		}
	}
	return false
}

// RecordAddress notes on party's row the address its token was sent to, when it just decided with it.
func RecordAddress(t *v1alpha1.ContactTransfer, party, address string) {
	if row := rowOf(t, party); row != nil {
		row.Email = address
	}
}
