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

package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// objectKey names an object in the tracker: kind/namespace/name.
func objectKey(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// readiness is what the tracker knows of one object.
type readiness struct {
	Ready bool
	// Since is when the tracker saw it become Ready (the watch event's arrival).
	Since time.Time
	// The Ready condition and generations, to explain an object that is not Ready.
	Reason, Message    string
	Generation, Status int64
	// Listed counts the roles the status lists: a Contact's status.roles, an Organization's holders in
	// status.roles. An object is done once it is Ready and lists what its roster gives it.
	Listed int
}

// readinessOf reads an object's readiness: its Ready condition is True and was computed from its
// current generation (the condition's observedGeneration, and status.observedGeneration when set).
func readinessOf(kind string, o *watched) readiness {
	r := readiness{Generation: o.Generation, Status: o.Status.ObservedGeneration, Reason: "NoReadyCondition"}
	switch kind {
	case kindContact:
		r.Listed = len(o.Status.Roles)
	case kindOrganization:
		for _, row := range o.Status.Roles {
			r.Listed += len(row.Holders)
		}
	}
	for _, c := range o.Status.Conditions {
		if c.Type != "Ready" {
			continue
		}
		r.Reason, r.Message = c.Reason, c.Message
		r.Ready = c.Status == "True" && c.ObservedGeneration == r.Generation && (r.Status == 0 || r.Status == r.Generation)
	}
	return r
}

// tracker watches the Roster kinds in every namespace and records when each object becomes Ready.
type tracker struct {
	mu      sync.Mutex
	objects map[string]readiness
	changed chan struct{} // closed and replaced on every change
}

func newTracker() *tracker {
	return &tracker{objects: map[string]readiness{}, changed: make(chan struct{})}
}

// start runs one informer per Roster kind until ctx ends and waits for their first list. The informers
// decode only what readiness needs (watched).
func (t *tracker) start(ctx context.Context, rc rest.Interface) error {
	var synced []cache.InformerSynced
	for _, kind := range dependencyOrder {
		lw := cache.NewListWatchFromClient(rc, resources[kind].Resource, "", fields.Everything())
		inf := cache.NewSharedIndexInformer(lw, &watched{}, 0, cache.Indexers{})
		// The tracker keeps the readiness it read; the informer's own store need not hold managedFields.
		if err := inf.SetTransform(func(obj any) (any, error) {
			if o, ok := obj.(*watched); ok {
				o.ManagedFields = nil
			}
			return obj, nil
		}); err != nil {
			return err
		}
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { t.observe(kind, obj) },
			UpdateFunc: func(_, obj any) { t.observe(kind, obj) },
			DeleteFunc: func(obj any) { t.forget(kind, obj) },
		}); err != nil {
			return err
		}
		go inf.Run(ctx.Done())
		synced = append(synced, inf.HasSynced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("watching the Roster kinds: the informers did not sync")
	}
	return nil
}

func (t *tracker) observe(kind string, obj any) {
	o, ok := obj.(*watched)
	if !ok {
		return
	}
	now := time.Now()
	r := readinessOf(kind, o)
	key := objectKey(kind, o.Namespace, o.Name)
	t.mu.Lock()
	defer t.mu.Unlock()
	prev, seen := t.objects[key]
	if r.Ready {
		if seen && prev.Ready && prev.Listed == r.Listed {
			r.Since = prev.Since
		} else {
			r.Since = now
		}
	}
	t.objects[key] = r
	t.notifyLocked()
}

func (t *tracker) forget(kind string, obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	o, ok := obj.(*watched)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.objects, objectKey(kind, o.Namespace, o.Name))
	t.notifyLocked()
}

func (t *tracker) notifyLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// done tells whether an object is Ready and lists the roles listed wants of it (keys it does not have
// want nothing).
func done(r readiness, listed map[string]int, key string) bool {
	want, ok := listed[key]
	return r.Ready && (!ok || r.Listed == want)
}

// waitReady waits until every object of keys is Ready at once and lists the roles listed wants of it,
// woken by the watch events, and returns the moment the last of them got there.
func (t *tracker) waitReady(ctx context.Context, keys []string, listed map[string]int) (time.Time, error) {
	remaining := append([]string(nil), keys...)
	for {
		t.mu.Lock()
		// Drop the done ones; those dropped earlier are checked again once none is left.
		kept := remaining[:0]
		for _, k := range remaining {
			if !done(t.objects[k], listed, k) {
				kept = append(kept, k)
			}
		}
		remaining = kept
		var last time.Time
		allReady := len(remaining) == 0
		if allReady {
			for _, k := range keys {
				r := t.objects[k]
				if !done(r, listed, k) {
					allReady = false
					remaining = append(remaining, k)
					continue
				}
				if r.Since.After(last) {
					last = r.Since
				}
			}
		}
		changed := t.changed
		t.mu.Unlock()
		if allReady {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%d of %d objects not Ready: %w", len(remaining), len(keys), ctx.Err())
		case <-changed:
		}
		// A scan of many keys on every watch event would take the CPU the measured processes need;
		// the moments come from the events (Since), so scanning less often does not change them.
		if len(remaining) > rescanEveryEventBelow {
			select {
			case <-ctx.Done():
			case <-time.After(rescanPause):
			}
		}
	}
}

const (
	rescanEveryEventBelow = 100
	rescanPause           = 100 * time.Millisecond
)

// notReady describes up to limit objects of keys that are not done, and counts them all.
func (t *tracker) notReady(keys []string, listed map[string]int, limit int) (lines []string, count int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		r, seen := t.objects[k]
		if done(r, listed, k) {
			continue
		}
		count++
		if len(lines) >= limit {
			continue
		}
		if !seen {
			lines = append(lines, k+": not seen by the watch (not created?)")
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: Ready reason %q, generation %d, status.observedGeneration %d, roles listed %d of %d: %s",
			k, r.Reason, r.Generation, r.Status, r.Listed, listed[k], r.Message))
	}
	sort.Strings(lines)
	return lines, count
}
