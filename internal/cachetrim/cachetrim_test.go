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

package cachetrim

import (
	"strings"
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
)

// fresh returns a copy of v with its own bytes, as a decoder gives.
func fresh(v string) string { return strings.Clone(v) }

func sameBytes(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

func TestShare(t *testing.T) {
	s := NewStrings(2)
	a := s.Share(fresh("primary"))
	if b := s.Share(fresh("primary")); !sameBytes(a, b) || b != "primary" {
		t.Errorf("two equal strings do not share their bytes")
	}
	long := strings.Repeat("x", maxSharedLen+1)
	if s.Share(fresh(long)); s.Len() != 1 {
		t.Errorf("a string longer than %d bytes was added", maxSharedLen)
	}
	s.Share(fresh("billing"))
	third := fresh("renewal")
	if got := s.Share(third); !sameBytes(got, third) || s.Len() != 2 {
		t.Errorf("a full table added a string (len %d)", s.Len())
	}
	if got := s.Share(""); got != "" {
		t.Errorf("empty string: %q", got)
	}
}

func meta(ns, name, org string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: fresh(ns), Name: name, UID: types.UID("uid-of-" + name),
		OwnerReferences: []metav1.OwnerReference{{APIVersion: fresh("roster.dev/v1alpha1"), Kind: fresh("Organization"),
			Name: fresh(org), UID: "org-uid"}},
		Finalizers:    []string{fresh("roster.dev/assignment")},
		Labels:        map[string]string{fresh("app"): fresh("crm")},
		Annotations:   map[string]string{fresh(v1alpha1.RequestedByAnnotation): fresh("gitops")},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "gitops"}},
	}
}

func ready() []metav1.Condition {
	return []metav1.Condition{{Type: fresh("Ready"), Status: metav1.ConditionStatus(fresh("True")), Reason: fresh("Held"),
		Message: fresh("holds the role")}}
}

func TestTransformKeepsEveryValue(t *testing.T) {
	objects := func() []client.Object {
		return []client.Object{
			&v1alpha1.Organization{ObjectMeta: meta("tenants", "acme", "acme"), Status: v1alpha1.OrganizationStatus{
				Conditions: ready(),
				Roles:      []v1alpha1.RoleHolders{{Role: fresh("primary"), Holders: []string{fresh("alice")}, Required: true}},
				History: []v1alpha1.HolderChange{{Role: fresh("primary"), Holder: fresh("alice"),
					How: v1alpha1.HolderChangeKind(fresh("InitialRoster")), Assignment: "acme-primary"}},
			}},
			&v1alpha1.Contact{ObjectMeta: meta("tenants", "alice", "acme"),
				Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: fresh("acme")},
					Email: "alice@acme.example", Locale: v1alpha1.Locale(fresh("fr"))},
				Status: v1alpha1.ContactStatus{Conditions: ready(), Roles: []v1alpha1.HeldRole{{Role: fresh("primary")}},
					RolesSummary: fresh("primary")}},
			&v1alpha1.RoleAssignment{ObjectMeta: meta("tenants", "acme-primary", "acme"),
				Spec: v1alpha1.RoleAssignmentSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: fresh("acme")},
					Role: fresh("primary"), ContactRef: v1alpha1.LocalObjectReference{Name: fresh("alice")}},
				Status: v1alpha1.RoleAssignmentStatus{Conditions: ready(), Holder: fresh("alice"),
					Grant: v1alpha1.Grant(fresh("InitialRoster"))}},
			&v1alpha1.ContactTransfer{ObjectMeta: meta("tenants", "to-bob", "acme"),
				Spec: v1alpha1.ContactTransferSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: fresh("acme")},
					Role: fresh("primary"), To: v1alpha1.LocalObjectReference{Name: "bob"}}},
		}
	}
	s := NewStrings(MaxStrings)
	transform := Transform(s)
	want, got := objects(), objects()
	for i := range got {
		out, err := transform(got[i])
		if err != nil {
			t.Fatal(err)
		}
		w := want[i]
		w.SetManagedFields(nil)
		if !equality.Semantic.DeepEqual(out, w) {
			t.Errorf("%T changed: got %+v, want %+v", out, out, w)
		}
	}
	// The same strings in different objects now share their bytes.
	org, contact := got[0].(*v1alpha1.Organization), got[1].(*v1alpha1.Contact)
	ra := got[2].(*v1alpha1.RoleAssignment)
	for _, c := range []struct{ what, a, b string }{
		{"namespace", org.Namespace, ra.Namespace},
		{"owner name and organizationRef", contact.OwnerReferences[0].Name, ra.Spec.OrganizationRef.Name},
		{"role", org.Status.Roles[0].Role, ra.Spec.Role},
		{"holder", org.Status.History[0].Holder, ra.Status.Holder},
		{"condition reason", contact.Status.Conditions[0].Reason, ra.Status.Conditions[0].Reason},
		{"annotation value", contact.Annotations[v1alpha1.RequestedByAnnotation], ra.Annotations[v1alpha1.RequestedByAnnotation]},
		{"finalizer", contact.Finalizers[0], ra.Finalizers[0]},
	} {
		if !sameBytes(c.a, c.b) {
			t.Errorf("%s: %q not shared", c.what, c.a)
		}
	}
	if len(ra.ManagedFields) != 0 {
		t.Errorf("managedFields kept: %v", ra.ManagedFields)
	}
}
