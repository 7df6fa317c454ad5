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
	"errors"
	"fmt"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/state"
)

// +kubebuilder:webhook:path=/mutate-roster-dev-v1alpha1-contacttransfer,mutating=true,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=contacttransfers,verbs=create,versions=v1alpha1,name=mcontacttransfer.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-roster-dev-v1alpha1-contacttransfer,mutating=false,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=contacttransfers;contacttransfers/status,verbs=create;update,versions=v1alpha1,name=vcontacttransfer.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5

// ContactTransferDefaulter records who asked: the Kubernetes user and groups of the creating request
// replace whatever the client wrote in spec.username and spec.groups.
type ContactTransferDefaulter struct{}

var _ admission.Defaulter[*v1alpha1.ContactTransfer] = ContactTransferDefaulter{}

// Default sets spec.username and spec.groups from the admission request.
func (ContactTransferDefaulter) Default(ctx context.Context, t *v1alpha1.ContactTransfer) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return err
	}
	if req.Operation != admissionv1.Create {
		return nil
	}
	t.Spec.Username = req.UserInfo.Username
	t.Spec.Groups = slices.Clone(req.UserInfo.Groups)
	return nil
}

// ContactTransferValidator admits a ContactTransfer only when it follows the rules (who may ask, who holds
// the role, who may receive it, good standing), and keeps Approved, Refused, Expired and Completed one-way.
type ContactTransferValidator struct{ *reader }

var _ admission.Validator[*v1alpha1.ContactTransfer] = &ContactTransferValidator{}

// oneWay are the conditions that never go back once True.
var oneWay = []string{v1alpha1.ApprovedCondition, v1alpha1.RefusedCondition, v1alpha1.ExpiredCondition, v1alpha1.CompletedCondition}

// ValidateCreate checks the request against the organization's state.
func (v *ContactTransferValidator) ValidateCreate(ctx context.Context, t *v1alpha1.ContactTransfer) (admission.Warnings, error) {
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
	for _, name := range []string{fromOf(t), t.Spec.To.Name, approval.RequestedBy(t)} {
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

// ValidateUpdate keeps the one-way conditions True once they are.
func (v *ContactTransferValidator) ValidateUpdate(_ context.Context, old, t *v1alpha1.ContactTransfer) (admission.Warnings, error) {
	var errs field.ErrorList
	for _, typ := range oneWay {
		if meta.IsStatusConditionTrue(old.Status.Conditions, typ) && !meta.IsStatusConditionTrue(t.Status.Conditions, typ) {
			errs = append(errs, field.Forbidden(field.NewPath("status", "conditions"),
				fmt.Sprintf("condition %s is True and never goes back", typ)))
		}
	}
	if len(errs) > 0 {
		return nil, invalid("ContactTransfer", t.Name, errs)
	}
	return nil, nil
}

// ValidateDelete allows deletion: deleting a pending transfer cancels it.
func (v *ContactTransferValidator) ValidateDelete(context.Context, *v1alpha1.ContactTransfer) (admission.Warnings, error) {
	return nil, nil
}

func fromOf(t *v1alpha1.ContactTransfer) string {
	if t.Spec.From == nil {
		return ""
	}
	return t.Spec.From.Name
}
