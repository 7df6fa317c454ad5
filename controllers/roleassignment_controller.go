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

package controllers

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// RoleAssignmentReconciler reports whether a RoleAssignment is in effect and who holds the role through it.
type RoleAssignmentReconciler struct {
	client.Client
	Recorder events.EventRecorder
}

// assignmentScope carries one reconcile's state between phases.
type assignmentScope struct {
	ra     *v1alpha1.RoleAssignment
	result roles.AssignmentResult
}

// +kubebuilder:rbac:groups=roster.dev,resources=roleassignments,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=roleassignments/status,verbs=get;update;patch

// Reconcile evaluates the assignment against its organization's rules and patches its status once.
func (r *RoleAssignmentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ra := &v1alpha1.RoleAssignment{}
	if err := r.Get(ctx, req.NamespacedName, ra); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ra.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	before := ra.DeepCopy()
	s := &assignmentScope{ra: ra}

	result, err := runPhases(ctx, s, r.evaluate)
	if err == nil {
		setAssignmentStatus(ra, s.result)
		r.recordHolderChange(before, ra)
	}
	return finishReconcile(ctx, r.Client, before, ra, result, err)
}

// evaluate makes the assignment owned by its organization and judges it with the role rules.
func (r *RoleAssignmentReconciler) evaluate(ctx context.Context, s *assignmentScope) (ctrl.Result, error) {
	ra := s.ra
	org := &v1alpha1.Organization{}
	err := r.Get(ctx, client.ObjectKey{Namespace: ra.Namespace, Name: ra.Spec.OrganizationRef.Name}, org)
	if apierrors.IsNotFound(err) {
		s.result = roles.AssignmentResult{Reason: v1alpha1.OrganizationNotFoundReason,
			Message: fmt.Sprintf("spec.organizationRef: organization %q does not exist: create it or fix the reference", ra.Spec.OrganizationRef.Name)}
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := ensureOwnedBy(ctx, r.Client, ra, org); err != nil {
		return ctrl.Result{}, err
	}
	in, err := state.Load(ctx, r.Client, org)
	var invalid *state.InvalidCatalogueError
	if errors.As(err, &invalid) {
		s.result = roles.AssignmentResult{Reason: v1alpha1.InvalidCatalogueReason,
			Message: fmt.Sprintf("organization %q has an invalid role catalogue: fix its spec.roles", org.Name)}
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	s.result = roles.Evaluate(in).Assignments[ra.Name]
	return ctrl.Result{}, nil
}

// recordHolderChange tells, with an Event, when the role is granted to or revoked from a contact.
func (r *RoleAssignmentReconciler) recordHolderChange(before, after *v1alpha1.RoleAssignment) {
	was, is := before.Status.Holder, after.Status.Holder
	if was == is {
		return
	}
	role := after.Spec.Role + scopeSuffix(after.Spec.Scope)
	if was != "" {
		r.Recorder.Eventf(after, nil, "Normal", "RoleRevoked", "Revoke", "role %s revoked from %s", role, was)
	}
	if is != "" {
		r.Recorder.Eventf(after, nil, "Normal", "RoleGranted", "Grant", "role %s granted to %s", role, is)
	}
}

// SetupWithManager watches RoleAssignments, their Organization and Contacts, and competing assignments.
func (r *RoleAssignmentReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	m := mapper{c: mgr.GetClient()}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.RoleAssignment{}, builder.WithPredicates(generationOrAnnotationsChanged())).
		Watches(&v1alpha1.RoleAssignment{}, handler.EnqueueRequestsFromMapFunc(m.competingAssignments)).
		Watches(&v1alpha1.Organization{}, handler.EnqueueRequestsFromMapFunc(m.assignmentsOfOrganization)).
		Watches(&v1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(m.assignmentsOfContact)).
		WithOptions(opts).
		Named("roleassignment").
		Complete(r)
}
