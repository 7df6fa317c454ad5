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

package eventrecorder

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/fake"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
)

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant", Name: name, UID: types.UID("uid-" + name)}}
}

// start runs b until the test ends.
func start(t *testing.T, b *Broadcaster) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = b.Start(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// eventually waits up to 30 s for cond (the fake clientset is slow under the race detector on a busy
// machine).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}

func listed(t *testing.T, c *fake.Clientset) []eventsv1.Event {
	t.Helper()
	list, err := c.EventsV1().Events("tenant").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// exported reads roster_events_total: created, repeated, dropped. The counter is the process's: the
// tests that compare it must not run in parallel.
func exported() [3]float64 {
	return [3]float64{testutil.ToFloat64(eventsTotal.WithLabelValues(outcomeCreated)),
		testutil.ToFloat64(eventsTotal.WithLabelValues(outcomeRepeated)),
		testutil.ToFloat64(eventsTotal.WithLabelValues(outcomeDropped))}
}

// since is what roster_events_total counted since before.
func since(before [3]float64) [3]float64 {
	now := exported()
	return [3]float64{now[0] - before[0], now[1] - before[1], now[2] - before[2]}
}

func TestRecordsEventsAndCountsRepeatsAsASeries(t *testing.T) {
	before := exported()
	c := fake.NewClientset()
	b := New(c.EventsV1(), clientgoscheme.Scheme, logr.Discard(), Options{})
	start(t, b)
	r := b.NewRecorder("roleassignment-controller")

	r.Eventf(configMap("billing"), nil, corev1.EventTypeNormal, "RoleGranted", "Notify", "role %s granted to %s", "billing", "bob")
	eventually(t, "the Event is created", func() bool { return len(listed(t, c)) == 1 })
	e := listed(t, c)[0]
	if e.Note != "role billing granted to bob" || e.Reason != "RoleGranted" || e.Action != "Notify" || e.Type != corev1.EventTypeNormal ||
		e.Regarding.Kind != "ConfigMap" || e.Regarding.Name != "billing" || e.ReportingController != "roleassignment-controller" || e.Series != nil {
		t.Fatalf("created %+v", e)
	}

	// The same Event twice more: one Event with a series of 3, as client-go counts them.
	r.Eventf(configMap("billing"), nil, corev1.EventTypeNormal, "RoleGranted", "Notify", "role billing granted to bob")
	r.Eventf(configMap("billing"), nil, corev1.EventTypeNormal, "RoleGranted", "Notify", "role billing granted to bob")
	eventually(t, "the series counts 3", func() bool {
		list := listed(t, c)
		return len(list) == 1 && list[0].Series != nil && list[0].Series.Count == 3
	})
	// Another object's Event is an Event of its own.
	r.Eventf(configMap("shipping"), nil, corev1.EventTypeNormal, "RoleGranted", "Notify", "role shipping granted to carol")
	eventually(t, "a second Event", func() bool { return len(listed(t, c)) == 2 })
	// The count follows the API server's answer, which the list may see first.
	eventually(t, "2 created, 2 repeated, none dropped", func() bool { return b.Stats() == Stats{Created: 2, Repeated: 2} })
	if got := since(before); got != [3]float64{2, 2, 0} {
		t.Errorf("roster_events_total created, repeated, dropped: %v, want [2 2 0]", got)
	}
}

// After a large apply (one Event per assignment), the memory held is that of the last Remembered Events,
// not of every Event of the last minutes.
func TestMemoryIsBoundedByTheRememberedEvents(t *testing.T) {
	c := fake.NewClientset()
	b := New(c.EventsV1(), clientgoscheme.Scheme, logr.Discard(), Options{Remembered: 100, Queued: 4000})
	r := b.NewRecorder("roleassignment-controller")
	for i := range 400 {
		r.Eventf(configMap(fmt.Sprintf("a%d", i)), nil, corev1.EventTypeNormal, "RoleGranted", "Notify", "granted")
	}
	if n := b.recent.Len(); n != 100 {
		t.Fatalf("%d Events remembered, want 100", n)
	}
	start(t, b)
	eventually(t, "every Event is created", func() bool { return b.Stats().Created == 400 })
	if s := b.Stats(); s.Dropped != 0 {
		t.Errorf("dropped %d", s.Dropped)
	}
}

func TestAFullQueueDropsWithoutBlocking(t *testing.T) {
	before := exported()
	c := fake.NewClientset()
	b := New(c.EventsV1(), clientgoscheme.Scheme, logr.Discard(), Options{Queued: 10, Workers: 1})
	r := b.NewRecorder("contact-controller")
	done := make(chan struct{})
	go func() {
		for i := range 25 {
			r.Eventf(configMap(fmt.Sprintf("c%d", i)), nil, corev1.EventTypeWarning, "Invalid", "Validate", "x")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("recording blocked on a full queue")
	}
	if s := b.Stats(); s.Dropped != 15 {
		t.Fatalf("dropped %d, want 15", s.Dropped)
	}
	start(t, b)
	eventually(t, "the queued Events are created", func() bool { return b.Stats().Created == 10 })
	if got := since(before); got != [3]float64{10, 0, 15} {
		t.Errorf("roster_events_total created, repeated, dropped: %v, want [10 0 15]", got)
	}
}

func TestRetriesWhatTheAPIServerFailedToAnswerOnly(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		calls   int32
		created int
	}{
		{name: "refused: sent once", err: apierrors.NewInvalid(schema.GroupKind{Group: "events.k8s.io", Kind: "Event"}, "x",
			field.ErrorList{field.TooLong(field.NewPath("note"), "", 1024)}), calls: 1},
		{name: "unreachable: sent again", err: errors.New("connection refused"), calls: 3, created: 1},
		{name: "unavailable (503): sent again", err: apierrors.NewServiceUnavailable("etcd leader changed"), calls: 3, created: 1},
		{name: "too many requests (429): sent again", err: apierrors.NewTooManyRequests("slow down", 1), calls: 3, created: 1},
		{name: "internal error (500): sent again", err: apierrors.NewInternalError(errors.New("boom")), calls: 3, created: 1},
		{name: "created meanwhile: done", err: apierrors.NewAlreadyExists(schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, "x"),
			calls: 1, created: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewClientset()
			var calls atomic.Int32
			c.PrependReactor("create", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
				if calls.Add(1) < 3 {
					return true, nil, tt.err
				}
				return false, nil, nil
			})
			b := New(c.EventsV1(), clientgoscheme.Scheme, logr.Discard(), Options{RetryAfter: time.Millisecond})
			start(t, b)
			b.NewRecorder("contact-controller").Eventf(configMap("c"), nil, corev1.EventTypeNormal, "Reason", "Act", "note")
			eventually(t, "the Event is settled", func() bool { s := b.Stats(); return s.Created+s.Dropped == 1 })
			if calls.Load() != tt.calls || b.Stats().Created != tt.created {
				t.Fatalf("%d calls, %d created; want %d, %d", calls.Load(), b.Stats().Created, tt.calls, tt.created)
			}
		})
	}
}

func TestRefusesUnknownTypesAndObjectsWithoutReference(t *testing.T) {
	c := fake.NewClientset()
	b := New(c.EventsV1(), runtime.NewScheme(), logr.Discard(), Options{Workers: 1})
	r := b.NewRecorder("contact-controller")
	r.Eventf(configMap("c"), nil, corev1.EventTypeNormal, "Reason", "Act", "not in the scheme")
	b2 := New(c.EventsV1(), clientgoscheme.Scheme, logr.Discard(), Options{Workers: 1})
	b2.NewRecorder("contact-controller").Eventf(configMap("c"), nil, "Info", "Reason", "Act", "unknown type")
	if n := len(b.queues[0]) + len(b2.queues[0]); n != 0 {
		t.Fatalf("queued %d Events, want none", n)
	}
}

// A repeat after the series ended (6 minutes without one) is a new Event, as in client-go.
func TestASeriesEndsAfterSixQuietMinutes(t *testing.T) {
	c := fake.NewClientset()
	b := New(c.EventsV1(), clientgoscheme.Scheme, logr.Discard(), Options{Workers: 1})
	start(t, b)
	at := time.Now().Add(-time.Hour)
	event := func(offset time.Duration) *eventsv1.Event {
		return &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant", Name: fmt.Sprintf("c.%d", offset)},
			EventTime: metav1.NewMicroTime(at.Add(offset)), Reason: "InvalidNotice", Type: corev1.EventTypeWarning,
			Regarding: corev1.ObjectReference{Kind: "Contact", Namespace: "tenant", Name: "c"}}
	}
	b.record(event(0))
	b.record(event(5 * time.Minute))  // a repeat: counted on the first
	b.record(event(10 * time.Minute)) // 5 minutes after the last one: still the series
	b.record(event(17 * time.Minute)) // 7 quiet minutes: a new Event
	eventually(t, "all sent", func() bool { s := b.Stats(); return s.Created+s.Repeated == 4 })
	if s := b.Stats(); s.Created != 2 || s.Repeated != 2 {
		t.Fatalf("stats %+v, want 2 created, 2 repeated", s)
	}
}
