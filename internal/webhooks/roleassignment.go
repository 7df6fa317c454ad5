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

package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// +kubebuilder:webhook:path=/validate-roster-dev-v1alpha1-roleassignment,mutating=false,failurePolicy=fail,sideEffects=NoneOnDryRun,groups=roster.dev,resources=roleassignments,verbs=create;update;delete,versions=v1alpha1,name=vroleassignment.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5

// RoleAssignmentValidator admits a RoleAssignment only when it names an existing organization, an enabled
// contact of it and a role of its catalogue in a valid scope, with a place left for it; and refuses to
// delete the last holder of a required role.
type RoleAssignmentValidator struct {
	*reader
	// writer stamps roster.dev/deleted-by on an assignment whose deletion is admitted.
	writer client.Writer
}

var _ admission.Validator[*v1alpha1.RoleAssignment] = &RoleAssignmentValidator{}

// ValidateCreate checks a new assignment.
func (v *RoleAssignmentValidator) ValidateCreate(ctx context.Context, ra *v1alpha1.RoleAssignment) (admission.Warnings, error) {
	return nil, v.validate(ctx, nil, ra)
}

// ValidateUpdate checks a change of holder; metadata and status changes pass.
func (v *RoleAssignmentValidator) ValidateUpdate(ctx context.Context, old, ra *v1alpha1.RoleAssignment) (admission.Warnings, error) {
	if !ra.DeletionTimestamp.IsZero() || equality.Semantic.DeepEqual(old.Spec, ra.Spec) {
		return nil, nil
	}
	if roles.Ended(old, v.now()) && old.Status.Holder != "" {
		// The end is not recorded yet: a new validUntil now would keep the holder without the approvals
		// that a holder whose role ended needs to take it again.
		return nil, invalid("RoleAssignment", ra.Name, field.ErrorList{field.Forbidden(field.NewPath("spec"),
			"the assignment's spec.validUntil has passed and the operator is recording its end: retry in a moment")})
	}
	return nil, v.validate(ctx, old, ra)
}

// ValidateDelete refuses to leave a required role without holders, and stamps the deleting user on the
// assignment (roster.dev/deleted-by) for the organization's history, except in a dry run or a teardown.
func (v *RoleAssignmentValidator) ValidateDelete(ctx context.Context, ra *v1alpha1.RoleAssignment) (admission.Warnings, error) {
	org, vacant, err := v.wouldVacate(ctx, ra.Namespace, ra.Spec.OrganizationRef.Name, func(in roles.Input) roles.Input {
		return roles.WithoutAssignment(in, ra.Name)
	})
	if err != nil {
		return nil, err
	}
	if len(vacant) > 0 {
		return nil, forbidden("roleassignments", ra.Name,
			"it holds the last place of required role %s in organization %q: transfer the role first "+
				"(a ContactTransfer, or point spec.contactRef at the successor), then delete it",
			describeRows(vacant), org.Name)
	}
	return nil, v.stampDeletedBy(ctx, org, ra)
}

// stampDeletedBy records who deletes the assignment, in the object the deletion then marks: the
// organization's history reads it before the finalizer lets the assignment go.
func (v *RoleAssignmentValidator) stampDeletedBy(ctx context.Context, org *v1alpha1.Organization, ra *v1alpha1.RoleAssignment) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil || (req.DryRun != nil && *req.DryRun) || v.writer == nil || !ra.DeletionTimestamp.IsZero() ||
		!controllerutil.ContainsFinalizer(ra, v1alpha1.AssignmentFinalizer) {
		return err
	}
	if down, err := v.tearingDown(ctx, ra.Namespace, org); down || err != nil {
		return err
	}
	if ra.Annotations[v1alpha1.DeletedByAnnotation] == req.UserInfo.Username {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{v1alpha1.DeletedByAnnotation: req.UserInfo.Username}}})
	if err != nil {
		return err
	}
	if err := v.writer.Patch(ctx, ra, client.RawPatch(types.MergePatchType, patch)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("recording who deletes the assignment: %w", err)
	}
	return nil
}

// RoleAssignmentDefaulter stamps who asked (roster.dev/changed-by on create and on a change of spec, the
// request's user; roster.dev/deleted-by written by the operator only: a client's value is replaced by the
// stored one), adds the assignment's finalizer and its organization as owner.
type RoleAssignmentDefaulter struct {
	Owner OwnedByOrganization[*v1alpha1.RoleAssignment]
	// Operator is the operator's username, the only writer of roster.dev/deleted-by.
	Operator string
}

var _ admission.Defaulter[*v1alpha1.RoleAssignment] = RoleAssignmentDefaulter{}

// Default stamps the annotations, adds roster.dev/assignment unless the assignment is being deleted, and
// the owner.
func (d RoleAssignmentDefaulter) Default(ctx context.Context, ra *v1alpha1.RoleAssignment) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return err
	}
	var old *v1alpha1.RoleAssignment
	switch req.Operation {
	case admissionv1.Create:
	case admissionv1.Update:
		old = &v1alpha1.RoleAssignment{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return fmt.Errorf("reading the stored RoleAssignment: %w", err)
		}
	default:
		return nil
	}
	ra.Annotations = stampWho(old, ra, req.UserInfo.Username, d.Operator)
	if ra.DeletionTimestamp.IsZero() {
		controllerutil.AddFinalizer(ra, v1alpha1.AssignmentFinalizer)
	}
	return d.Owner.Default(ctx, ra)
}

// stampWho returns the assignment's annotations with roster.dev/changed-by naming user on create and on a
// change of spec, as stored otherwise; and roster.dev/deleted-by as stored unless the operator writes it.
func stampWho(old, ra *v1alpha1.RoleAssignment, user, operator string) map[string]string {
	annotations := ra.Annotations
	if annotations == nil {
		annotations = map[string]string{}
	}
	var stored map[string]string
	if old != nil {
		stored = old.Annotations
	}
	keep := func(key string) {
		if value, ok := stored[key]; ok {
			annotations[key] = value
		} else {
			delete(annotations, key)
		}
	}
	if old == nil || !equality.Semantic.DeepEqual(old.Spec, ra.Spec) {
		annotations[v1alpha1.ChangedByAnnotation] = user
	} else {
		keep(v1alpha1.ChangedByAnnotation)
	}
	if user != operator || old == nil {
		keep(v1alpha1.DeletedByAnnotation)
	}
	if len(annotations) == 0 {
		return nil
	}
	return annotations
}

// validate checks references, scope, capacity and a new spec.validUntil, naming the field at fault; old is
// nil on create.
func (v *RoleAssignmentValidator) validate(ctx context.Context, old, ra *v1alpha1.RoleAssignment) error {
	spec := field.NewPath("spec")
	if vu := ra.Spec.ValidUntil; vu != nil && (old == nil || !vu.Equal(old.Spec.ValidUntil)) && !v.now().Before(vu.Time) {
		return invalid("RoleAssignment", ra.Name, field.ErrorList{field.Invalid(spec.Child("validUntil"),
			vu.UTC().Format(time.RFC3339), "spec.validUntil is in the past: set a later time, or delete the assignment to end it now")})
	}
	org, err := v.organization(ctx, ra.Namespace, ra.Spec.OrganizationRef.Name)
	if err != nil {
		return err
	}
	if org == nil {
		return invalid("RoleAssignment", ra.Name, field.ErrorList{field.Invalid(spec.Child("organizationRef", "name"),
			ra.Spec.OrganizationRef.Name, fmt.Sprintf("organization %q does not exist: create the Organization first", ra.Spec.OrganizationRef.Name))})
	}
	contact, err := v.contact(ctx, ra.Namespace, ra.Spec.ContactRef.Name)
	if err != nil {
		return err
	}
	in, err := v.input(ctx, org, contact)
	var badCatalogue *state.InvalidCatalogueError
	if errors.As(err, &badCatalogue) {
		return invalid("RoleAssignment", ra.Name, field.ErrorList{field.Invalid(spec.Child("organizationRef", "name"),
			org.Name, "the organization's role catalogue is invalid: fix its spec.roles first")})
	}
	if err != nil {
		return err
	}
	if contact == nil {
		return invalid("RoleAssignment", ra.Name, field.ErrorList{field.Invalid(spec.Child("contactRef", "name"),
			ra.Spec.ContactRef.Name, fmt.Sprintf("contact %q does not exist: create the Contact first", ra.Spec.ContactRef.Name))})
	}
	candidate := ra.DeepCopy()
	result := roles.Evaluate(roles.WithAssignment(in, *candidate)).Assignments[ra.Name]
	if result.Effective || result.Reason == v1alpha1.AwaitingApprovalReason {
		return nil
	}
	return invalid("RoleAssignment", ra.Name, field.ErrorList{field.Invalid(fieldOf(spec, result.Reason),
		valueOf(ra, result.Reason), result.Message)})
}

// fieldOf is the field a reason blames.
func fieldOf(spec *field.Path, reason string) *field.Path {
	switch reason {
	case v1alpha1.UnknownRoleReason:
		return spec.Child("role")
	case v1alpha1.ScopeRequiredReason, v1alpha1.ScopeNotAllowedReason:
		return spec.Child("scope")
	case v1alpha1.ExpiredReason:
		return spec.Child("validUntil")
	default:
		return spec.Child("contactRef", "name")
	}
}

// valueOf is the value of the field a reason blames.
func valueOf(ra *v1alpha1.RoleAssignment, reason string) string {
	switch reason {
	case v1alpha1.UnknownRoleReason:
		return ra.Spec.Role
	case v1alpha1.ScopeRequiredReason, v1alpha1.ScopeNotAllowedReason:
		return ra.Spec.Scope
	case v1alpha1.ExpiredReason:
		return ra.Spec.ValidUntil.UTC().Format(time.RFC3339)
	default:
		return ra.Spec.ContactRef.Name
	}
}
