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

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

// +kubebuilder:webhook:path=/validate-roster-dev-v1alpha1-organization,mutating=false,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=organizations,verbs=create;update,versions=v1alpha1,name=vorganization.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5

// OrganizationValidator admits an Organization only when spec.roles forms a valid catalogue with the
// built-in roles (bounds in order, initiators that exist).
type OrganizationValidator struct{ *reader }

var _ admission.Validator[*v1alpha1.Organization] = &OrganizationValidator{}

// ValidateCreate checks the catalogue.
func (v *OrganizationValidator) ValidateCreate(_ context.Context, org *v1alpha1.Organization) (admission.Warnings, error) {
	return nil, validateCatalogue(org)
}

// ValidateUpdate checks the catalogue.
func (v *OrganizationValidator) ValidateUpdate(_ context.Context, _, org *v1alpha1.Organization) (admission.Warnings, error) {
	if !org.DeletionTimestamp.IsZero() {
		return nil, nil
	}
	return nil, validateCatalogue(org)
}

// ValidateDelete allows every deletion: the organization's contacts and assignments go with it.
func (v *OrganizationValidator) ValidateDelete(context.Context, *v1alpha1.Organization) (admission.Warnings, error) {
	return nil, nil
}

func validateCatalogue(org *v1alpha1.Organization) error {
	if _, errs := roles.NewCatalogue(org.Spec.Roles); len(errs) > 0 {
		return invalid("Organization", org.Name, errs)
	}
	return nil
}
