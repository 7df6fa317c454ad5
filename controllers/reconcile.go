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
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// phase is one step of a Reconcile. Phases run in order; the first error stops the list.
type phase[S any] func(ctx context.Context, s S) (ctrl.Result, error)

// runPhases runs the phases in order and returns the soonest requeue any of them asked for.
func runPhases[S any](ctx context.Context, s S, phases ...phase[S]) (ctrl.Result, error) {
	var result ctrl.Result
	for _, p := range phases {
		r, err := p(ctx, s)
		if err != nil {
			return result, err
		}
		result = soonest(result, r)
	}
	return result, nil
}

// soonest merges two results, keeping the shortest non-zero RequeueAfter.
func soonest(a, b ctrl.Result) ctrl.Result {
	a.RequeueAfter = sooner(a.RequeueAfter, b.RequeueAfter)
	return a
}

// sooner returns the shorter of two waits, 0 meaning none.
func sooner(a, b time.Duration) time.Duration {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// waitUntil is the wait from now until t, at least a second (so that a time just passed is no busy
// loop); 0 for the zero time.
func waitUntil(t, now time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return max(time.Second, t.Sub(now))
}

// earlier returns the earlier of two times, the zero time meaning none.
func earlier(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// patchStatus writes obj's status with a merge patch against before, and skips the write when nothing
// changed, so that reconciling an object at rest makes no API call.
func patchStatus(ctx context.Context, c client.Client, before, obj client.Object) error {
	return patchStatusIfChanged(ctx, c, statusBase(before, obj), obj)
}

// statusBase is before with obj's metadata: a status patch carries the status only. When obj's metadata
// was written during the reconcile (an owner added), a patch against before would carry the old and new
// managedFields and resourceVersion, and write although the status did not change.
func statusBase(before, obj client.Object) client.Object {
	base := before.DeepCopyObject().(client.Object)
	b, ok := base.(metav1.ObjectMetaAccessor)
	o, ok2 := obj.(metav1.ObjectMetaAccessor)
	if !ok || !ok2 {
		return before
	}
	meta, ok := b.GetObjectMeta().(*metav1.ObjectMeta)
	current, ok2 := o.GetObjectMeta().(*metav1.ObjectMeta)
	if !ok || !ok2 {
		return before
	}
	current.DeepCopyInto(meta)
	return base
}

// patchObject writes obj's metadata or spec with a merge patch against before, skipping no-op writes.
func patchObject(ctx context.Context, c client.Client, before, obj client.Object) error {
	return patchIfChanged(ctx, before, obj, func(ctx context.Context, o client.Object, p client.Patch) error {
		return c.Patch(ctx, o, p)
	})
}

// patchStatusLocked is patchStatus with optimistic concurrency, for a status that has another writer
// (the approval page writes decisions): a write based on a stale read fails with a conflict and is retried.
func patchStatusLocked(ctx context.Context, c client.Client, before, obj client.Object) error {
	before = statusBase(before, obj)
	data, err := mergePatch(before, obj)
	if err != nil || data == nil {
		return err
	}
	return ownWrites.write(before, obj, data, func() error {
		return c.Status().Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	})
}

// ownWrites remembers each object's last status write and the version it was computed from. Until the
// cache shows that write, a reconcile reads the same old copy and would send the same patch again: a
// second write for nothing, or a conflict.
var ownWrites = &writeMemo{}

type writeMemo struct {
	entries sync.Map // types.UID → ownWrite
	stores  atomic.Int64
}

type ownWrite struct {
	base  string
	patch [sha256.Size]byte // the merge patch's hash: the memo holds an entry per object written
	at    time.Time
}

// write runs do, which sends the merge patch data computed from before, unless it is the status write
// already made from the same version of the object.
func (m *writeMemo) write(before, obj client.Object, data []byte, do func() error) error {
	base, sum := before.GetResourceVersion(), sha256.Sum256(data)
	if w, ok := m.entries.Load(obj.GetUID()); ok && w.(ownWrite).base == base && w.(ownWrite).patch == sum {
		return nil
	}
	if err := do(); err != nil {
		return err
	}
	m.entries.Store(obj.GetUID(), ownWrite{base: base, patch: sum, at: time.Now()})
	if m.stores.Add(1)%1024 == 0 {
		// Objects deleted since leave their entry: the cache has long caught up with writes a minute old.
		m.entries.Range(func(k, v any) bool {
			if time.Since(v.(ownWrite).at) > time.Minute {
				m.entries.Delete(k)
			}
			return true
		})
	}
	return nil
}

func patchIfChanged(ctx context.Context, before, obj client.Object, write func(context.Context, client.Object, client.Patch) error) error {
	if changed, err := differs(before, obj); err != nil || !changed {
		return err
	}
	return write(ctx, obj, client.MergeFrom(before))
}

// patchStatusIfChanged is patchIfChanged for a status, once per version of the object (see ownWrites).
func patchStatusIfChanged(ctx context.Context, c client.Client, before, obj client.Object) error {
	data, err := mergePatch(before, obj)
	if err != nil || data == nil {
		return err
	}
	// The patch computed once is the one sent: computing it means encoding both objects.
	return ownWrites.write(before, obj, data, func() error {
		return c.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, data))
	})
}

// mergePatch is the merge patch from before to obj; nil when nothing changed.
func mergePatch(before, obj client.Object) ([]byte, error) {
	data, err := client.MergeFrom(before).Data(obj)
	if err != nil || string(data) == "{}" {
		return nil, err
	}
	return data, nil
}

// differs tells whether obj changed since before.
func differs(before, obj client.Object) (bool, error) {
	data, err := mergePatch(before, obj)
	return data != nil, err
}

// cacheLagRetry is when a reconcile that found its cache behind the apiserver looks again, in case the
// watch event that should bring it back is missed.
const cacheLagRetry = time.Second

// cacheBehind tells whether the apiserver has an object the cache did not find: created a moment ago, as
// a GitOps apply creates an organization, its contacts and assignments together. Its arrival in the cache
// enqueues the objects that name it; reporting it missing meanwhile would cost a second status write.
func cacheBehind(ctx context.Context, live client.Reader, key client.ObjectKey, obj client.Object) bool {
	return live.Get(ctx, key, obj) == nil
}
