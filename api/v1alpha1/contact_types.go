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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Locale is the language of the notifications a contact receives.
// +kubebuilder:validation:Enum=en;fr;pt
type Locale string

const (
	// LocaleEnglish is English, the fallback for every other language.
	LocaleEnglish Locale = "en"
	// LocaleFrench is French.
	LocaleFrench Locale = "fr"
	// LocalePortuguese is Portuguese, as written in Brazil.
	LocalePortuguese Locale = "pt"
)

// AccountStanding says whether a contact is up to date with its payments.
// +kubebuilder:validation:Enum=Good;Overdue
type AccountStanding string

const (
	// AccountStandingGood means no invoice is overdue.
	AccountStandingGood AccountStanding = "Good"
	// AccountStandingOverdue means the contact has unpaid invoices; billing-like roles cannot move to or
	// from it.
	AccountStandingOverdue AccountStanding = "Overdue"
)

// ContactSpec is the desired state of a Contact.
// +kubebuilder:validation:XValidation:rule="!has(self.reassignTo) || self.disabled",message="spec.reassignTo needs spec.disabled: true: a successor only takes over the roles of a disabled contact",fieldPath=".reassignTo"
// +kubebuilder:validation:XValidation:rule="self.organizationRef == oldSelf.organizationRef",message="spec.organizationRef is immutable: create a new Contact in the other organization instead"
type ContactSpec struct {
	// organizationRef names the Organization this contact belongs to. Immutable.
	// +required
	OrganizationRef LocalObjectReference `json:"organizationRef"`

	// displayName is the contact's name as shown in notifications.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	DisplayName string `json:"displayName,omitempty"`

	// email is where the contact's notifications and approval tokens go. It must be a valid address and
	// unique within the organization (case-insensitive). A shared team address survives staff changes.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Format=email
	Email string `json:"email"`

	// locale is the language of the contact's notifications: en, fr or pt.
	// +optional
	// +kubebuilder:default=en
	Locale Locale `json:"locale,omitempty"`

	// disabled contacts hold no active role and receive no notifications.
	// +optional
	Disabled bool `json:"disabled,omitempty"`

	// reassignTo names the successor that takes over each role of this contact once it is disabled
	// ("disable and reassign"). Only allowed with disabled: true.
	// +optional
	ReassignTo *LocalObjectReference `json:"reassignTo,omitempty"`

	// accountStanding is Good, or Overdue when the contact has unpaid invoices; usually set by a billing
	// integration. Roles that require good standing cannot move to or from an Overdue contact.
	// +optional
	// +kubebuilder:default=Good
	AccountStanding AccountStanding `json:"accountStanding,omitempty"`

	// deputies are other contacts of the same organization that receive a copy of this contact's
	// notifications while spec.away is true. They never receive its approval links or codes, and never
	// approve on its behalf.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=4
	Deputies []LocalObjectReference `json:"deputies,omitempty"`

	// away is true while the contact is on leave or holiday: its deputies get a copy of its notifications.
	// The contact keeps its roles and still gets everything itself.
	// +optional
	Away bool `json:"away,omitempty"`
}

// HeldRole is a role a contact holds, in a scope.
type HeldRole struct {
	// role is the name of the role.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Role string `json:"role"`

	// scope the role is held for; "" when organization-wide.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Scope string `json:"scope"`
}

// EmailChange is a change of a contact's address that waits for the new address to confirm it and, for a
// contact whose approval counts (a holder of a two-party or initiator role), for the old address or another
// initiator to approve it.
type EmailChange struct {
	// email is the new address (spec.email).
	// +required
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email"`

	// round numbers this change; its links derive from it.
	// +required
	Round int32 `json:"round"`

	// needsApproval is true when the old address (or another initiator) must approve the change.
	// +optional
	NeedsApproval bool `json:"needsApproval,omitempty"`

	// confirmedAt is when the new address confirmed it.
	// +optional
	ConfirmedAt *metav1.Time `json:"confirmedAt,omitempty"`

	// approvedBy names who approved the change: the contact itself (its old address) or another initiator.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ApprovedBy string `json:"approvedBy,omitempty"`

	// approvedAt is when it was approved.
	// +optional
	ApprovedAt *metav1.Time `json:"approvedAt,omitempty"`

	// refusedBy names who refused the change; the address then stays verifiedEmail until spec.email
	// changes again.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RefusedBy string `json:"refusedBy,omitempty"`
}

// ContactStatus is the observed state of a Contact.
type ContactStatus struct {
	// conditions: Ready is False with a reason when the contact cannot hold roles (organization missing,
	// disabled).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:XValidation:rule="self.message.size() <= 4096",message="message must be at most 4096 characters"
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the metadata.generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// roles this contact holds now.
	// +optional
	// +kubebuilder:validation:MaxItems=1024
	Roles []HeldRole `json:"roles,omitempty"`

	// verifiedEmail is the address tokens and notices go to: spec.email as first declared, then each new
	// spec.email once it confirmed it (and, for a contact whose approval counts, once its old address or
	// another initiator approved the change). With no email channel it follows spec.email.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	VerifiedEmail string `json:"verifiedEmail,omitempty"`

	// normalizedEmail is spec.email in lowercase, without surrounding spaces: a support desk finds a contact
	// by address whatever its case, with --field-selector status.normalizedEmail=<address in lowercase>.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	NormalizedEmail string `json:"normalizedEmail,omitempty"`

	// emailChange is the change of spec.email waiting for confirmation.
	// +optional
	EmailChange *EmailChange `json:"emailChange,omitempty"`

	// emailRounds counts the changes of address started so far: the links of an earlier change no longer
	// work.
	// +optional
	EmailRounds int32 `json:"emailRounds,omitempty"`

	// reconfirmedAt is when the contact last confirmed, on the single-use link of a re-confirmation
	// request, that it is still the right contact for its roles.
	// +optional
	ReconfirmedAt *metav1.Time `json:"reconfirmedAt,omitempty"`

	// reconfirmation is the re-confirmation request in progress, when the organization sets
	// spec.reconfirmation and the contact holds a principal role.
	// +optional
	Reconfirmation *ReconfirmationRequest `json:"reconfirmation,omitempty"`

	// reconfirmationSince is when the contact came under re-confirmation: when the operator first saw it
	// hold a principal role of an organization that sets spec.reconfirmation. Its first request goes out
	// between every/2 and every after it, at a point fixed by its UID, so that turning re-confirmation on
	// for a whole roster spreads the requests over half a period instead of sending them all at once.
	// +optional
	ReconfirmationSince *metav1.Time `json:"reconfirmationSince,omitempty"`

	// rolesSummary lists the roles held, comma-separated, for kubectl get.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	RolesSummary string `json:"rolesSummary,omitempty"`

	// outbox records the notifications about this object, per channel, before they are sent; the oldest
	// sent entries are dropped beyond 32, or when the outbox would outgrow 256 KiB. Its ids, recipients
	// and facts take at most 256 KiB in all.
	// +optional
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.map(d, d.id.size() + (has(d.recipients) ? d.recipients.map(r, r.size()).sum() : 0) + (has(d.facts) ? d.facts.map(k, k.size() + d.facts[k].size()).sum() : 0)).sum() <= 262144",message="the ids, recipients and facts of the outbox must take at most 262144 characters in all"
	Outbox []Delivery `json:"outbox,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ct,categories=roster
// +kubebuilder:selectablefield:JSONPath=`.spec.email`
// +kubebuilder:selectablefield:JSONPath=`.spec.organizationRef.name`
// +kubebuilder:selectablefield:JSONPath=`.status.normalizedEmail`
// +kubebuilder:printcolumn:name="Organization",type=string,JSONPath=`.spec.organizationRef.name`,priority=1
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.spec.email`
// +kubebuilder:printcolumn:name="Roles",type=string,JSONPath=`.status.rolesSummary`
// +kubebuilder:printcolumn:name="Disabled",type=boolean,JSONPath=`.spec.disabled`,priority=1
// +kubebuilder:printcolumn:name="Away",type=boolean,JSONPath=`.spec.away`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(self.spec.reassignTo) || self.spec.reassignTo.name != self.metadata.name",message="spec.reassignTo must name another contact, not this one"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.deputies) || self.spec.deputies.all(d, d.name != self.metadata.name)",message="spec.deputies must name other contacts, not this one"

// Contact is a person or team address of an Organization that can hold roles and receive notifications.
type Contact struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the Contact.
	// +required
	Spec ContactSpec `json:"spec"`

	// status is the observed state of the Contact.
	// +optional
	Status ContactStatus `json:"status,omitempty"`
}

// ReconfirmationRequest is one request to a holder to confirm that it is still the right contact.
type ReconfirmationRequest struct {
	// round numbers the requests: the link of an earlier round no longer works.
	// +required
	Round int32 `json:"round"`

	// askedAt is when the request was issued; its email is in the outbox.
	// +required
	AskedAt metav1.Time `json:"askedAt"`

	// dueAt is when the holder lapses if it has not confirmed.
	// +required
	DueAt metav1.Time `json:"dueAt"`

	// lapseNotified is true once the primary and administrative contacts were told of the lapse.
	// +optional
	LapseNotified bool `json:"lapseNotified,omitempty"`
}

// +kubebuilder:object:root=true

// ContactList is a list of Contacts.
type ContactList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Contact `json:"items"`
}

// Contact reasons.
const (
	// ContactDisabledReason means the contact is disabled and holds no active role.
	ContactDisabledReason = "ContactDisabled"
	// DuplicateEmailReason means an older contact of the same organization uses the same email.
	DuplicateEmailReason = "DuplicateEmail"
	// SuccessorUnavailableReason means spec.reassignTo names a contact that cannot take the roles over.
	SuccessorUnavailableReason = "SuccessorUnavailable"
)

// EmailVerifiedCondition says whether status.verifiedEmail is known to reach the contact.
const EmailVerifiedCondition = "EmailVerified"

// EmailVerified reasons.
const (
	// EmailDeclaredReason (False): the first address, used as declared until the contact uses a token
	// sent there.
	EmailDeclaredReason = "Declared"
	// EmailVerifiedReason (True): the contact used a token sent to the address, or confirmed it.
	EmailVerifiedReason = "Verified"
	// EmailAwaitingConfirmationReason (False): spec.email changed; tokens and notices still go to
	// status.verifiedEmail until the change is confirmed (and approved).
	EmailAwaitingConfirmationReason = "AwaitingConfirmation"
	// EmailChangeRefusedReason (False): the old address or an initiator refused the change of address.
	EmailChangeRefusedReason = "EmailChangeRefused"
	// NoEmailChannelReason (Unknown): the organization sends no email; addresses stay as declared.
	NoEmailChannelReason = "NoEmailChannel"
)

// ReconfirmedCondition says whether a holder of a principal role confirmed, within the organization's
// spec.reconfirmation period, that it is still the right contact.
const ReconfirmedCondition = "Reconfirmed"

// Reconfirmed reasons.
const (
	// ReconfirmedReason (True): the contact confirmed at status.reconfirmedAt, within the period.
	ReconfirmedReason = "Reconfirmed"
	// AwaitingReconfirmationReason (Unknown): a request was sent and is not due yet, or the first request
	// is scheduled.
	AwaitingReconfirmationReason = "AwaitingReconfirmation"
	// ReconfirmationLapsedReason (False): the request is past its due date; the role is kept.
	ReconfirmationLapsedReason = "ReconfirmationLapsed"
)

func init() {
	SchemeBuilder.Register(&Contact{}, &ContactList{})
}
