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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

func TestStampWhoCannotBeForged(t *testing.T) {
	const operator = "system:serviceaccount:roster-system:roster-controller-manager"
	changedBy, deletedBy := v1alpha1.ChangedByAnnotation, v1alpha1.DeletedByAnnotation
	ra := func(contact string, annotations map[string]string) *v1alpha1.RoleAssignment {
		return &v1alpha1.RoleAssignment{ObjectMeta: metav1.ObjectMeta{Annotations: annotations},
			Spec: v1alpha1.RoleAssignmentSpec{Role: "billing", ContactRef: v1alpha1.LocalObjectReference{Name: contact}}}
	}
	stored := ra("bob", map[string]string{changedBy: "alice"})
	tests := []struct {
		name     string
		old, new *v1alpha1.RoleAssignment
		user     string
		want     map[string]string
	}{
		{"create: the request's user, whatever the client wrote",
			nil, ra("bob", map[string]string{changedBy: "forged", deletedBy: "forged"}), "mallory", map[string]string{changedBy: "mallory"}},
		{"a change of spec: the request's user",
			stored, ra("carol", map[string]string{changedBy: "forged"}), "mallory", map[string]string{changedBy: "mallory"}},
		{"a change of metadata only keeps the stored author",
			stored, ra("bob", map[string]string{changedBy: "forged", "team": "x"}), "mallory", map[string]string{changedBy: "alice", "team": "x"}},
		{"removing the author keeps it",
			stored, ra("bob", nil), "mallory", map[string]string{changedBy: "alice"}},
		{"deleted-by from a client is dropped",
			stored, ra("bob", map[string]string{changedBy: "alice", deletedBy: "someone-else"}), "mallory", map[string]string{changedBy: "alice"}},
		{"deleted-by stored is kept against a client",
			ra("bob", map[string]string{changedBy: "alice", deletedBy: "mallory"}), ra("bob", map[string]string{changedBy: "alice", deletedBy: "nobody"}),
			"mallory", map[string]string{changedBy: "alice", deletedBy: "mallory"}},
		{"the operator stamps deleted-by",
			stored, ra("bob", map[string]string{changedBy: "alice", deletedBy: "mallory"}), operator, map[string]string{changedBy: "alice", deletedBy: "mallory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := stampWho(tt.old, tt.new, tt.user, operator)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}
