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

// LocalObjectReference names an object of the same namespace, like a RoleBinding names a Role.
// +structType=atomic
type LocalObjectReference struct {
	// name of the referenced object, in the same namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// SecretReference names a Secret of the same namespace.
// +structType=atomic
type SecretReference struct {
	// name of the Secret, in the same namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// Condition types shared by the Roster kinds. They follow kstatus: Ready is the summary, Stalled is
// abnormal-true (present and True only when the object cannot progress without a change from a person).
const (
	// ReadyCondition summarises whether the object is in effect.
	ReadyCondition = "Ready"
	// StalledCondition is True when the object cannot make progress until someone changes it.
	StalledCondition = "Stalled"
)

// MaxConditionMessage is the most characters of a condition's message: the CRDs refuse longer ones (the
// rule on status.conditions), and the operator cuts its own to fit.
const MaxConditionMessage = 4096

// Reasons shared by the Roster kinds.
const (
	// ReconciledReason means the object is in effect.
	ReconciledReason = "Reconciled"
	// OrganizationNotFoundReason means the referenced Organization does not exist.
	OrganizationNotFoundReason = "OrganizationNotFound"
	// ContactNotFoundReason means a referenced Contact does not exist.
	ContactNotFoundReason = "ContactNotFound"
)
