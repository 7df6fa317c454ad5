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

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// +kubebuilder:webhook:path=/validate-roster-dev-v1alpha1-contact,mutating=false,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=contacts,verbs=create;update;delete,versions=v1alpha1,name=vcontact.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5

// ContactValidator keeps emails unique within an organization, refuses to disable or delete the last
// holder of a required role without a successor, and checks the successor.
type ContactValidator struct{ *reader }

var _ admission.Validator[*v1alpha1.Contact] = &ContactValidator{}

// ValidateCreate checks that the email is not used by another contact of the organization.
func (v *ContactValidator) ValidateCreate(ctx context.Context, c *v1alpha1.Contact) (admission.Warnings, error) {
	errs, err := v.checkEmail(ctx, c)
	if err != nil || len(errs) > 0 {
		return nil, errOr(err, invalid("Contact", c.Name, errs))
	}
	warnings, errs, err := v.checkDeputies(ctx, c)
	if err != nil || len(errs) > 0 {
		return warnings, errOr(err, invalid("Contact", c.Name, errs))
	}
	return warnings, nil
}

// ValidateUpdate checks a new email, a successor, and that disabling leaves no required role vacant.
func (v *ContactValidator) ValidateUpdate(ctx context.Context, old, c *v1alpha1.Contact) (admission.Warnings, error) {
	if !c.DeletionTimestamp.IsZero() {
		return nil, nil
	}
	var errs field.ErrorList
	if !sameEmail(old.Spec.Email, c.Spec.Email) {
		emailErrs, err := v.checkEmail(ctx, c)
		if err != nil {
			return nil, err
		}
		errs = append(errs, emailErrs...)
	}
	if c.Spec.Disabled {
		disableErrs, err := v.checkDisable(ctx, old, c)
		if err != nil {
			return nil, err
		}
		errs = append(errs, disableErrs...)
	}
	var warnings admission.Warnings
	if !equality.Semantic.DeepEqual(old.Spec.Deputies, c.Spec.Deputies) {
		w, deputyErrs, err := v.checkDeputies(ctx, c)
		if err != nil {
			return nil, err
		}
		warnings, errs = w, append(errs, deputyErrs...)
	}
	if len(errs) > 0 {
		return warnings, invalid("Contact", c.Name, errs)
	}
	return warnings, nil
}

// checkDeputies refuses a deputy of another organization, which would read this organization's
// notices, and warns about one that does not exist (yet): it gets nothing until it does.
func (v *ContactValidator) checkDeputies(ctx context.Context, c *v1alpha1.Contact) (admission.Warnings, field.ErrorList, error) {
	var warnings admission.Warnings
	var errs field.ErrorList
	for i, ref := range c.Spec.Deputies {
		path := field.NewPath("spec", "deputies").Index(i).Child("name")
		deputy, err := v.contact(ctx, c.Namespace, ref.Name)
		switch {
		case err != nil:
			return nil, nil, err
		case deputy == nil:
			warnings = append(warnings, fmt.Sprintf("%s: contact %q does not exist: it gets no copies until it does", path, ref.Name))
		case deputy.Spec.OrganizationRef != c.Spec.OrganizationRef:
			errs = append(errs, field.Invalid(path, ref.Name, fmt.Sprintf(
				"contact %q belongs to organization %q: a deputy must be a contact of %q", ref.Name,
				deputy.Spec.OrganizationRef.Name, c.Spec.OrganizationRef.Name)))
		}
	}
	return warnings, errs, nil
}

// ValidateDelete refuses to delete the last holder of a required role.
func (v *ContactValidator) ValidateDelete(ctx context.Context, c *v1alpha1.Contact) (admission.Warnings, error) {
	org, vacant, err := v.wouldVacate(ctx, c.Namespace, c.Spec.OrganizationRef.Name, func(in roles.Input) roles.Input {
		return withoutContact(in, c.Name)
	})
	if err != nil || len(vacant) == 0 {
		return nil, err
	}
	return nil, forbidden("contacts", c.Name,
		"contact %q holds the last place of required role %s in organization %q: transfer the role first "+
			"(a ContactTransfer, or disable the contact with spec.reassignTo naming a successor), then delete it",
		c.Name, describeRows(vacant), org.Name)
}

// checkEmail finds another contact of the organization with the same email, case-insensitively.
func (v *ContactValidator) checkEmail(ctx context.Context, c *v1alpha1.Contact) (field.ErrorList, error) {
	var same v1alpha1.ContactList
	if err := v.cache.List(ctx, &same, client.InNamespace(c.Namespace),
		client.MatchingFields{index.ByEmail: index.EmailKey(c.Spec.OrganizationRef.Name, c.Spec.Email)}); err != nil {
		return nil, err
	}
	for _, other := range same.Items {
		if other.Name != c.Name && other.DeletionTimestamp.IsZero() {
			return field.ErrorList{field.Invalid(field.NewPath("spec", "email"), c.Spec.Email, fmt.Sprintf(
				"contact %q of organization %q already uses this address (compared case-insensitively): use another address",
				other.Name, c.Spec.OrganizationRef.Name))}, nil
		}
	}
	return nil, nil
}

// checkDisable checks the successor, and that disabling without one leaves no required role vacant.
func (v *ContactValidator) checkDisable(ctx context.Context, old, c *v1alpha1.Contact) (field.ErrorList, error) {
	spec := field.NewPath("spec")
	org, err := v.organization(ctx, c.Namespace, c.Spec.OrganizationRef.Name)
	if err != nil || org == nil {
		return nil, err
	}
	if c.Spec.ReassignTo != nil {
		successor, err := v.contact(ctx, c.Namespace, c.Spec.ReassignTo.Name)
		if err != nil {
			return nil, err
		}
		switch {
		case successor == nil:
			return field.ErrorList{field.Invalid(spec.Child("reassignTo", "name"), c.Spec.ReassignTo.Name,
				"the successor does not exist: create that Contact first")}, nil
		case successor.Spec.OrganizationRef != c.Spec.OrganizationRef:
			return field.ErrorList{field.Invalid(spec.Child("reassignTo", "name"), c.Spec.ReassignTo.Name,
				fmt.Sprintf("the successor belongs to organization %q: name a contact of %q", successor.Spec.OrganizationRef.Name, org.Name))}, nil
		case successor.Spec.Disabled:
			return field.ErrorList{field.Invalid(spec.Child("reassignTo", "name"), c.Spec.ReassignTo.Name,
				"the successor is disabled: name an enabled contact")}, nil
		}
		return nil, nil
	}
	// Also when it was disabled already: a holder disabled with reassignTo keeps a two-party role until
	// the move, and dropping reassignTo would leave the role vacant.
	in, err := v.input(ctx, org, old)
	var badCatalogue *state.InvalidCatalogueError
	if errors.As(err, &badCatalogue) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	vacant := newlyVacant(roles.Evaluate(in), roles.Evaluate(withContact(in, c)))
	if len(vacant) == 0 {
		return nil, nil
	}
	return field.ErrorList{field.Invalid(spec.Child("disabled"), true, fmt.Sprintf(
		"contact %q holds the last place of required role %s: set spec.reassignTo to a successor, or transfer the role first",
		c.Name, describeRows(vacant)))}, nil
}

// withContact replaces a contact of the input by c.
func withContact(in roles.Input, c *v1alpha1.Contact) roles.Input {
	out := in
	out.Contacts = make([]v1alpha1.Contact, 0, len(in.Contacts))
	for _, other := range in.Contacts {
		if other.Name == c.Name {
			other = *c
		}
		out.Contacts = append(out.Contacts, other)
	}
	return out
}

// withoutContact removes a contact from the input.
func withoutContact(in roles.Input, name string) roles.Input {
	out := in
	out.Contacts = make([]v1alpha1.Contact, 0, len(in.Contacts))
	for _, other := range in.Contacts {
		if other.Name != name {
			out.Contacts = append(out.Contacts, other)
		}
	}
	return out
}

func sameEmail(a, b string) bool { return index.EmailKey("", a) == index.EmailKey("", b) }

// errOr returns err when set, else fallback.
func errOr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
