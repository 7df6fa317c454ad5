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
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/index"
)

// This file maps a change of one object to exactly the objects it affects, through the cache indexes of
// package index.

// organizationOf maps a Contact, RoleAssignment or ContactTransfer to its Organization.
func organizationOf(_ context.Context, obj client.Object) []reconcile.Request {
	var name string
	switch o := obj.(type) {
	case *v1alpha1.Contact:
		name = o.Spec.OrganizationRef.Name
	case *v1alpha1.RoleAssignment:
		name = o.Spec.OrganizationRef.Name
	case *v1alpha1.ContactTransfer:
		name = o.Spec.OrganizationRef.Name
	}
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}}}
}

// contactsOfAssignment maps a RoleAssignment to the contacts it names (desired and current holder).
func contactsOfAssignment(_ context.Context, obj client.Object) []reconcile.Request {
	ra := obj.(*v1alpha1.RoleAssignment)
	var reqs []reconcile.Request
	for _, name := range []string{ra.Spec.ContactRef.Name, ra.Status.Holder} {
		if name != "" && (len(reqs) == 0 || reqs[0].Name != name) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ra.Namespace, Name: name}})
		}
	}
	return reqs
}

// mapper looks up affected objects through the cache indexes.
type mapper struct{ c client.Reader }

// listRequests lists objects of one kind matching an index value in obj's namespace, as requests.
func (m mapper) listRequests(ctx context.Context, list client.ObjectList, namespace, field, value string) []reconcile.Request {
	if err := m.c.List(ctx, list, client.InNamespace(namespace), client.MatchingFields{field: value}); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	switch l := list.(type) {
	case *v1alpha1.ContactList:
		for i := range l.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&l.Items[i])})
		}
	case *v1alpha1.RoleAssignmentList:
		for i := range l.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&l.Items[i])})
		}
	case *v1alpha1.ContactTransferList:
		for i := range l.Items {
			// A settled transfer no longer depends on its neighbours.
			if !approval.Settled(&l.Items[i]) {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&l.Items[i])})
			}
		}
	}
	return reqs
}

// contactsOfOrganization maps an Organization to its Contacts.
func (m mapper) contactsOfOrganization(ctx context.Context, obj client.Object) []reconcile.Request {
	return m.listRequests(ctx, &v1alpha1.ContactList{}, obj.GetNamespace(), index.ByOrganization, obj.GetName())
}

// assignmentsOfOrganization maps an Organization to its RoleAssignments.
func (m mapper) assignmentsOfOrganization(ctx context.Context, obj client.Object) []reconcile.Request {
	return m.listRequests(ctx, &v1alpha1.RoleAssignmentList{}, obj.GetNamespace(), index.ByOrganization, obj.GetName())
}

// assignmentsOfContact maps a Contact to the RoleAssignments that name it.
func (m mapper) assignmentsOfContact(ctx context.Context, obj client.Object) []reconcile.Request {
	return m.listRequests(ctx, &v1alpha1.RoleAssignmentList{}, obj.GetNamespace(), index.ByContact, obj.GetName())
}

// contactsWithSameEmail maps a Contact to the contacts of its organization sharing its email, so that the
// survivor of a duplicate learns when the other goes.
func (m mapper) contactsWithSameEmail(ctx context.Context, obj client.Object) []reconcile.Request {
	c := obj.(*v1alpha1.Contact)
	key := index.EmailKey(c.Spec.OrganizationRef.Name, c.Spec.Email)
	return others(c, m.listRequests(ctx, &v1alpha1.ContactList{}, c.Namespace, index.ByEmail, key))
}

// competingAssignments maps a RoleAssignment to the assignments of the same (organization, role, scope),
// whose standing may change with it.
func (m mapper) competingAssignments(ctx context.Context, obj client.Object) []reconcile.Request {
	ra := obj.(*v1alpha1.RoleAssignment)
	key := index.RoleScopeKey(ra.Spec.OrganizationRef.Name, ra.Spec.Role, ra.Spec.Scope)
	return others(ra, m.listRequests(ctx, &v1alpha1.RoleAssignmentList{}, ra.Namespace, index.ByRoleScope, key))
}

// others drops obj itself from requests: its own changes reach it through For, with its predicates.
func others(obj client.Object, reqs []reconcile.Request) []reconcile.Request {
	return slices.DeleteFunc(reqs, func(r reconcile.Request) bool { return r.NamespacedName == client.ObjectKeyFromObject(obj) })
}

// settleDelay is how long a summary waits after a neighbour changed: a GitOps apply brings an
// organization's contacts and assignments together, and the organization's status (and each contact's
// list of roles) is written once for all of them, not once per arrival.
const settleDelay = time.Second

// enqueueSettled maps a neighbour's change to requests as handler.EnqueueRequestsFromMapFunc does, but
// for settleDelay later. The workqueue keeps one request per object at its earliest time, so changes
// within the delay give one reconcile, never later than settleDelay after the first of them.
func enqueueSettled(fn handler.MapFunc) handler.EventHandler {
	add := func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request], objs ...client.Object) {
		for _, obj := range objs {
			for _, req := range fn(ctx, obj) {
				q.AddAfter(req, settleDelay)
			}
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.Object)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.ObjectOld, e.ObjectNew)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.Object)
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.Object)
		},
	}
}

// generationOrAnnotationsChanged skips the status-only updates a controller makes to its own objects.
func generationOrAnnotationsChanged() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{},
		predicate.LabelChangedPredicate{})
}

// assignmentsOfTransfer maps a ContactTransfer to the assignments of its (organization, role, scope).
func (m mapper) assignmentsOfTransfer(ctx context.Context, obj client.Object) []reconcile.Request {
	t := obj.(*v1alpha1.ContactTransfer)
	key := index.RoleScopeKey(t.Spec.OrganizationRef.Name, t.Spec.Role, t.Spec.Scope)
	return m.listRequests(ctx, &v1alpha1.RoleAssignmentList{}, t.Namespace, index.ByRoleScope, key)
}

// transfersOfAssignment maps a RoleAssignment to the transfers of its (organization, role, scope).
func (m mapper) transfersOfAssignment(ctx context.Context, obj client.Object) []reconcile.Request {
	ra := obj.(*v1alpha1.RoleAssignment)
	key := index.RoleScopeKey(ra.Spec.OrganizationRef.Name, ra.Spec.Role, ra.Spec.Scope)
	return m.listRequests(ctx, &v1alpha1.ContactTransferList{}, ra.Namespace, index.ByRoleScope, key)
}

// transfersOfContact maps a Contact to the transfers naming it.
func (m mapper) transfersOfContact(ctx context.Context, obj client.Object) []reconcile.Request {
	return m.listRequests(ctx, &v1alpha1.ContactTransferList{}, obj.GetNamespace(), index.ByParty, obj.GetName())
}

// transfersOfOrganization maps an Organization to its transfers.
func (m mapper) transfersOfOrganization(ctx context.Context, obj client.Object) []reconcile.Request {
	return m.listRequests(ctx, &v1alpha1.ContactTransferList{}, obj.GetNamespace(), index.ByOrganization, obj.GetName())
}

// contactsDecidingTransfer maps a ContactTransfer to the contacts that decided it with a token: using a
// token verifies their address.
func contactsDecidingTransfer(_ context.Context, obj client.Object) []reconcile.Request {
	t := obj.(*v1alpha1.ContactTransfer)
	var reqs []reconcile.Request
	for _, a := range t.Status.Approvals {
		if a.Email != "" {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: t.Namespace, Name: a.Contact}})
		}
	}
	return reqs
}

// emailChangeDecided passes the status writes of the confirmation page: a confirmation, an approval or a
// refusal of a change of address, which the contact's controller then applies.
func emailChangeDecided() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			before, after := e.ObjectOld.(*v1alpha1.Contact), e.ObjectNew.(*v1alpha1.Contact)
			return !equality.Semantic.DeepEqual(before.Status.EmailChange, after.Status.EmailChange)
		},
	}
}
