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

// Package notify is the notification model: what happened, to whom it is told, and the key that makes its
// delivery idempotent. The email and webhook channels implement Notifier; the controllers record an Event
// for every notification and keep each one in an outbox until it is delivered.
package notify

import (
	"context"
	"time"
)

// Type is what a notification is about, in CamelCase (it doubles as the Event reason).
type Type string

// Notification types.
const (
	TransferRequested Type = "TransferRequested"
	TransferApproved  Type = "TransferApproved"
	TransferCompleted Type = "TransferCompleted"
	TransferRefused   Type = "TransferRefused"
	TransferExpired   Type = "TransferExpired"
	TransferLocked    Type = "TransferLocked"
	TransferCancelled Type = "TransferCancelled"
	RoleGranted       Type = "RoleGranted"
	RoleRevoked       Type = "RoleRevoked"
	// RoleExpiring tells a time-limited role's holder, and the primary and administrative contacts, that
	// it ends within 7 days or within a day (facts validUntil and stage: Week or Day).
	RoleExpiring Type = "RoleExpiring"
	// RoleExpired tells them that it ended (spec.validUntil passed).
	RoleExpired        Type = "RoleExpired"
	ContactDisabled    Type = "ContactDisabled"
	RequiredRoleVacant Type = "RequiredRoleVacant"
	// OrganizationDeleted tells every holder that its organization, and so its roles, were deleted.
	OrganizationDeleted Type = "OrganizationDeleted"
	// EmailConfirmationRequested goes to a contact's new address, with the link that confirms it.
	EmailConfirmationRequested Type = "EmailConfirmationRequested"
	// EmailChangeRequested tells the old address of a change of address and, when the change needs
	// approval, brings each approver (the old address, other initiators) its approval link.
	EmailChangeRequested Type = "EmailChangeRequested"
	// TransferReminder reminds the parties of a ContactTransfer that have not decided yet, at the points of
	// the organization's spec.approval.reminders (fact reminder: "50%"); it carries the same link and codes
	// as the round's TransferRequested, derived again.
	TransferReminder Type = "TransferReminder"
	// ReconfirmationRequested asks a holder of a principal role to confirm, on its single-use link, that it
	// is still the right contact (facts round, askedAt, dueAt).
	ReconfirmationRequested Type = "ReconfirmationRequested"
	// ReconfirmationLapsed tells the primary and administrative contacts that a holder did not confirm by
	// its due date (facts holder, askedAt, dueAt); its roles are kept.
	ReconfirmationLapsed Type = "ReconfirmationLapsed"
	// Notice is a message an external system asked to send to a role's holders (facts subject and body).
	Notice Type = "Notice"
)

// ObjectRef names the Kubernetes object a notification is about.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid,omitempty"`
}

// Recipient is a contact a notification is sent to.
type Recipient struct {
	// Contact is the name of the Contact.
	Contact string
	// DisplayName and Email address the contact.
	DisplayName string
	Email       string
	// Locale is the language of the contact's messages ("en", "fr"); unknown locales fall back to English.
	Locale string
	// DeputyFor, when set, is the display name of the away contact this recipient stands in for: it gets a
	// copy of that contact's notification, never its token, link or codes.
	DeputyFor string `json:",omitempty"`
	// Token is the contact's personal approval token, set only for the parties of a TransferRequested
	// notification. It goes into that contact's email and nowhere else.
	Token string `json:"-"`
	// Link is the approval page URL with the token pre-filled; like Token, for that contact's email only.
	Link string `json:"-"`
	// ApproveCode and RefuseCode approve or refuse by annotation (roster.dev/approve, roster.dev/refuse),
	// each only that decision; like Token, for that contact's email only.
	ApproveCode string `json:"-"`
	RefuseCode  string `json:"-"`
}

// Notification is one thing people should be told.
type Notification struct {
	// Key identifies the cause (object UID, type, generation or transfer round): the same cause always
	// yields the same key, and channels use it as their idempotency key.
	Key string
	// Type is what happened.
	Type Type
	// Organization is the name of the organization concerned.
	Organization string
	// Object is the object the notification is about.
	Object ObjectRef
	// Recipients are the contacts told; disabled contacts are never among them.
	Recipients []Recipient
	// Facts are the details messages show: role, scope, from, to, requestedBy, reason, expiresAt, ...
	// Never a token.
	Facts map[string]string
	// OccurredAt is when the cause happened.
	OccurredAt time.Time
}

// Notifier delivers notifications on one channel.
type Notifier interface {
	// Notify delivers n. An error means it was not (fully) delivered and may be retried with the same n.
	Notify(ctx context.Context, n Notification) error
}
