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

// Package cachetrim shrinks the Roster objects the manager caches before they are stored: it drops their
// managedFields, which nothing reads, and makes the strings that repeat across objects (namespaces,
// organization and role names, owner references, condition reasons...) share one copy. Strings are
// immutable, so sharing them changes nothing for readers or for deep copies.
package cachetrim

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"roster.dev/roster/api/v1alpha1"
)

const (
	// MaxStrings bounds the table of shared strings; strings met once it is full are kept as they are.
	MaxStrings = 1 << 17
	// maxSharedLen leaves long strings (free text) alone: they rarely repeat.
	maxSharedLen = 128
)

// Strings hands out one shared copy of each string it is given, up to max distinct strings.
type Strings struct {
	mu     sync.Mutex
	shared map[string]string
	max    int
}

// NewStrings returns an empty table that holds at most max strings.
func NewStrings(max int) *Strings { return &Strings{shared: map[string]string{}, max: max} }

// Share returns the table's copy of v, adding v when there is room.
func (s *Strings) Share(v string) string {
	if v == "" || len(v) > maxSharedLen {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.shared[v]; ok {
		return c
	}
	if len(s.shared) < s.max {
		s.shared[v] = v
	}
	return v
}

// Len is the number of strings in the table.
func (s *Strings) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.shared)
}

// Transform strips managedFields from every cached object, and shares the repeated strings of the
// Roster kinds through s.
func Transform(s *Strings) toolscache.TransformFunc {
	strip := cache.TransformStripManagedFields()
	return func(obj any) (any, error) {
		obj, err := strip(obj)
		if err != nil {
			return obj, err
		}
		switch o := obj.(type) {
		case *v1alpha1.Organization:
			s.meta(&o.ObjectMeta)
			s.conditions(o.Status.Conditions)
			for i := range o.Status.Roles {
				r := &o.Status.Roles[i]
				r.Role, r.Scope = s.Share(r.Role), s.Share(r.Scope)
				s.all(r.Holders)
			}
			for i := range o.Status.History {
				h := &o.Status.History[i]
				h.Role, h.Scope, h.How = s.Share(h.Role), s.Share(h.Scope), v1alpha1.HolderChangeKind(s.Share(string(h.How)))
				h.Holder, h.Previous = s.Share(h.Holder), s.Share(h.Previous)
				h.RequestedBy, h.User = s.Share(h.RequestedBy), s.Share(h.User)
			}
		case *v1alpha1.Contact:
			s.meta(&o.ObjectMeta)
			s.conditions(o.Status.Conditions)
			o.Spec.OrganizationRef.Name = s.Share(o.Spec.OrganizationRef.Name)
			o.Spec.Locale = v1alpha1.Locale(s.Share(string(o.Spec.Locale)))
			o.Spec.AccountStanding = v1alpha1.AccountStanding(s.Share(string(o.Spec.AccountStanding)))
			for i := range o.Status.Roles {
				r := &o.Status.Roles[i]
				r.Role, r.Scope = s.Share(r.Role), s.Share(r.Scope)
			}
			o.Status.RolesSummary = s.Share(o.Status.RolesSummary)
		case *v1alpha1.RoleAssignment:
			s.meta(&o.ObjectMeta)
			s.conditions(o.Status.Conditions)
			o.Spec.OrganizationRef.Name = s.Share(o.Spec.OrganizationRef.Name)
			o.Spec.Role, o.Spec.Scope = s.Share(o.Spec.Role), s.Share(o.Spec.Scope)
			o.Spec.ContactRef.Name, o.Status.Holder = s.Share(o.Spec.ContactRef.Name), s.Share(o.Status.Holder)
			o.Status.Grant = v1alpha1.Grant(s.Share(string(o.Status.Grant)))
		case *v1alpha1.ContactTransfer:
			s.meta(&o.ObjectMeta)
			s.conditions(o.Status.Conditions)
			o.Spec.OrganizationRef.Name = s.Share(o.Spec.OrganizationRef.Name)
			o.Spec.Role, o.Spec.Scope = s.Share(o.Spec.Role), s.Share(o.Spec.Scope)
		}
		return obj, nil
	}
}

// meta shares what repeats in object metadata: namespace, owner references, finalizers, label and
// annotation keys and short values. Names, UIDs and resource versions are each object's own.
func (s *Strings) meta(m *metav1.ObjectMeta) {
	m.Namespace = s.Share(m.Namespace)
	for i := range m.OwnerReferences {
		r := &m.OwnerReferences[i]
		r.APIVersion, r.Kind, r.Name = s.Share(r.APIVersion), s.Share(r.Kind), s.Share(r.Name)
		r.UID = types.UID(s.Share(string(r.UID)))
	}
	s.all(m.Finalizers)
	m.Labels = s.mapOf(m.Labels)
	m.Annotations = s.mapOf(m.Annotations)
}

func (s *Strings) conditions(cs []metav1.Condition) {
	for i := range cs {
		c := &cs[i]
		c.Type, c.Reason, c.Message = s.Share(c.Type), s.Share(c.Reason), s.Share(c.Message)
		c.Status = metav1.ConditionStatus(s.Share(string(c.Status)))
	}
}

func (s *Strings) all(vs []string) {
	for i := range vs {
		vs[i] = s.Share(vs[i])
	}
}

// mapOf returns m with its keys and values shared (a map's keys cannot be replaced in place).
func (s *Strings) mapOf(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[s.Share(k)] = s.Share(v)
	}
	return out
}
