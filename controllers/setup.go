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

// Package controllers holds the reconcilers of the four roster.dev kinds.
package controllers

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/roles"
)

// Options tune the controllers.
type Options struct {
	// MaxConcurrentReconciles is how many objects of one kind are reconciled in parallel.
	MaxConcurrentReconciles int
}

// Setup registers the cache indexes and every reconciler with the manager. main and the tests share it.
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) error {
	if err := index.Setup(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	opts := controller.Options{MaxConcurrentReconciles: o.MaxConcurrentReconciles}
	c := mgr.GetClient()
	for _, r := range []interface {
		SetupWithManager(ctrl.Manager, controller.Options) error
	}{
		&OrganizationReconciler{Client: c, Recorder: mgr.GetEventRecorder("organization-controller")},
		&ContactReconciler{Client: c, Recorder: mgr.GetEventRecorder("contact-controller"), Reassign: ReassignDirectly(c)},
		&RoleAssignmentReconciler{Client: c, Recorder: mgr.GetEventRecorder("roleassignment-controller")},
		&ContactTransferReconciler{Client: c, Recorder: mgr.GetEventRecorder("contacttransfer-controller")},
	} {
		if err := r.SetupWithManager(mgr, opts); err != nil {
			return err
		}
	}
	return nil
}

// olderObject orders objects as the rules settle races: oldest creationTimestamp first, then name.
func olderObject(a, b client.Object) bool { return roles.OlderFirst(a, b) < 0 }
