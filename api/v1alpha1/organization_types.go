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

// RoleApproval says what a change of a role's holder needs.
// +kubebuilder:validation:Enum=None;TwoParty
type RoleApproval string

const (
	// RoleApprovalNone lets the holder change as soon as the RoleAssignment changes.
	RoleApprovalNone RoleApproval = "None"
	// RoleApprovalTwoParty makes a change of holder wait for the requester and the incoming contact to
	// approve it, each with a personal single-use token.
	RoleApprovalTwoParty RoleApproval = "TwoParty"
)

// SMTPTLSMode says how the connection to the SMTP server is secured.
// +kubebuilder:validation:Enum=StartTLS;TLS;None
type SMTPTLSMode string

const (
	// SMTPTLSStartTLS upgrades a plain connection with STARTTLS (usually port 587).
	SMTPTLSStartTLS SMTPTLSMode = "StartTLS"
	// SMTPTLSImplicit opens a TLS connection from the start (usually port 465).
	SMTPTLSImplicit SMTPTLSMode = "TLS"
	// SMTPTLSNone sends in clear text; only for a relay on a trusted network.
	SMTPTLSNone SMTPTLSMode = "None"
)

// Scope is a site, service or order that scoped roles are held for.
type Scope struct {
	// name of the scope, as RoleAssignments and ContactTransfers name it in their spec.scope.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// requiredRoles are scoped roles this scope needs a holder of even when the role is not required
	// elsewhere (IBM recommends a renewal contact per site; a site may require one).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	RequiredRoles []string `json:"requiredRoles,omitempty"`

	// exemptRoles are scoped roles this scope does not need a holder of, though the role is required
	// (a site without active support needs no technical contact).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	ExemptRoles []string `json:"exemptRoles,omitempty"`
}

// RoleDefinition overrides a built-in role by name or adds a new one. Fields left unset keep the built-in
// role's value; for a new role they take the defaults documented on each field.
// +kubebuilder:validation:XValidation:rule="!has(self.minHolders) || !has(self.maxHolders) || self.maxHolders == 0 || self.minHolders <= self.maxHolders",message="minHolders must not exceed maxHolders (0 means unbounded)"
type RoleDefinition struct {
	// name of the role, e.g. billing or security-updates. Naming a built-in role overrides it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// minHolders is how many holders each scope of this role needs; above 0 the role is required and a
	// vacancy makes the Organization RolesSatisfied=False. New roles default to 0.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MinHolders *int32 `json:"minHolders,omitempty"`

	// maxHolders is the most holders each scope of this role may have; 0 means unbounded.
	// New roles default to 0.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	MaxHolders *int32 `json:"maxHolders,omitempty"`

	// scoped roles are held per scope of spec.scopes (a site, service or order) rather than once for the
	// whole organization. New roles default to false.
	// +optional
	Scoped *bool `json:"scoped,omitempty"`

	// approval says what a change of holder needs: None, or TwoParty (the requester and the incoming
	// contact each approve with a personal token). New roles default to None.
	// +optional
	Approval RoleApproval `json:"approval,omitempty"`

	// initiators are the roles whose holders may start a change of this role's holder. The current holder
	// may always name its own successor. New roles default to [primary, administrative].
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=63
	Initiators []string `json:"initiators,omitempty"`

	// requiresGoodStanding makes a change of holder need both contacts in accountStanding Good, checked
	// when the transfer is validated and again when it completes. New roles default to false.
	// +optional
	RequiresGoodStanding *bool `json:"requiresGoodStanding,omitempty"`

	// notificationOnly roles grant no access; their holders only receive the notices the role is about
	// (unpaid invoices, security updates, ...). New roles default to false.
	// +optional
	NotificationOnly *bool `json:"notificationOnly,omitempty"`

	// recommended roles should have a holder: a vacancy shows in the Organization's RolesRecommended
	// condition, which is informative only and never makes it not Ready. New roles default to false.
	// +optional
	Recommended *bool `json:"recommended,omitempty"`

	// initiatorsInScope makes the holders of a scoped initiator role count only in the scope of the change:
	// IBM's site technical contact approves the requests of its own site only. New roles default to false.
	// +optional
	InitiatorsInScope *bool `json:"initiatorsInScope,omitempty"`

	// selfNomination lets a contact ask for this role itself (IBM Passport Advantage's self-nomination):
	// a RoleAssignment that gives the role to a contact that holds it nowhere yet stays pending until the
	// primary contact approves it with a token. New roles default to false.
	// +optional
	SelfNomination *bool `json:"selfNomination,omitempty"`
}

// ApprovalSettings tune the two-party approval of a change of holder.
type ApprovalSettings struct {
	// tokenTTL is how long a ContactTransfer waits for its approvals before it expires: from 1m to 720h
	// (30 days).
	// +optional
	// +kubebuilder:default="168h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('720h')",message="tokenTTL must be between 1m and 720h, e.g. 168h for a week"
	TokenTTL *metav1.Duration `json:"tokenTTL,omitempty"`

	// maxAttempts is how many wrong tokens a ContactTransfer tolerates before it is locked.
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxAttempts *int32 `json:"maxAttempts,omitempty"`

	// initialRosterWindow makes the organization's initial roster take effect as declared: a
	// RoleAssignment created within this long of the Organization's creationTimestamp, and never edited
	// since (metadata.generation 1), gives its role at once, with no approval (Ready reason InitialRoster).
	// Every later holder of a two-party role needs the approvals. From 0s (no initial roster) to 24h;
	// immutable.
	// +optional
	// +kubebuilder:default="10m0s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('0s') && duration(self) <= duration('24h')",message="initialRosterWindow must be between 0s and 24h"
	// +kubebuilder:validation:XValidation:rule="duration(self) == duration(oldSelf)",message="initialRosterWindow is immutable: it fixes which assignments were the initial roster"
	InitialRosterWindow *metav1.Duration `json:"initialRosterWindow,omitempty"`

	// reminders are the points, as percentages of tokenTTL written like "50%", at which the parties of a
	// ContactTransfer that have not decided yet are reminded by email. Each is sent once per round of
	// tokens. An empty list sends no reminder.
	// +optional
	// +kubebuilder:default={"50%","90%"}
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:Pattern=`^[1-9][0-9]?%$`
	// +kubebuilder:validation:items:MaxLength=3
	// +listType=set
	Reminders []string `json:"reminders,omitempty"`

	// historyLimit is how many settled ContactTransfers (completed, refused, expired or locked) are kept per
	// organization as audit records, like a Job history limit; the oldest are deleted beyond it.
	// +optional
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	HistoryLimit *int32 `json:"historyLimit,omitempty"`
}

// ReconfirmationSettings ask the holders of principal roles, periodically, to confirm that they are still
// the right contact.
type ReconfirmationSettings struct {
	// every is how often each holder of a principal role (one that is not notification-only) is asked to
	// confirm, by email with a single-use link: from 1h to 87600h (10 years), e.g. 8760h for once a year.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1h') && duration(self) <= duration('87600h')",message="every must be between 1h and 87600h, e.g. 8760h for once a year"
	Every metav1.Duration `json:"every"`

	// within is how long a holder has to answer before it lapses: the primary and administrative
	// contacts are then told; the role is not revoked. At most every; unset, 336h (two weeks), or every
	// when that is shorter.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m')",message="within must be at least 1m"
	Within *metav1.Duration `json:"within,omitempty"`
}

// SMTPSettings say how to reach the mail server that sends notifications.
type SMTPSettings struct {
	// host name or address of the SMTP server.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`

	// port of the SMTP server: usually 587 with StartTLS, 465 with TLS, 25 with None.
	// +optional
	// +kubebuilder:default=587
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`

	// from is the sender address of the notifications.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Format=email
	From string `json:"from"`

	// tls is how the connection is secured: StartTLS, TLS (implicit) or None.
	// +optional
	// +kubebuilder:default=StartTLS
	TLS SMTPTLSMode `json:"tls,omitempty"`

	// credentialsSecretRef names a Secret with the data keys username and password, when the server
	// needs authentication.
	// +optional
	CredentialsSecretRef *SecretReference `json:"credentialsSecretRef,omitempty"`
}

// EmailSettings configure notifications by email.
type EmailSettings struct {
	// smtp is the mail server that sends the notifications.
	// +required
	SMTP SMTPSettings `json:"smtp"`
}

// WebhookSettings configure one receiver of signed JSON notifications.
type WebhookSettings struct {
	// name identifies the webhook in conditions and Events.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// url receives a JSON POST of every notification.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'https' || url(self).getScheme() == 'http')",message="url must be an absolute http or https URL"
	URL string `json:"url"`

	// secretRef names a Secret whose data key "key" signs each body with HMAC-SHA256
	// (header X-Roster-Signature: sha256=<hex>).
	// +required
	SecretRef SecretReference `json:"secretRef"`
}

// NotificationSettings say where notifications go besides Kubernetes Events.
type NotificationSettings struct {
	// email sends notifications to the contacts concerned, in their locale. Without it notifications
	// are Events only.
	// +optional
	Email *EmailSettings `json:"email,omitempty"`

	// webhooks each receive a signed JSON POST of every notification.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Webhooks []WebhookSettings `json:"webhooks,omitempty"`
}

// OrganizationSpec is the desired state of an Organization.
type OrganizationSpec struct {
	// displayName is the organization's name as people know it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	DisplayName string `json:"displayName"`

	// scopes are the sites, services or orders that scoped roles (technical, technical-secondary) are
	// held for. An organization that lists none has the single scope "". Their requiredRoles and
	// exemptRoles name at most 1024 roles in all.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:XValidation:rule="self.map(s, (has(s.requiredRoles) ? s.requiredRoles.size() : 0) + (has(s.exemptRoles) ? s.exemptRoles.size() : 0)).sum() <= 1024",message="the scopes' requiredRoles and exemptRoles must name at most 1024 roles in all"
	Scopes []Scope `json:"scopes,omitempty"`

	// roles override built-in roles by name, or add new ones, to form the organization's catalogue.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Roles []RoleDefinition `json:"roles,omitempty"`

	// approval tunes the two-party approval of holder changes.
	// +optional
	// +kubebuilder:default={}
	Approval ApprovalSettings `json:"approval,omitempty"`

	// notifications say where notifications go besides Kubernetes Events.
	// +optional
	Notifications *NotificationSettings `json:"notifications,omitempty"`

	// reconfirmation, when set, asks the holders of principal roles periodically to confirm that they are
	// still the right contact.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.within) || duration(self.within) <= duration(self.every)",message="reconfirmation.within must not be longer than reconfirmation.every"
	Reconfirmation *ReconfirmationSettings `json:"reconfirmation,omitempty"`
}

// Bounds of an Organization's status.roles, which lists every holder of every (role, scope): the operator
// leaves rows and holders out beyond them (status.omittedRoles counts them).
const (
	// MaxRoleRows is the most rows status.roles has.
	MaxRoleRows = 4096
	// MaxRoleHolders is the most holders a row lists.
	MaxRoleHolders = 1000
	// MaxRolesBytes is about the most JSON status.roles takes.
	MaxRolesBytes = 256 << 10
)

// HolderChangeKind says how a change of holder happened.
// +kubebuilder:validation:Enum=InitialRoster;Assignment;Transfer;Override;Reassignment;Deletion;Expiry;Vacated
type HolderChangeKind string

const (
	// HolderChangeInitialRoster: declared with the organization's initial roster.
	HolderChangeInitialRoster HolderChangeKind = "InitialRoster"
	// HolderChangeAssignment: a RoleAssignment of a role that needs no approval was created or repointed.
	HolderChangeAssignment HolderChangeKind = "Assignment"
	// HolderChangeTransfer: a ContactTransfer approved by its parties moved the role.
	HolderChangeTransfer HolderChangeKind = "Transfer"
	// HolderChangeOverride: a ContactTransfer moved the role with at least one decision taken by
	// break-glass (a Kubernetes user granted the verb approve).
	HolderChangeOverride HolderChangeKind = "Override"
	// HolderChangeReassignment: the holder was disabled with spec.reassignTo and the role moved to its
	// successor.
	HolderChangeReassignment HolderChangeKind = "Reassignment"
	// HolderChangeDeletion: the RoleAssignment was deleted.
	HolderChangeDeletion HolderChangeKind = "Deletion"
	// HolderChangeExpiry: the RoleAssignment's spec.validUntil passed.
	HolderChangeExpiry HolderChangeKind = "Expiry"
	// HolderChangeVacated: the holder lost the role otherwise (disabled, deleted, of another
	// organization, in conflict).
	HolderChangeVacated HolderChangeKind = "Vacated"
)

// HistoryApproval is one party's approval of a change of holder.
type HistoryApproval struct {
	// contact is the name of the party's Contact.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Contact string `json:"contact"`

	// decidedAt is when it approved.
	// +optional
	DecidedAt *metav1.Time `json:"decidedAt,omitempty"`

	// via is how: Link, Annotation or Override.
	// +optional
	Via DecisionChannel `json:"via,omitempty"`

	// user is the Kubernetes user of an Override.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	User string `json:"user,omitempty"`
}

// HolderChange is one change of holder of a (role, scope), as status.history keeps it.
type HolderChange struct {
	// role is the name of the role.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Role string `json:"role"`

	// scope of the role; "" for unscoped roles.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Scope string `json:"scope,omitempty"`

	// holder is the Contact that holds the role from since on; empty when the change left it without
	// this holder (a deletion, an expiry).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Holder string `json:"holder,omitempty"`

	// previous is the Contact that held it before, if any.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Previous string `json:"previous,omitempty"`

	// since is when the change took effect.
	// +required
	Since metav1.Time `json:"since"`

	// how the change happened.
	// +required
	How HolderChangeKind `json:"how"`

	// assignment is the RoleAssignment through which the role is (or was) held.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Assignment string `json:"assignment,omitempty"`

	// transfer is the ContactTransfer that moved the role, for Transfer, Override and Reassignment.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Transfer string `json:"transfer,omitempty"`

	// requestedBy is the Contact that asked for the change, when one did.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RequestedBy string `json:"requestedBy,omitempty"`

	// user is the Kubernetes user who asked: who created the transfer, last changed the assignment, or
	// deleted it.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	User string `json:"user,omitempty"`

	// approvals are the approvals the change counted, each with when and through which channel.
	// +optional
	// +kubebuilder:validation:MaxItems=4
	Approvals []HistoryApproval `json:"approvals,omitempty"`
}

// RoleHolders is one row of the effective catalogue: a role in one scope and who holds it.
type RoleHolders struct {
	// role is the name of the role.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Role string `json:"role"`

	// scope the row is about; "" for unscoped roles and for organizations without scopes.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Scope string `json:"scope"`

	// holders are the names of the Contacts that hold the role in this scope now.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=1000
	// +kubebuilder:validation:items:MaxLength=253
	Holders []string `json:"holders,omitempty"`

	// required is true when the role needs at least one holder.
	// +required
	Required bool `json:"required"`

	// satisfied is true when the holder count is within the role's bounds.
	// +required
	Satisfied bool `json:"satisfied"`
}

// OrganizationStatus is the observed state of an Organization.
type OrganizationStatus struct {
	// conditions: Ready summarises; RolesSatisfied is False while a required role is vacant and names it.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:XValidation:rule="self.message.size() <= 4096",message="message must be at most 4096 characters"
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the metadata.generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// roles is the effective catalogue with its holders, one row per (role, scope). It is kept within
	// 4096 rows, 1000 holders a row and about 256 KiB: beyond that, rows without holders that no one
	// requires are left out first, then the last rows and holders (omittedRoles counts them).
	// +optional
	// +kubebuilder:validation:MaxItems=4096
	Roles []RoleHolders `json:"roles,omitempty"`

	// omittedRoles counts the rows and holders left out of roles to keep the Organization within its
	// size bound; the conditions still count them.
	// +optional
	OmittedRoles int32 `json:"omittedRoles,omitempty"`

	// history records each change of holder of each (role, scope), oldest first. It keeps the newest 128
	// entries and at most 48 KiB of names and users: deleting an assignment or a transfer does not erase it.
	// +optional
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:XValidation:rule="self.map(h, h.role.size() + (has(h.scope) ? h.scope.size() : 0) + (has(h.holder) ? h.holder.size() : 0) + (has(h.previous) ? h.previous.size() : 0) + (has(h.assignment) ? h.assignment.size() : 0) + (has(h.transfer) ? h.transfer.size() : 0) + (has(h.requestedBy) ? h.requestedBy.size() : 0) + (has(h.user) ? h.user.size() : 0) + (has(h.approvals) ? h.approvals.map(a, a.contact.size() + (has(a.user) ? a.user.size() : 0)).sum() : 0)).sum() <= 49152",message="the names and users of status.history must take at most 49152 characters in all"
	History []HolderChange `json:"history,omitempty"`

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
// +kubebuilder:resource:shortName=org,categories=roster
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Roles Satisfied",type=string,JSONPath=`.status.conditions[?(@.type=="RolesSatisfied")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Organization is a customer account whose contacts hold roles: the sites it has, the roles it uses and
// how changes of holder are approved and announced.
type Organization struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the Organization.
	// +required
	Spec OrganizationSpec `json:"spec"`

	// status is the observed state of the Organization.
	// +optional
	Status OrganizationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// OrganizationList is a list of Organizations.
type OrganizationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Organization `json:"items"`
}

// Organization conditions and reasons.
const (
	// RolesSatisfiedCondition is False while a required role has fewer holders than it needs.
	RolesSatisfiedCondition = "RolesSatisfied"
	// RolesSatisfiedReason means every role has a holder count within its bounds.
	RolesSatisfiedReason = "AllRolesHeld"
	// RequiredRoleVacantReason means at least one required role lacks a holder.
	RequiredRoleVacantReason = "RequiredRoleVacant"
	// InvalidCatalogueReason means spec.roles does not form a valid catalogue.
	InvalidCatalogueReason = "InvalidCatalogue"
	// RolesRecommendedCondition is False while a recommended role has no holder; it is informative only.
	RolesRecommendedCondition = "RolesRecommended"
	// RecommendedRolesHeldReason means every recommended role has a holder.
	RecommendedRolesHeldReason = "RecommendedRolesHeld"
	// RecommendedRoleVacantReason means a recommended role has no holder.
	RecommendedRoleVacantReason = "RecommendedRoleVacant"
)

// OrganizationFinalizer lets the operator tell every holder when an organization is deleted.
const OrganizationFinalizer = "roster.dev/organization"

func init() {
	SchemeBuilder.Register(&Organization{}, &OrganizationList{})
}

// A Secret named by spec.notifications.email.smtp.credentialsSecretRef must be made for it: of type
// SMTPCredentialsSecretType, or labelled SMTPCredentialsLabel=true. The operator sends its password to
// the host the Organization names, so it never sends one from any other Secret of the namespace.
const (
	SMTPCredentialsSecretType = "roster.dev/smtp-credentials"
	SMTPCredentialsLabel      = "roster.dev/smtp-credentials"
)
