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
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// announce tells the people concerned about what changed in a transfer since before: a party's approval
// (to the other parties), and the end of the transfer (to every party and the outgoing holder). Each is an
// Event on the transfer and a delivery per channel in its outbox.
func (r *ContactTransferReconciler) announce(s *transferScope, before *v1alpha1.ContactTransfer) {
	t := s.t
	everyone := s.parties.Everyone()
	for _, a := range t.Status.Approvals {
		if a.Decision != v1alpha1.DecisionApproved || approval.DecisionOf(before, a.Contact) == v1alpha1.DecisionApproved {
			continue
		}
		n, others, note := approvedBy(t, s.org, s.parties, a.Contact, a.Via, s.facts.Now.Time)
		n.Recipients = r.recipients(s, others, nil)
		r.Deliverer.Record(t, &t.Status.Outbox, s.org, n, note)
	}
	ended := func(typ string) bool {
		return conditions.IsTrue(t.Status.Conditions, typ) && !conditions.IsTrue(before.Status.Conditions, typ)
	}
	switch {
	case ended(v1alpha1.CompletedCondition):
		r.tell(s, notify.TransferCompleted, string(t.UID)+"/completed", everyone,
			"role %s%s moved from %s to %s", t.Spec.Role, scopeSuffix(t.Spec.Scope), approval.From(t), t.Spec.To.Name)
	case ended(v1alpha1.RefusedCondition) && approval.RefusedBy(t) == "":
		r.tell(s, notify.TransferLocked, string(t.UID)+"/locked", everyone,
			"locked after %d wrong tokens: nothing moves", t.Status.FailedAttempts)
	case ended(v1alpha1.RefusedCondition):
		r.tell(s, notify.TransferRefused, string(t.UID)+"/refused", everyone, "%s refused: nothing moves", approval.RefusedBy(t))
	case ended(v1alpha1.ExpiredCondition):
		r.tell(s, notify.TransferExpired, string(t.UID)+"/expired", everyone, "expired before every party approved: nothing moves")
	}
}

// tell records a notification of the transfer: an Event now, and a delivery per channel in the outbox.
func (r *ContactTransferReconciler) tell(s *transferScope, typ notify.Type, key string, to []string, format string, args ...any) {
	n := r.notification(s, typ, key)
	n.Recipients = r.recipients(s, to, nil)
	r.Deliverer.Record(s.t, &s.t.Status.Outbox, s.org, n, fmt.Sprintf(format, args...))
}

// notification is the common part of a transfer's notifications: the facts, never a token.
func (r *ContactTransferReconciler) notification(s *transferScope, typ notify.Type, key string) notify.Notification {
	return transferNotification(s.t, s.org, typ, key, s.facts.Now.Time)
}

// transferNotification describes a transfer for its notifications.
func transferNotification(t *v1alpha1.ContactTransfer, org *v1alpha1.Organization, typ notify.Type, key string, now time.Time) notify.Notification {
	facts := map[string]string{
		"transfer": t.Name, "role": t.Spec.Role, "scope": t.Spec.Scope, "from": approval.From(t), "to": t.Spec.To.Name,
		"requestedBy": approval.RequestedBy(t), "reason": t.Spec.Reason,
	}
	if t.Status.ExpiresAt != nil {
		facts["expiresAt"] = t.Status.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if org != nil {
		facts["organizationDisplayName"] = org.Spec.DisplayName
	}
	return notify.Notification{
		Key: key, Type: typ, Organization: t.Spec.OrganizationRef.Name, Facts: facts, OccurredAt: now,
		Object: notify.ObjectRef{Kind: "ContactTransfer", Namespace: t.Namespace, Name: t.Name, UID: string(t.UID)},
	}
}

// approvedBy is the notification that a party approved, for the other parties.
func approvedBy(t *v1alpha1.ContactTransfer, org *v1alpha1.Organization, parties approval.Parties, party string,
	via v1alpha1.DecisionChannel, now time.Time) (notify.Notification, []string, string) {
	n := transferNotification(t, org, notify.TransferApproved, fmt.Sprintf("%s/approved/%s", t.UID, party), now)
	n.Facts["approvedBy"] = party
	others := slices.DeleteFunc(parties.Everyone(), func(c string) bool { return c == party })
	return n, others, fmt.Sprintf("%s approved (via %s)", party, via)
}

// recipients turns contact names into recipients, skipping unknown and disabled contacts, except the
// parties named in tokenHolders: a disabled holder whose role is being reassigned still gets its token.
func (r *ContactTransferReconciler) recipients(s *transferScope, names, tokenHolders []string) []notify.Recipient {
	var out []notify.Recipient
	for _, n := range names {
		if rcpt, ok := recipientOf(s.contacts[n], slices.Contains(tokenHolders, n)); ok {
			out = append(out, rcpt)
		}
	}
	return out
}

// loadContacts reads the contacts of the transfer's organization.
func (r *ContactTransferReconciler) loadContacts(ctx context.Context, s *transferScope) error {
	var list v1alpha1.ContactList
	if err := r.List(ctx, &list, client.InNamespace(s.t.Namespace),
		client.MatchingFields{index.ByOrganization: s.t.Spec.OrganizationRef.Name}); err != nil {
		return err
	}
	s.contacts = make(map[string]*v1alpha1.Contact, len(list.Items))
	for i := range list.Items {
		s.contacts[list.Items[i].Name] = &list.Items[i]
	}
	return nil
}

// recipient addresses a contact; disabled contacts get nothing.
func recipient(c *v1alpha1.Contact) (notify.Recipient, bool) { return recipientOf(c, false) }

// recipientOf addresses a contact; a disabled one only when it is asked for its decision.
func recipientOf(c *v1alpha1.Contact, party bool) (notify.Recipient, bool) {
	if c == nil || (c.Spec.Disabled && !party) {
		return notify.Recipient{}, false
	}
	return notify.Recipient{Contact: c.Name, DisplayName: c.Spec.DisplayName, Email: approval.AddressOf(c), Locale: string(c.Spec.Locale)}, true
}

func joinNames(names []string) string { return strings.Join(names, ", ") }

// ApprovalAnnouncer records, with a decision made on the approval page, the notification that tells the
// other parties: the page writes both in one status write.
type ApprovalAnnouncer struct {
	Client    client.Client
	Deliverer *Deliverer
}

// Approved records in t's outbox that party approved.
func (a *ApprovalAnnouncer) Approved(ctx context.Context, t *v1alpha1.ContactTransfer, party string) error {
	org := &v1alpha1.Organization{}
	if err := a.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Spec.OrganizationRef.Name}, org); err != nil {
		return err
	}
	in, err := state.Load(ctx, a.Client, org, a.Deliverer.now())
	if err != nil {
		return err
	}
	role, _ := in.Catalogue.Get(t.Spec.Role)
	n, others, note := approvedBy(t, org, approval.PartiesFor(t, role, roles.Evaluate(in)), party, v1alpha1.DecisionViaLink, a.Deliverer.now())
	n.Recipients = recipientsNamed(ctx, a.Client, t.Namespace, others)
	a.Deliverer.Record(t, &t.Status.Outbox, org, n, note)
	return nil
}
