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

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
)

// ApproveVerb is the custom verb on contacttransfers.roster.dev that lets a user decide for a party
// without its token (roster.dev/override) and weaken the catalogue of a held role.
const ApproveVerb = "approve"

// approverRoleHint names the ClusterRole of config/rbac that grants ApproveVerb, for error messages.
const approverRoleHint = "roster-contacttransfer-approver-role"

// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// approveChecker tells whether a user may use the verb approve on contacttransfers.roster.dev in a
// namespace: on the named transfer, or on every transfer of the namespace when name is "".
type approveChecker interface {
	canApprove(ctx context.Context, user authenticationv1.UserInfo, namespace, name string) (bool, error)
}

// subjectAccessReviewer asks the apiserver with a SubjectAccessReview carrying the request's user, groups,
// uid and extra, so that every authorizer of the cluster (RBAC, webhooks) answers as it would for that user.
type subjectAccessReviewer struct{ client client.Client }

func (s *subjectAccessReviewer) canApprove(ctx context.Context, user authenticationv1.UserInfo, namespace, name string) (bool, error) {
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   user.Username,
		Groups: user.Groups,
		UID:    user.UID,
		Extra:  extraOf(user),
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Group:     v1alpha1.GroupVersion.Group,
			Resource:  "contacttransfers",
			Verb:      ApproveVerb,
			Namespace: namespace,
			Name:      name,
		},
	}}
	if err := s.client.Create(ctx, sar); err != nil {
		return false, fmt.Errorf("asking the apiserver whether user %q may %s contacttransfers.roster.dev: %w", user.Username, ApproveVerb, err)
	}
	return sar.Status.Allowed && !sar.Status.Denied, nil
}

func extraOf(user authenticationv1.UserInfo) map[string]authorizationv1.ExtraValue {
	if len(user.Extra) == 0 {
		return nil
	}
	out := make(map[string]authorizationv1.ExtraValue, len(user.Extra))
	for k, v := range user.Extra {
		out[k] = authorizationv1.ExtraValue(v)
	}
	return out
}

// howToGrantApprove is the sentence that tells how to get the verb approve in a namespace.
func howToGrantApprove(namespace string) string {
	return fmt.Sprintf("this needs the verb %s on contacttransfers.roster.dev in namespace %s: ask an administrator to bind "+
		"ClusterRole %s (or a rule with apiGroups [roster.dev], resources [contacttransfers], verbs [%s]) to you in that namespace",
		ApproveVerb, namespace, approverRoleHint, ApproveVerb)
}
