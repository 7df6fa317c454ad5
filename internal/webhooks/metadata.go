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

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
)

// The metadata the controllers need on every object (the organization's finalizer, the transfers'
// finalizer, the organization as owner of its contacts and assignments) is set here, in the write that
// creates or changes the object: a controller adding it afterwards would cost a second write per object.
// The controllers still add what is missing (webhooks off, an organization created after its contacts).

// +kubebuilder:webhook:path=/mutate-roster-dev-v1alpha1-organization,mutating=true,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=organizations,verbs=create;update,versions=v1alpha1,name=morganization.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/mutate-roster-dev-v1alpha1-contact,mutating=true,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=contacts,verbs=create;update,versions=v1alpha1,name=mcontact.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/mutate-roster-dev-v1alpha1-roleassignment,mutating=true,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=roleassignments,verbs=create;update,versions=v1alpha1,name=mroleassignment.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5

// OrganizationDefaulter adds the organization's finalizer, which tells every holder when the
// organization goes.
type OrganizationDefaulter struct{}

var _ admission.Defaulter[*v1alpha1.Organization] = OrganizationDefaulter{}

// Default adds roster.dev/organization unless the organization is being deleted (a finalizer cannot be
// added then).
func (OrganizationDefaulter) Default(_ context.Context, org *v1alpha1.Organization) error {
	if org.DeletionTimestamp.IsZero() {
		controllerutil.AddFinalizer(org, v1alpha1.OrganizationFinalizer)
	}
	return nil
}

// OwnedByOrganization makes a Contact or RoleAssignment owned by its organization, so that deleting the
// organization deletes them.
type OwnedByOrganization[T interface {
	client.Object
	OrganizationName() string
}] struct {
	*reader
	scheme *runtime.Scheme
}

// Default adds the organization named by spec.organizationRef as an owner, when it exists.
func (d OwnedByOrganization[T]) Default(ctx context.Context, obj T) error {
	if !obj.GetDeletionTimestamp().IsZero() {
		return nil
	}
	org, err := d.organization(ctx, obj.GetNamespace(), obj.OrganizationName())
	if err != nil || org == nil || !org.DeletionTimestamp.IsZero() {
		// A missing organization is the validators' and the controllers' business; the controller sets
		// the owner once it exists.
		return nil
	}
	return controllerutil.SetOwnerReference(org, obj, d.scheme)
}
