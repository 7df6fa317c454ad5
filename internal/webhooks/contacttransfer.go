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
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/state"
)

// +kubebuilder:webhook:path=/mutate-roster-dev-v1alpha1-contacttransfer,mutating=true,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=contacttransfers,verbs=create;update,versions=v1alpha1,name=mcontacttransfer.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-roster-dev-v1alpha1-contacttransfer,mutating=false,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=contacttransfers;contacttransfers/status,verbs=create;update,versions=v1alpha1,name=vcontacttransfer.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5

// ContactTransferDefaulter records who asked and who overrode: on create, the Kubernetes user and groups
// of the request replace whatever the client wrote in spec.username and spec.groups; on create and update,
// roster.dev/override-by names the user who set or changed roster.dev/override, and cannot be written by a
// client.
type ContactTransferDefaulter struct {
	// Owner makes the transfer owned by its organization (nil in unit tests): a settled transfer is an
	// audit record that outlives the assignment it changed.
	Owner *OwnedByOrganization[*v1alpha1.ContactTransfer]
}

var _ admission.Defaulter[*v1alpha1.ContactTransfer] = ContactTransferDefaulter{}

// Default sets spec.username and spec.groups on create, stamps roster.dev/override-by, adds the
// transfer's finalizer and, on create, its organization as owner.
func (d ContactTransferDefaulter) Default(ctx context.Context, t *v1alpha1.ContactTransfer) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return err
	}
	var oldAnnotations map[string]string
	switch req.Operation {
	case admissionv1.Create:
		t.Spec.Username = req.UserInfo.Username
		t.Spec.Groups = slices.Clone(req.UserInfo.Groups)
	case admissionv1.Update:
		old := &v1alpha1.ContactTransfer{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return fmt.Errorf("reading the stored ContactTransfer: %w", err)
		}
		oldAnnotations = old.Annotations
	default:
		return nil
	}
	t.Annotations = stampOverrideBy(oldAnnotations, t.Annotations, req.UserInfo.Username)
	if t.DeletionTimestamp.IsZero() {
		// The parties are told of a deletion before the transfer goes (see the metadata webhooks).
		controllerutil.AddFinalizer(t, v1alpha1.TransferFinalizer)
	}
	if d.Owner != nil && req.Operation == admissionv1.Create {
		return d.Owner.Default(ctx, t)
	}
	return nil
}

// stampOverrideBy returns the annotations with roster.dev/override-by set to user when roster.dev/override
// was added or changed, removed when roster.dev/override is absent, and otherwise as it was before the
// write: whatever the client wrote in roster.dev/override-by is never kept.
func stampOverrideBy(old, annotations map[string]string, user string) map[string]string {
	value, set := annotations[v1alpha1.OverrideAnnotation]
	oldValue, wasSet := old[v1alpha1.OverrideAnnotation]
	oldBy, hadBy := old[v1alpha1.OverrideByAnnotation]
	switch {
	case !set:
		delete(annotations, v1alpha1.OverrideByAnnotation)
	case !wasSet || value != oldValue:
		annotations[v1alpha1.OverrideByAnnotation] = user
	case hadBy:
		annotations[v1alpha1.OverrideByAnnotation] = oldBy
	default:
		delete(annotations, v1alpha1.OverrideByAnnotation)
	}
	if len(annotations) == 0 {
		return nil
	}
	return annotations
}

// overrideChanged reports whether a write sets roster.dev/override or changes its value.
func overrideChanged(old, annotations map[string]string) bool {
	value, set := annotations[v1alpha1.OverrideAnnotation]
	oldValue, wasSet := old[v1alpha1.OverrideAnnotation]
	return set && (!wasSet || value != oldValue)
}

// ContactTransferValidator admits a ContactTransfer only when it follows the rules (who may ask, who holds
// the role, who may receive it, good standing), and lets only users granted the verb approve decide by
// roster.dev/override.
type ContactTransferValidator struct {
	*reader
	// operator is the operator's username: only it marks the transfers it opens (see checkOperatorMarks).
	operator string
}

var _ admission.Validator[*v1alpha1.ContactTransfer] = &ContactTransferValidator{}

// ValidateCreate checks who sets roster.dev/override, and the request against the organization's state.
func (v *ContactTransferValidator) ValidateCreate(ctx context.Context, t *v1alpha1.ContactTransfer) (admission.Warnings, error) {
	if err := v.checkOperatorMarks(ctx, nil, t); err != nil {
		return nil, err
	}
	if err := v.checkOverride(ctx, nil, t); err != nil {
		return nil, err
	}
	spec := field.NewPath("spec")
	org, err := v.organization(ctx, t.Namespace, t.Spec.OrganizationRef.Name)
	if err != nil {
		return nil, err
	}
	if org == nil {
		return nil, invalid("ContactTransfer", t.Name, field.ErrorList{field.Invalid(spec.Child("organizationRef", "name"),
			t.Spec.OrganizationRef.Name, fmt.Sprintf("organization %q does not exist", t.Spec.OrganizationRef.Name))})
	}
	var named []*v1alpha1.Contact
	for _, name := range []string{approval.From(t), t.Spec.To.Name, approval.RequestedBy(t)} {
		if name == "" {
			continue
		}
		c, err := v.contact(ctx, t.Namespace, name)
		if err != nil {
			return nil, err
		}
		named = append(named, c)
	}
	in, err := v.input(ctx, org, named...)
	var badCatalogue *state.InvalidCatalogueError
	if errors.As(err, &badCatalogue) {
		return nil, invalid("ContactTransfer", t.Name, field.ErrorList{field.Invalid(spec.Child("organizationRef", "name"),
			org.Name, "the organization's role catalogue is invalid: fix its spec.roles first")})
	}
	if err != nil {
		return nil, err
	}
	if errs := approval.Validate(t, in); len(errs) > 0 {
		return nil, invalid("ContactTransfer", t.Name, errs)
	}
	return nil, nil
}

// ValidateUpdate checks who sets or changes roster.dev/override.
func (v *ContactTransferValidator) ValidateUpdate(ctx context.Context, old, t *v1alpha1.ContactTransfer) (admission.Warnings, error) {
	if err := v.checkOperatorMarks(ctx, old, t); err != nil {
		return nil, err
	}
	if err := v.checkOverride(ctx, old.Annotations, t); err != nil {
		return nil, err
	}
	// Approved, Refused, Expired and Completed are one-way by CRD transition rules (see the status type),
	// enforced by the API server even when no webhook answers.
	return nil, nil
}

// ValidateDelete allows deletion: deleting a pending transfer cancels it.
func (v *ContactTransferValidator) ValidateDelete(context.Context, *v1alpha1.ContactTransfer) (admission.Warnings, error) {
	return nil, nil
}

// checkOverride refuses to set or change roster.dev/override unless the request's user is granted the
// verb approve on this transfer (a SubjectAccessReview; RBAC grants it on every transfer of a namespace,
// or on named ones with resourceNames).
func (v *ContactTransferValidator) checkOverride(ctx context.Context, old map[string]string, t *v1alpha1.ContactTransfer) error {
	if !overrideChanged(old, t.Annotations) {
		return nil
	}
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return err
	}
	ok, err := v.access.canApprove(ctx, req.UserInfo, t.Namespace, t.Name)
	if err != nil || ok {
		return err
	}
	errs := field.ErrorList{field.Forbidden(field.NewPath("metadata", "annotations").Key(v1alpha1.OverrideAnnotation), fmt.Sprintf(
		"user %q may not decide for a party without its token: %s; otherwise let the party decide with the link "+
			"or code of its email", req.UserInfo.Username, howToGrantApprove(t.Namespace)))}
	return apierrors.NewForbidden(schema.GroupResource{Group: v1alpha1.GroupVersion.Group, Resource: "contacttransfers"},
		t.Name, errs.ToAggregate())
}

// operatorMarks are the labels and annotations by which the operator marks the transfers it opens itself
// (a change of an assignment's holder, a disabled contact's successor). The rules bind such a transfer
// to the assignment it names, and the history credits it to whoever edited that assignment.
var operatorMarks = struct{ labels, annotations []string }{
	labels:      []string{v1alpha1.PurposeLabel},
	annotations: []string{v1alpha1.OpenedForAnnotation, v1alpha1.OpenedForUIDAnnotation},
}

// checkOperatorMarks refuses a write that sets, changes or removes one of the operator's marks, or that
// makes a RoleAssignment the transfer's controller (what the operator set before transfers were owned by
// their organization), unless the request comes from the operator. old is nil on create.
func (v *ContactTransferValidator) checkOperatorMarks(ctx context.Context, old, t *v1alpha1.ContactTransfer) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return err
	}
	if req.UserInfo.Username == v.operator {
		return nil
	}
	if old == nil {
		old = &v1alpha1.ContactTransfer{}
	}
	metadata := field.NewPath("metadata")
	var errs field.ErrorList
	for _, k := range operatorMarks.labels {
		if markChanged(old.Labels, t.Labels, k) {
			errs = append(errs, field.Forbidden(metadata.Child("labels").Key(k),
				"only the operator marks the transfers it opens itself: remove this label"))
		}
	}
	for _, k := range operatorMarks.annotations {
		if markChanged(old.Annotations, t.Annotations, k) {
			errs = append(errs, field.Forbidden(metadata.Child("annotations").Key(k),
				"only the operator names the assignment a transfer was opened for: remove this annotation"))
		}
	}
	// Removing one is allowed: the garbage collector does it when the assignment goes.
	if uid := approval.ControllingAssignment(t); uid != "" && uid != approval.ControllingAssignment(old) {
		errs = append(errs, field.Forbidden(metadata.Child("ownerReferences"),
			"a RoleAssignment controls only the transfers the operator opened for it: remove that owner reference"))
	}
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewForbidden(schema.GroupResource{Group: v1alpha1.GroupVersion.Group, Resource: "contacttransfers"},
		t.Name, fmt.Errorf("user %q: %w", req.UserInfo.Username, errs.ToAggregate()))
}

// markChanged tells whether key is set, changed or removed between old and current.
func markChanged(old, current map[string]string, key string) bool {
	was, wasSet := old[key]
	is, set := current[key]
	return wasSet != set || was != is
}
