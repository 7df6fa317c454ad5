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

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
)

// statusPath serves the status guard of the four kinds.
const statusPath = "/validate-roster-dev-v1alpha1-status"

// +kubebuilder:webhook:path=/validate-roster-dev-v1alpha1-status,mutating=false,failurePolicy=fail,sideEffects=None,groups=roster.dev,resources=organizations/status;contacts/status;roleassignments/status;contacttransfers/status,verbs=update,versions=v1alpha1,name=vstatus.roster.dev,admissionReviewVersions=v1,timeoutSeconds=5

// statusGuard refuses every write of a status subresource (UPDATE; a PATCH arrives as one) by anyone
// but the operator. The status holds the operator's decisions (approvals, holders, attempts, expiry): a
// cluster-admin that writes it would bypass the two-party approval. A break-glass decision goes through
// the roster.dev/override annotation instead, which names its author.
type statusGuard struct {
	// operator is the operator's own Kubernetes username.
	operator string
}

var _ admission.Handler = &statusGuard{}

// Handle admits the operator's status writes and refuses the others.
func (g *statusGuard) Handle(_ context.Context, req admission.Request) admission.Response {
	if req.SubResource != "status" || req.Operation != admissionv1.Update || req.UserInfo.Username == g.operator {
		return admission.Allowed("")
	}
	err := statusForbidden(req.Resource.Resource, req.Name, req.UserInfo.Username)
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{
		Allowed: false, Result: ptrTo(err.Status()),
	}}
}

// statusForbidden is the error of a status write by someone other than the operator.
func statusForbidden(resource, name, user string) *apierrors.StatusError {
	what := "use the approval link or the roster.dev/approve or roster.dev/refuse annotation with the party's code, " +
		"or, when granted the verb approve, the roster.dev/override annotation"
	if resource != "contacttransfers" {
		what = "change the spec (or open a ContactTransfer) and let the operator report the outcome"
	}
	errs := field.ErrorList{field.Forbidden(field.NewPath("status"), fmt.Sprintf(
		"the status is written by the Roster operator only, not by user %q: %s", user, what))}
	return apierrors.NewForbidden(schema.GroupResource{Group: v1alpha1.GroupVersion.Group, Resource: resource},
		name, errs.ToAggregate())
}

func ptrTo[T any](v T) *T { return &v }
