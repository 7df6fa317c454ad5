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

	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// OrganizationReconciler keeps an Organization's status true: its effective catalogue with the holders of
// each (role, scope), and whether every required role is held.
type OrganizationReconciler struct {
	client.Client
	Recorder events.EventRecorder
}

// organizationScope carries one reconcile's state between phases.
type organizationScope struct {
	org        *v1alpha1.Organization
	evaluation *roles.Evaluation
	// catalogueErr is set when spec.roles does not validate.
	catalogueErr *state.InvalidCatalogueError
}

// +kubebuilder:rbac:groups=roster.dev,resources=organizations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=organizations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile evaluates the organization's roles and patches its status once.
func (r *OrganizationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	org := &v1alpha1.Organization{}
	if err := r.Get(ctx, req.NamespacedName, org); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !org.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	before := org.DeepCopy()
	s := &organizationScope{org: org}

	result, err := runPhases(ctx, s, r.evaluateRoles)
	if err == nil {
		setOrganizationStatus(org, s.evaluation, s.catalogueErr)
		if s.catalogueErr != nil {
			err = reconcile.TerminalError(s.catalogueErr)
		}
	}
	return finishReconcile(ctx, r.Client, before, org, result, err)
}

// evaluateRoles applies the role rules to the organization's contacts and assignments.
func (r *OrganizationReconciler) evaluateRoles(ctx context.Context, s *organizationScope) (ctrl.Result, error) {
	in, err := state.Load(ctx, r.Client, s.org)
	if errors.As(err, &s.catalogueErr) {
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	e := roles.Evaluate(in)
	s.evaluation = &e
	return ctrl.Result{}, nil
}

// SetupWithManager watches Organizations, and the Contacts and RoleAssignments that name them.
func (r *OrganizationReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Organization{}, builder.WithPredicates(generationOrAnnotationsChanged())).
		Watches(&v1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(organizationOf)).
		Watches(&v1alpha1.RoleAssignment{}, handler.EnqueueRequestsFromMapFunc(organizationOf)).
		WithOptions(opts).
		Named("organization").
		Complete(r)
}
