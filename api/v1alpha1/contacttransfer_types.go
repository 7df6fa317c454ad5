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

// Decision is a party's answer to a ContactTransfer.
// +kubebuilder:validation:Enum=Pending;Approved;Refused
type Decision string

const (
	// DecisionPending means the party has not answered yet.
	DecisionPending Decision = "Pending"
	// DecisionApproved means the party approved the transfer with its token.
	DecisionApproved Decision = "Approved"
	// DecisionRefused means the party refused the transfer with its token.
	DecisionRefused Decision = "Refused"
)

// DecisionChannel says how a party gave its decision.
// +kubebuilder:validation:Enum=Link;Annotation;Override
type DecisionChannel string

const (
	// DecisionViaLink means the party used the link of its email (the approval web page).
	DecisionViaLink DecisionChannel = "Link"
	// DecisionViaAnnotation means the party annotated the ContactTransfer with the code of its email.
	DecisionViaAnnotation DecisionChannel = "Annotation"
	// DecisionViaOverride means a Kubernetes user granted the verb approve on contacttransfers decided
	// for the party (break-glass); the row names that user.
	DecisionViaOverride DecisionChannel = "Override"
)

// PartyKind says why a party's consent is asked.
// +kubebuilder:validation:Enum=Incoming;Initiator
type PartyKind string

const (
	// PartyIncoming is the contact that becomes the holder; its approval is always needed.
	PartyIncoming PartyKind = "Incoming"
	// PartyInitiator is a contact entitled to start the change (the requester, or when none is named a
	// holder of the role's initiators, the outgoing holder included); one approval among them is needed.
	PartyInitiator PartyKind = "Initiator"
)

// MaxApprovers bounds the parties asked to approve one transfer: the incoming contact and at most
// MaxApprovers-1 initiators (the first by name). status.approvals holds at most twice as many rows, so
// that decided rows of contacts that stopped being parties stay for the audit trail.
const MaxApprovers = 16

// ContactTransferSpec is the desired state of a ContactTransfer. It is immutable: to change a request,
// delete it (which cancels it) and create another.
// +kubebuilder:validation:XValidation:rule="!has(self.from) || self.from.name != self.to.name",message="spec.to must differ from spec.from: a transfer moves a role to another contact",fieldPath=".to"
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable: delete this ContactTransfer (which cancels it) and create a new one"
type ContactTransferSpec struct {
	// organizationRef names the Organization whose role moves.
	// +required
	OrganizationRef LocalObjectReference `json:"organizationRef"`

	// role is the name of the role that moves.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Role string `json:"role"`

	// scope of the role that moves; "" for unscoped roles and organizations without scopes.
	// +optional
	// +kubebuilder:default=""
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$`
	Scope string `json:"scope"`

	// from names the current holder; omit it when the role is vacant.
	// +optional
	From *LocalObjectReference `json:"from,omitempty"`

	// to names the contact that becomes the holder.
	// +required
	To LocalObjectReference `json:"to"`

	// requestedBy names the contact who asks for the change: a holder of one of the role's initiator
	// roles (primary or administrative by default), or the current holder naming its successor. It is
	// the second party that approves, besides spec.to. When omitted (as in the transfers the operator
	// opens for a Git edit or a new assignment), any one holder of the role's initiators other than
	// spec.to approves, the outgoing holder included.
	// +optional
	RequestedBy *LocalObjectReference `json:"requestedBy,omitempty"`

	// reason tells the parties and the auditors why the role moves.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason,omitempty"`

	// username is the Kubernetes user that created the transfer, recorded by the admission webhook for
	// the audit trail; a value given by the client is replaced.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Username string `json:"username,omitempty"`

	// groups are the Kubernetes groups of the user that created the transfer, recorded by the admission
	// webhook.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=512
	Groups []string `json:"groups,omitempty"`
}

// PartyApproval is the decision of one party whose consent the transfer needs.
type PartyApproval struct {
	// contact is the name of the party's Contact.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Contact string `json:"contact"`

	// as says why the party is asked: Incoming (the new holder, always needed) or Initiator (one
	// approval among the initiator rows is enough).
	// +optional
	As PartyKind `json:"as,omitempty"`

	// decision is Pending until the party approves or refuses with its token.
	// +required
	Decision Decision `json:"decision"`

	// decidedAt is when the party decided.
	// +optional
	DecidedAt *metav1.Time `json:"decidedAt,omitempty"`

	// via is how the party decided: Link (the approval page), Annotation (kubectl annotate with the code
	// of its email) or Override (break-glass by a Kubernetes user granted the verb approve).
	// +optional
	Via DecisionChannel `json:"via,omitempty"`

	// email is the address the party's token was sent to, when it decided with it (Link or Annotation):
	// using it verifies that address.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email,omitempty"`

	// user is the Kubernetes user that recorded an Override decision.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	User string `json:"user,omitempty"`
}

// AssignmentBinding names the one RoleAssignment an approved transfer changes.
type AssignmentBinding struct {
	// name of the RoleAssignment.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// uid of the RoleAssignment: an approval changes that object only, never one recreated with the
	// same name.
	// +required
	// +kubebuilder:validation:MaxLength=128
	UID string `json:"uid"`
}

// ContactTransferStatus is the observed state of a ContactTransfer.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.conditions) || oldSelf.conditions.all(c, !(c.type in ['Approved', 'Refused', 'Expired', 'Completed'] && c.status == 'True') || (has(self.conditions) && self.conditions.exists(n, n.type == c.type && n.status == 'True')))",message="status.conditions: Approved, Refused, Expired and Completed are one-way: a condition that is True never goes back"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.round) || (has(self.round) && self.round >= oldSelf.round)",message="status.round never goes back: the secrets of an earlier round stay dead"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.failedAttempts) || (has(self.failedAttempts) && self.failedAttempts >= oldSelf.failedAttempts)",message="status.failedAttempts never goes back"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.completedAt) || (has(self.completedAt) && self.completedAt == oldSelf.completedAt)",message="status.completedAt never changes once set"
type ContactTransferStatus struct {
	// conditions: Ready summarises; Approved, Refused, Expired and Completed are one-way (once True they
	// stay True).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:XValidation:rule="self.message.size() <= 4096",message="message must be at most 4096 characters"
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the metadata.generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// approvals has one row per party whose consent is needed.
	// +optional
	// +listType=map
	// +listMapKey=contact
	// +kubebuilder:validation:MaxItems=32
	Approvals []PartyApproval `json:"approvals,omitempty"`

	// awaiting lists, comma-separated, the parties whose decision is awaited (the PENDING column).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Awaiting string `json:"awaiting,omitempty"`

	// round numbers the current set of tokens: 1 for the first, one more for each resend. Tokens of an
	// earlier round no longer work.
	// +optional
	Round int32 `json:"round,omitempty"`

	// notifiedRound is the last round whose tokens were sent to the parties.
	// +optional
	NotifiedRound int32 `json:"notifiedRound,omitempty"`

	// roundIssuedAt is when the tokens of notifiedRound were issued: a resend waits until a while after.
	// +optional
	RoundIssuedAt *metav1.Time `json:"roundIssuedAt,omitempty"`

	// remindedAt lists, for notifiedRound, the reminder points of the organization's
	// spec.approval.reminders already sent to the parties still undecided ("50%", "90%"): each is sent
	// once per round.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=3
	Reminded []string `json:"reminded,omitempty"`

	// failedAttempts counts wrong tokens; at the organization's approval.maxAttempts the transfer is
	// locked.
	// +optional
	FailedAttempts int32 `json:"failedAttempts,omitempty"`

	// expiresAt is when the transfer expires if it is still waiting for approvals.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// completedAt is when the role moved.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`

	// assignment is the RoleAssignment the approved transfer changes, bound once when the move starts:
	// the approval counts for that object and this round only.
	// +optional
	Assignment *AssignmentBinding `json:"assignment,omitempty"`

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
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.status) || has(self.status)",message="status cannot be removed: its decisions are one-way"
// +kubebuilder:resource:shortName=xfer,categories=roster
// +kubebuilder:selectablefield:JSONPath=`.spec.organizationRef.name`
// +kubebuilder:selectablefield:JSONPath=`.spec.from.name`
// +kubebuilder:selectablefield:JSONPath=`.spec.to.name`
// +kubebuilder:selectablefield:JSONPath=`.spec.requestedBy.name`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.role`
// +kubebuilder:printcolumn:name="Scope",type=string,JSONPath=`.spec.scope`,priority=1
// +kubebuilder:printcolumn:name="From",type=string,JSONPath=`.spec.from.name`
// +kubebuilder:printcolumn:name="To",type=string,JSONPath=`.spec.to.name`
// +kubebuilder:printcolumn:name="Approved",type=string,JSONPath=`.status.conditions[?(@.type=="Approved")].status`
// +kubebuilder:printcolumn:name="Pending",type=string,JSONPath=`.status.awaiting`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Expires",type=date,JSONPath=`.status.expiresAt`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ContactTransfer asks to move a role from one contact to another. When the role's changes need
// approval, every party approves with a personal single-use token before the role moves.
type ContactTransfer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the requested change.
	// +required
	Spec ContactTransferSpec `json:"spec"`

	// status is the progress of the request.
	// +optional
	Status ContactTransferStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ContactTransferList is a list of ContactTransfers.
type ContactTransferList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ContactTransfer `json:"items"`
}

// ContactTransfer conditions. Approved, Refused, Expired and Completed are one-way.
const (
	// ApprovedCondition is True once every party approved.
	ApprovedCondition = "Approved"
	// RefusedCondition is True once a party refused, or the transfer was locked after too many wrong tokens.
	RefusedCondition = "Refused"
	// ExpiredCondition is True once the transfer outlived the organization's approval.tokenTTL.
	ExpiredCondition = "Expired"
	// CompletedCondition is True once the role moved.
	CompletedCondition = "Completed"
)

// ContactTransfer reasons.
const (
	// AwaitingApprovalReason means some parties have not decided yet.
	AwaitingApprovalReason = "AwaitingApproval"
	// ApprovedReason means every party approved.
	ApprovedReason = "Approved"
	// CompletedReason means the role moved.
	CompletedReason = "Completed"
	// RefusedReason means a party refused.
	RefusedReason = "Refused"
	// LockedReason means too many wrong tokens were tried: the transfer is refused.
	LockedReason = "Locked"
	// ExpiredReason means the transfer outlived approval.tokenTTL; on a RoleAssignment, that its
	// spec.validUntil has passed: it did what it declared and holds nothing (Ready stays True, so GitOps
	// health checks settle).
	ExpiredReason = "Expired"
	// InvalidTransferReason means the request breaks a rule (who may ask, who holds the role, ...).
	InvalidTransferReason = "InvalidTransfer"
	// AccountOverdueReason means a contact of a role that requires good standing has unpaid invoices.
	AccountOverdueReason = "AccountOverdue"
	// AssignmentGoneReason means the RoleAssignment the approved transfer was changing was deleted:
	// the approval counts for no other object.
	AssignmentGoneReason = "AssignmentGone"
)

// PurposeLabel marks the ContactTransfers the operator opens itself: HolderChangePurpose for a change of
// a RoleAssignment's spec.contactRef, ReassignmentPurpose for a disabled contact's successor.
const (
	PurposeLabel        = "roster.dev/purpose"
	HolderChangePurpose = "holder-change"
	ReassignmentPurpose = "reassignment"
)

// OpenedForAnnotation and OpenedForUIDAnnotation name the RoleAssignment a ContactTransfer of the operator
// was opened for (transfers are owned by their Organization, so that they outlive the assignment as audit
// records).
const (
	OpenedForAnnotation    = "roster.dev/opened-for"
	OpenedForUIDAnnotation = "roster.dev/opened-for-uid"
)

// TransferFinalizer lets the operator tell the parties when a pending transfer is deleted (cancelled).
const TransferFinalizer = "roster.dev/transfer"

// Annotations a party uses to decide, and to ask for new tokens.
const (
	// ApproveAnnotation carries a party's approval code (from its email) to approve the transfer; the
	// operator consumes and removes it. A refusal code does not approve.
	ApproveAnnotation = "roster.dev/approve"
	// RefuseAnnotation carries a party's refusal code to refuse the transfer; the operator consumes and
	// removes it. An approval code does not refuse.
	RefuseAnnotation = "roster.dev/refuse"
	// ResendAnnotation asks for new tokens (the old ones stop working) to be sent again.
	ResendAnnotation = "roster.dev/resend"
	// OverrideAnnotation records a decision for a party without its token (break-glass):
	// "<party>=Approved" or "<party>=Refused". Admission accepts it only from a Kubernetes user granted
	// the verb approve on contacttransfers.roster.dev; the operator consumes and removes it.
	OverrideAnnotation = "roster.dev/override"
	// OverrideByAnnotation is stamped by the admission webhook with the user who wrote OverrideAnnotation;
	// a value written by a client is replaced.
	OverrideByAnnotation = "roster.dev/override-by"
)

func init() {
	SchemeBuilder.Register(&ContactTransfer{}, &ContactTransferList{})
}

// ResendLimitedCondition is True while a roster.dev/resend waits for its time (reason ResendTooSoon) or
// was refused (TooManyRounds); it goes once a resend goes through.
const ResendLimitedCondition = "ResendLimited"

// Resend reasons.
const (
	ResendTooSoonReason = "ResendTooSoon"
	TooManyRoundsReason = "TooManyRounds"
)
