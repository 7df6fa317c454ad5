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
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"roster.dev/roster/api/v1alpha1"
)

// maxArrivalWait bounds how long a new contact's first status waits for its assignments while its
// organization's roster is arriving.
const maxArrivalWait = 3 * settleDelay

// arrivals remembers, per organization, when its last two contacts or assignments were created. A
// contact created with others (a GitOps apply) then waits for its assignments before its first status,
// so that it is written once, with its roles; a contact created alone is Ready at once.
type arrivals struct {
	mu   sync.Mutex
	last map[types.NamespacedName][2]time.Time
	now  func() time.Time
}

func newArrivals() *arrivals {
	return &arrivals{last: map[types.NamespacedName][2]time.Time{}, now: time.Now}
}

// note records that a contact or an assignment of organization org arrived.
func (a *arrivals) note(org types.NamespacedName) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if len(a.last) >= 4096 {
		for k, t := range a.last {
			if now.Sub(t[0]) >= settleDelay {
				delete(a.last, k)
			}
		}
	}
	t := a.last[org]
	a.last[org] = [2]time.Time{now, t[0]}
}

// busy tells whether two of org's objects arrived within settleDelay: its roster is arriving.
func (a *arrivals) busy(org types.NamespacedName) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.last[org]
	return ok && a.now().Sub(t[1]) < settleDelay
}

// handler records the creations of Contacts and RoleAssignments; it enqueues nothing.
func (a *arrivals) handler() handler.EventHandler {
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			for _, req := range organizationOf(ctx, e.Object) {
				a.note(req.NamespacedName)
			}
		},
	}
}

// awaitsAssignments tells whether contact c, never reported and holding nothing yet, should wait for
// the assignments arriving with it before its first status: only while its organization's roster is
// arriving, and never longer than maxArrivalWait after its creation.
func (a *arrivals) awaitsAssignments(c *v1alpha1.Contact, held []v1alpha1.HeldRole) bool {
	if a == nil || len(held) > 0 || meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ReadyCondition) != nil {
		return false
	}
	if a.now().Sub(c.CreationTimestamp.Time) >= maxArrivalWait {
		return false
	}
	return a.busy(types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.OrganizationRef.Name})
}
