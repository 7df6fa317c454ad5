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

// RoleAssignmentSpec is the desired state of a RoleAssignment.
// +kubebuilder:validation:XValidation:rule="self.organizationRef == oldSelf.organizationRef",message="spec.organizationRef is immutable: create a new RoleAssignment instead"
// +kubebuilder:validation:XValidation:rule="self.role == oldSelf.role",message="spec.role is immutable: create a RoleAssignment for the other role instead"
// +kubebuilder:validation:XValidation:rule="self.scope == oldSelf.scope",message="spec.scope is immutable: create a RoleAssignment for the other scope instead"
type RoleAssignmentSpec struct {
	// organizationRef names the Organization whose role this assigns. Immutable.
	// +required
	OrganizationRef LocalObjectReference `json:"organizationRef"`

	// role is the name of a role of the organization's catalogue (built in or from spec.roles). Immutable.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Role string `json:"role"`

	// scope is the site, service or order a scoped role covers, one of the organization's spec.scopes;
	// "" for unscoped roles and for organizations without scopes. Immutable.
	// +optional
	// +kubebuilder:default=""
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$`
	Scope string `json:"scope"`

	// contactRef names the desired holder. For a role whose changes need approval, changing it opens a
	// ContactTransfer and status.holder stays on the old contact until the transfer completes.
	// +required
	ContactRef LocalObjectReference `json:"contactRef"`

	// validUntil, when set, is when the assignment stops being in effect: a stand-in during a leave, a
	// contractor's engagement. The holder, the primary and the administrative contacts are told 7 days and
	// 1 day before, and when it ends. Moving it later before the end keeps the holder; once it has passed,
	// the contact takes the role again only as any new holder does (with approval for a gated role).
	// Admission refuses a time in the past when it is set or changed.
	// +optional
	ValidUntil *metav1.Time `json:"validUntil,omitempty"`
}

// RoleAssignmentStatus is the observed state of a RoleAssignment.
type RoleAssignmentStatus struct {
	// conditions: Ready is False with a reason (Conflict, ContactDisabled, ContactNotFound,
	// OrganizationNotFound, UnknownRole, ScopeRequired, ScopeNotAllowed, ...) when the assignment cannot
	// take effect.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:XValidation:rule="self.message.size() <= 4096",message="message must be at most 4096 characters"
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the metadata.generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// holder is the name of the Contact that holds the role through this assignment now. It lags
	// spec.contactRef while an approval-gated change is pending, and is empty while the assignment is
	// not in effect.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Holder string `json:"holder,omitempty"`

	// grant says how the holder, or the last holder when there is none now, came to hold the role:
	// InitialRoster, Transfer (status.transfer names it) or Direct (the role needs no approval). Once set
	// it stays: an assignment that lost its holder never takes the initial roster path again.
	// +optional
	Grant Grant `json:"grant,omitempty"`

	// holderUID is the UID of the holder's Contact: a Contact deleted and created again with the same
	// name is a new person, who needs the approvals again.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	HolderUID string `json:"holderUID,omitempty"`

	// transfer names the ContactTransfer that carries a pending change of holder to spec.contactRef,
	// or the one that gave the role to the holder, for roles whose changes need approval.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Transfer string `json:"transfer,omitempty"`

	// expiryNotice records the last notice sent about spec.validUntil, so that each is sent once.
	// +optional
	ExpiryNotice *ExpiryNotice `json:"expiryNotice,omitempty"`

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
// +kubebuilder:resource:shortName=ra,categories=roster
// +kubebuilder:selectablefield:JSONPath=`.spec.organizationRef.name`
// +kubebuilder:selectablefield:JSONPath=`.spec.role`
// +kubebuilder:selectablefield:JSONPath=`.spec.contactRef.name`
// +kubebuilder:printcolumn:name="Organization",type=string,JSONPath=`.spec.organizationRef.name`,priority=1
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.role`
// +kubebuilder:printcolumn:name="Scope",type=string,JSONPath=`.spec.scope`
// +kubebuilder:printcolumn:name="Holder",type=string,JSONPath=`.status.holder`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Valid-Until",type=string,JSONPath=`.spec.validUntil`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// RoleAssignment gives a role of an Organization, in a scope, to a Contact.
type RoleAssignment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the RoleAssignment.
	// +required
	Spec RoleAssignmentSpec `json:"spec"`

	// status is the observed state of the RoleAssignment.
	// +optional
	Status RoleAssignmentStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RoleAssignmentList is a list of RoleAssignments.
type RoleAssignmentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RoleAssignment `json:"items"`
}

// RoleAssignment reasons.
const (
	// ConflictReason means another assignment of the same role and scope holds the last free place
	// (the oldest assignment wins).
	ConflictReason = "Conflict"
	// DuplicateReason means an older assignment already gives the same role and scope to the same contact.
	DuplicateReason = "Duplicate"
	// UnknownRoleReason means spec.role is not in the organization's catalogue.
	UnknownRoleReason = "UnknownRole"
	// ScopeRequiredReason means a scoped role was assigned without one of the organization's scopes.
	ScopeRequiredReason = "ScopeRequired"
	// ScopeNotAllowedReason means an unscoped role was given a scope, or the scope is not listed.
	ScopeNotAllowedReason = "ScopeNotAllowed"
	// TransferRefusedReason means the change of holder to spec.contactRef was refused, expired or locked:
	// point spec.contactRef back at the holder, or at another contact, to try again.
	TransferRefusedReason = "TransferRefused"
	// ContactOfOtherOrganizationReason means the contact belongs to another organization.
	ContactOfOtherOrganizationReason = "ContactOfOtherOrganization"
	// RequesterNotAllowedReason means the roster.dev/requested-by annotation names a contact that may not
	// request the change (gone, disabled, not an initiator, or the incoming contact itself).
	RequesterNotAllowedReason = "RequesterNotAllowed"
	// InitialRosterReason means the holder took the role as declared, with the organization's initial
	// roster (see Organization spec.approval.initialRosterWindow), without approval.
	InitialRosterReason = "InitialRoster"
	// TransferCompletedReason means the holder took the role through a ContactTransfer every party
	// approved (status.transfer names it).
	TransferCompletedReason = "TransferCompleted"
)

// ExpiryStage is how close spec.validUntil is when a notice about it is sent.
// +kubebuilder:validation:Enum=Week;Day;Ended
type ExpiryStage string

const (
	// ExpiryWeek: the assignment ends within 7 days.
	ExpiryWeek ExpiryStage = "Week"
	// ExpiryDay: the assignment ends within a day.
	ExpiryDay ExpiryStage = "Day"
	// ExpiryEnded: the assignment ended.
	ExpiryEnded ExpiryStage = "Ended"
)

// ExpiryNotice is the last notice sent about an assignment's spec.validUntil.
type ExpiryNotice struct {
	// validUntil is the spec.validUntil the notice was about.
	// +required
	ValidUntil metav1.Time `json:"validUntil"`
	// stage is the notice sent: Week, Day or Ended.
	// +required
	Stage ExpiryStage `json:"stage"`
}

// RequestedByAnnotation on a RoleAssignment names the contact who asks for the change of holder that an
// edit of spec.contactRef opens; the operator records it on that ContactTransfer and never removes it.
const RequestedByAnnotation = "roster.dev/requested-by"

// Who asked, for status.history of the Organization. The admission webhooks write these annotations and
// keep any other value out: a client cannot forge them.
const (
	// ChangedByAnnotation names the Kubernetes user who created the RoleAssignment or last changed its spec.
	ChangedByAnnotation = "roster.dev/changed-by"
	// DeletedByAnnotation names the Kubernetes user whose deletion of the RoleAssignment was admitted.
	DeletedByAnnotation = "roster.dev/deleted-by"
)

// AssignmentFinalizer keeps a deleted RoleAssignment until its Organization recorded the deletion in
// status.history and told the holder; it is removed at once when the organization or namespace goes.
const AssignmentFinalizer = "roster.dev/assignment"

// Grant says how the holder of an assignment came to hold the role.
// +kubebuilder:validation:Enum=InitialRoster;Transfer;Direct
type Grant string

const (
	// GrantInitialRoster: declared with the organization's initial roster.
	GrantInitialRoster Grant = "InitialRoster"
	// GrantTransfer: through an approved ContactTransfer.
	GrantTransfer Grant = "Transfer"
	// GrantDirect: the role needs no approval.
	GrantDirect Grant = "Direct"
)

func init() {
	SchemeBuilder.Register(&RoleAssignment{}, &RoleAssignmentList{})
}
