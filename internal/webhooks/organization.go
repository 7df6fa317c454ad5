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
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// +kubebuilder:webhook:path=/validate-roster-dev-v1alpha1-organization,mutating=false,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=organizations,verbs=create;update,versions=v1alpha1,name=vorganization.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5

// OrganizationValidator admits an Organization only when spec.roles forms a valid catalogue with the
// built-in roles (bounds in order, initiators that exist), and lets only a user granted the verb approve
// on contacttransfers.roster.dev weaken the catalogue of a role that is held (see weakenings).
type OrganizationValidator struct{ *reader }

var _ admission.Validator[*v1alpha1.Organization] = &OrganizationValidator{}

// ValidateCreate checks the catalogue.
func (v *OrganizationValidator) ValidateCreate(_ context.Context, org *v1alpha1.Organization) (admission.Warnings, error) {
	return nil, validateCatalogue(org)
}

// ValidateUpdate checks the catalogue, and who weakens it.
func (v *OrganizationValidator) ValidateUpdate(ctx context.Context, old, org *v1alpha1.Organization) (admission.Warnings, error) {
	if !org.DeletionTimestamp.IsZero() {
		return nil, nil
	}
	if err := validateCatalogue(org); err != nil {
		return nil, err
	}
	return nil, v.checkWeakening(ctx, old, org)
}

// checkWeakening refuses a change that weakens a held role (see weakenings and heldRoles) unless the
// request's user is granted the verb approve on contacttransfers.roster.dev in the namespace: weakening
// the rules is as strong as deciding for a party, and needs the same grant as break-glass.
func (v *OrganizationValidator) checkWeakening(ctx context.Context, old, org *v1alpha1.Organization) error {
	updated, _ := roles.NewCatalogue(org.Spec.Roles)
	before, errs := roles.NewCatalogue(old.Spec.Roles)
	// Holders are those of the stored catalogue; a stored catalogue that is not valid (written before
	// this webhook) has no holders to evaluate: compare with the built-in roles, held per the new one.
	holdersOf := old
	if len(errs) > 0 {
		before, holdersOf = roles.BuiltInCatalogue(), org
	}
	changes := weakenings(before, updated)
	if !equality.Semantic.DeepEqual(emailOf(old), emailOf(org)) {
		// Where the approval secrets are sent is as strong as the approval: a relay of one's own, or no
		// channel while an address changes, would put every party's secrets in one person's hands.
		changes = append(changes, weakening{role: "", field: field.NewPath("spec", "notifications", "email"),
			change: "the mail server that carries the approval secrets changed"})
	}
	if len(changes) == 0 {
		return nil
	}
	if !roles.PastInitialRoster(old, v.now()) {
		// While the organization is being set up, a role nobody holds yet may still change freely.
		in, err := state.Load(ctx, v.cache, holdersOf, v.now())
		if err != nil {
			return err
		}
		held := heldRoles(in)
		changes = slices.DeleteFunc(changes, func(w weakening) bool { return w.role != "" && !held[w.role] })
		if len(changes) == 0 || (len(heldAny(held)) == 0 && onlyEmail(changes)) {
			return nil
		}
	}
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return err
	}
	ok, err := v.access.canApprove(ctx, req.UserInfo, org.Namespace, "")
	if err != nil || ok {
		return err
	}
	var out field.ErrorList
	for _, w := range changes {
		what := "role " + w.role
		if w.role == "" {
			what = "the email channel"
		}
		out = append(out, field.Forbidden(w.field, fmt.Sprintf(
			"%s matters to the approvals of this organization; this change (%s) weakens them, "+
				"and user %q may not make it: %s; or leave it as it is",
			what, w.change, req.UserInfo.Username, howToGrantApprove(org.Namespace))))
	}
	return apierrors.NewForbidden(schema.GroupResource{Group: v1alpha1.GroupVersion.Group, Resource: "organizations"},
		org.Name, out.ToAggregate())
}

// ValidateDelete allows every deletion: the organization's contacts and assignments go with it.
func (v *OrganizationValidator) ValidateDelete(context.Context, *v1alpha1.Organization) (admission.Warnings, error) {
	return nil, nil
}

// emailOf is the organization's email channel, nil when it has none.
func emailOf(org *v1alpha1.Organization) *v1alpha1.EmailSettings {
	if org.Spec.Notifications == nil {
		return nil
	}
	return org.Spec.Notifications.Email
}

// heldAny lists the roles held.
func heldAny(held map[string]bool) []string {
	var out []string
	for r, ok := range held {
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// onlyEmail reports whether the changes are all to the email channel.
func onlyEmail(changes []weakening) bool {
	return !slices.ContainsFunc(changes, func(w weakening) bool { return w.role != "" })
}

func validateCatalogue(org *v1alpha1.Organization) error {
	cat, errs := roles.NewCatalogue(org.Spec.Roles)
	if len(errs) > 0 {
		return invalid("Organization", org.Name, errs)
	}
	for i, sc := range org.Spec.Scopes {
		p := field.NewPath("spec", "scopes").Index(i)
		for _, list := range []struct {
			name  string
			roles []string
		}{{"requiredRoles", sc.RequiredRoles}, {"exemptRoles", sc.ExemptRoles}} {
			for j, name := range list.roles {
				r, ok := cat.Get(name)
				switch {
				case !ok:
					errs = append(errs, field.NotFound(p.Child(list.name).Index(j), name))
				case !r.Scoped:
					errs = append(errs, field.Invalid(p.Child(list.name).Index(j), name,
						fmt.Sprintf("role %q is not scoped: a scope can only require or exempt scoped roles", name)))
				case list.name == "exemptRoles" && slices.Contains(sc.RequiredRoles, name):
					errs = append(errs, field.Invalid(p.Child(list.name).Index(j), name,
						fmt.Sprintf("role %q is both required and exempt in scope %q: keep one", name, sc.Name)))
				}
			}
		}
	}
	if len(errs) > 0 {
		return invalid("Organization", org.Name, errs)
	}
	return nil
}
