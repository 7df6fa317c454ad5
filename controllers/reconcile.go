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
	"time"

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
	return patchIfChanged(ctx, before, obj, func(ctx context.Context, o client.Object, p client.Patch) error {
		return c.Status().Patch(ctx, o, p)
	})
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
	if changed, err := differs(before, obj); err != nil || !changed {
		return err
	}
	return c.Status().Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
}

func patchIfChanged(ctx context.Context, before, obj client.Object, write func(context.Context, client.Object, client.Patch) error) error {
	if changed, err := differs(before, obj); err != nil || !changed {
		return err
	}
	return write(ctx, obj, client.MergeFrom(before))
}

// differs tells whether obj changed since before.
func differs(before, obj client.Object) (bool, error) {
	data, err := client.MergeFrom(before).Data(obj)
	return string(data) != "{}", err
}
