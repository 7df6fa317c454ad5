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
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
)

// A namespace editor who marks its own transfer as the operator's gets it bound to another holder's
// assignment, or credited to someone else in the history: only the operator may write the marks.
func TestSecurityOnlyTheOperatorMarksItsTransfers(t *testing.T) {
	const operator = "system:serviceaccount:roster-system:roster-operator"
	purpose := map[string]string{v1alpha1.PurposeLabel: v1alpha1.HolderChangePurpose}
	openedFor := map[string]string{v1alpha1.OpenedForAnnotation: "billing", v1alpha1.OpenedForUIDAnnotation: "uid-of-billing"}
	controlledBy := func(kind string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{APIVersion: "roster.dev/v1alpha1", Kind: kind, Name: "x", UID: "uid-of-x", Controller: ptr(true)}}
	}
	type marks struct {
		labels, annotations map[string]string
		owners              []metav1.OwnerReference
	}
	cases := []struct {
		name     string
		user     string
		old, new *marks // old nil: a create
		refused  string // the field the error names; "" when admitted
	}{
		{name: "the operator opens a change of holder", user: operator, new: &marks{labels: purpose, annotations: openedFor}},
		{name: "an editor creates a plain transfer", user: "editor", new: &marks{labels: map[string]string{"team": "a"}}},
		{name: "an editor creates a transfer with the purpose label", user: "editor", new: &marks{labels: purpose},
			refused: "metadata.labels[roster.dev/purpose]"},
		{name: "an editor names the assignment it was opened for", user: "editor", new: &marks{annotations: openedFor},
			refused: "metadata.annotations[roster.dev/opened-for-uid]"},
		{name: "an editor makes an assignment its controller", user: "editor", new: &marks{owners: controlledBy("RoleAssignment")},
			refused: "metadata.ownerReferences"},
		{name: "an editor makes its organization its controller", user: "editor", new: &marks{owners: controlledBy("Organization")}},
		{name: "a party approves the operator's transfer", user: "editor",
			old: &marks{labels: purpose, annotations: openedFor},
			new: &marks{labels: purpose, annotations: map[string]string{v1alpha1.OpenedForAnnotation: "billing",
				v1alpha1.OpenedForUIDAnnotation: "uid-of-billing", v1alpha1.ApproveAnnotation: "code"}}},
		{name: "an editor removes the purpose label", user: "editor", old: &marks{labels: purpose, annotations: openedFor},
			new: &marks{annotations: openedFor}, refused: "metadata.labels[roster.dev/purpose]"},
		{name: "an editor points the transfer at another assignment", user: "editor", old: &marks{labels: purpose, annotations: openedFor},
			new: &marks{labels: purpose, annotations: map[string]string{v1alpha1.OpenedForAnnotation: "billing",
				v1alpha1.OpenedForUIDAnnotation: "uid-of-another"}}, refused: "metadata.annotations[roster.dev/opened-for-uid]"},
		{name: "the garbage collector removes a deleted assignment's controller reference", user: "system:serviceaccount:kube-system:generic-garbage-collector",
			old: &marks{labels: purpose, owners: controlledBy("RoleAssignment")}, new: &marks{labels: purpose}},
		{name: "an editor adds the purpose label later", user: "editor", old: &marks{}, new: &marks{labels: purpose},
			refused: "metadata.labels[roster.dev/purpose]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			build := func(m *marks) *v1alpha1.ContactTransfer {
				tr := transferWith(m.annotations)
				tr.Labels, tr.OwnerReferences = m.labels, m.owners
				return tr
			}
			v := &ContactTransferValidator{reader: &reader{access: &fakeChecker{}}, operator: operator}
			var err error
			if tc.old == nil {
				ctx := admission.NewContextWithRequest(context.Background(), requestBy(tc.user, admissionv1.Create, "", nil))
				err = v.checkOperatorMarks(ctx, nil, build(tc.new))
			} else {
				old := build(tc.old)
				ctx := admission.NewContextWithRequest(context.Background(), requestBy(tc.user, admissionv1.Update, "", old))
				_, err = v.ValidateUpdate(ctx, old, build(tc.new))
			}
			if tc.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !apierrors.IsForbidden(err) {
				t.Fatalf("got %v, want Forbidden", err)
			}
			for _, part := range []string{tc.refused, `user "editor"`, "remove"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}
