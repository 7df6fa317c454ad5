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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"roster.dev/roster/api/v1alpha1"
)

// ContactTransferReconciler drives a ContactTransfer through its approval.
type ContactTransferReconciler struct {
	client.Client
	Recorder events.EventRecorder
}

// +kubebuilder:rbac:groups=roster.dev,resources=contacttransfers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=contacttransfers/status,verbs=get;update;patch

// Reconcile marks a new transfer as waiting. The two-party approval is not built yet.
func (r *ContactTransferReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	t := &v1alpha1.ContactTransfer{}
	if err := r.Get(ctx, req.NamespacedName, t); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := t.DeepCopy()
	if len(t.Status.Conditions) == 0 {
		setCondition(&t.Status.Conditions, t.Generation, v1alpha1.ReadyCondition, metav1.ConditionUnknown,
			v1alpha1.ReconcilingReason, "the two-party approval is not implemented yet: nothing moves")
	}
	return ctrl.Result{}, patchStatus(ctx, r.Client, before, t)
}

// SetupWithManager watches ContactTransfers.
func (r *ContactTransferReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.ContactTransfer{}, builder.WithPredicates(generationOrAnnotationsChanged())).
		WithOptions(opts).
		Named("contacttransfer").
		Complete(r)
}
