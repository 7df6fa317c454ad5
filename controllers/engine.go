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

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
)

// Limits of the delivery engine.
const (
	// deliveryWorkers send in parallel, apart from the reconcilers' workers.
	deliveryWorkers = 16
	// maxPerNamespace is how many objects of one namespace (a tenant) are being delivered at once: one
	// tenant with slow receivers occupies at most this many workers.
	maxPerNamespace = 1
	// maxPerPass bounds the deliveries one object sends before the others get a turn.
	maxPerPass = 8
	// passDeadline bounds one pass, whatever the channels' own timeouts.
	passDeadline = time.Minute
	// recordDeadline bounds the status write that records a pass's outcome.
	recordDeadline = 30 * time.Second
	// breakerCooldown is how long a destination that timed out, refused or could not be reached is left
	// alone before it is tried again.
	breakerCooldown = time.Minute
	// busyRetry is when an object of a busy namespace is looked at again.
	busyRetry = 500 * time.Millisecond
)

// deliveryKey names an object whose outbox has something to send.
type deliveryKey struct {
	gvk schema.GroupVersionKind
	types.NamespacedName
}

// DeliveryEngine sends what the reconcilers record in the outboxes, in workers of its own: a reconcile
// only records, so a slow or silent receiver delays notifications, never role changes. It runs on the
// leader only, like the reconcilers that feed it; on a new leader they feed it again as they reconcile
// every object at start.
type DeliveryEngine struct {
	deliverer *Deliverer
	client    client.Client
	queue     workqueue.TypedRateLimitingInterface[deliveryKey]

	mu   sync.Mutex
	busy map[string]int // objects being delivered, per namespace
}

// newDeliveryEngine returns an engine that sends through d.
func newDeliveryEngine(d *Deliverer, c client.Client) *DeliveryEngine {
	return &DeliveryEngine{
		deliverer: d, client: c, busy: map[string]int{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[deliveryKey](),
			workqueue.TypedRateLimitingQueueConfig[deliveryKey]{Name: "delivery"}),
	}
}

// NeedLeaderElection makes the engine run on the leader only.
func (e *DeliveryEngine) NeedLeaderElection() bool { return true }

// Start runs the workers until ctx ends.
func (e *DeliveryEngine) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for range deliveryWorkers {
		wg.Go(func() {
			for e.next(ctx) {
			}
		})
	}
	<-ctx.Done()
	e.queue.ShutDown()
	wg.Wait()
	return nil
}

// enqueue asks for obj's outbox to be looked at after a while (at once for 0).
func (e *DeliveryEngine) enqueue(obj v1alpha1.OutboxObject, after time.Duration) {
	gvk, err := apiutil.GVKForObject(obj, e.client.Scheme())
	if err != nil {
		return
	}
	key := deliveryKey{gvk: gvk, NamespacedName: client.ObjectKeyFromObject(obj)}
	if after <= 0 {
		e.queue.Add(key)
		return
	}
	e.queue.AddAfter(key, after)
}

// next processes one key; false once the queue is shut down.
func (e *DeliveryEngine) next(ctx context.Context) bool {
	key, shutdown := e.queue.Get()
	if shutdown {
		return false
	}
	defer e.queue.Done(key)
	after, err := e.process(ctx, key)
	switch {
	case err != nil:
		log.FromContext(ctx).Error(err, "delivering notifications", "kind", key.gvk.Kind, "object", key.NamespacedName)
		e.queue.AddRateLimited(key)
	case after > 0:
		e.queue.Forget(key)
		e.queue.AddAfter(key, after)
	default:
		e.queue.Forget(key)
	}
	return true
}

// process sends what is due in one object's outbox, unless its namespace already has an object being
// delivered. It returns when to look again.
func (e *DeliveryEngine) process(ctx context.Context, key deliveryKey) (time.Duration, error) {
	raw, err := e.client.Scheme().New(key.gvk)
	if err != nil {
		return 0, err
	}
	obj, ok := raw.(v1alpha1.OutboxObject)
	if !ok {
		return 0, nil
	}
	if !e.acquire(key.Namespace) {
		return busyRetry, nil
	}
	defer e.release(key.Namespace)
	// From the API server: the cache may not show yet the entries the reconcile that enqueued the key
	// has just written.
	if err := e.deliverer.APIReader.Get(ctx, key.NamespacedName, obj); err != nil {
		return 0, client.IgnoreNotFound(err)
	}
	if due, next := notify.Due(*obj.Outbox(), e.deliverer.now()); len(due) == 0 {
		return next, nil
	}
	orgKey := types.NamespacedName{Namespace: key.Namespace, Name: obj.OrganizationName()}
	var org *v1alpha1.Organization
	if o, ok := obj.(*v1alpha1.Organization); ok {
		org = o.DeepCopy()
	} else {
		org = &v1alpha1.Organization{}
		if err := e.client.Get(ctx, orgKey, org); err != nil {
			if client.IgnoreNotFound(err) != nil {
				return 0, err
			}
			org = nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, passDeadline)
	defer cancel()
	return deliverOutbox(ctx, e.client, e.deliverer, obj, org)
}

func (e *DeliveryEngine) acquire(namespace string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.busy[namespace] >= maxPerNamespace {
		return false
	}
	e.busy[namespace]++
	return true
}

func (e *DeliveryEngine) release(namespace string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.busy[namespace]--; e.busy[namespace] <= 0 {
		delete(e.busy, namespace)
	}
}

// breaker remembers the destinations that keep failing: each is left alone for breakerCooldown after a
// timeout, a refusal or an unreachable network, so that it holds no worker meanwhile.
type breaker struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// open reports whether destination is left alone at now, and until when.
func (b *breaker) open(destination string, now time.Time) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.until[destination]
	if ok && !now.Before(until) {
		delete(b.until, destination)
		return time.Time{}, false
	}
	return until, ok
}

// trip leaves destination alone for breakerCooldown from now.
func (b *breaker) trip(destination string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.until == nil {
		b.until = map[string]time.Time{}
	}
	b.until[destination] = now.Add(breakerCooldown)
}

// destinationOf names where a channel of obj's organization delivers, for the breaker.
func destinationOf(obj v1alpha1.OutboxObject, channel string) string {
	return obj.GetNamespace() + "/" + obj.OrganizationName() + "/" + channel
}

// holdsWorkers tells the errors after which a destination is left alone for a while: it holds workers
// (timeouts) or is not there (refused, unreachable).
func holdsWorkers(err error) bool {
	switch notify.Classify(err) {
	case notify.ClassTimeout, notify.ClassRefused, notify.ClassUnreachable:
		return true
	}
	return false
}

// finalizeCheck is how often a deleted organization or transfer looks whether its last message went out;
// finalizeGrace is how long after its deletion it waits for it at most (a destination the breaker leaves
// alone makes no attempt, so "failing" may never come).
const (
	finalizeCheck = 2 * time.Second
	finalizeGrace = 3 * time.Minute
)

// stillTelling reports whether a deleted object keeps its finalizer for its last message: it is pending,
// not failing, and the object was deleted less than finalizeGrace ago.
func stillTelling(obj v1alpha1.OutboxObject, now time.Time) bool {
	outbox := *obj.Outbox()
	deleted := obj.GetDeletionTimestamp()
	return notify.Pending(outbox) > 0 && len(notify.Failing(outbox)) == 0 &&
		(deleted == nil || now.Before(deleted.Add(finalizeGrace)))
}
