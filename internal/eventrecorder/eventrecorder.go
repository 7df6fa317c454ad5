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

// Package eventrecorder records Kubernetes Events (events.k8s.io/v1) in bounded memory.
//
// client-go's events broadcaster, which controller-runtime's manager uses, keeps a copy of every Event it
// sent for 6 to 12 minutes, to count the repeats of one as a series. An operator that reports one
// RoleGranted per assignment keeps 26 MiB of them after a roster of 20,000 assignments, and grows with
// every larger apply. This Broadcaster counts repeats the same way, but remembers only the most recent
// Events (an LRU), sends them from a bounded queue with a fixed number of workers, and drops (and counts)
// what overflows the queue instead of holding it.
package eventrecorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	typedeventsv1 "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/record/util"
	"k8s.io/client-go/tools/reference"
	"k8s.io/utils/lru"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// eventsTotal counts what the Broadcasters of the process did with their Events: with no notification
// channel, Events are the only notifications, so a dropped one is a notification lost.
var eventsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "roster_events_total",
	Help: "Kubernetes Events by outcome: created, repeated (counted on an earlier Event's series), " +
		"dropped (the queue was full, or the API server refused it).",
}, []string{"outcome"})

const (
	outcomeCreated  = "created"
	outcomeRepeated = "repeated"
	outcomeDropped  = "dropped"
)

func init() {
	for _, o := range []string{outcomeCreated, outcomeRepeated, outcomeDropped} {
		eventsTotal.WithLabelValues(o) // every outcome is exported from the start, at 0
	}
	metrics.Registry.MustRegister(eventsTotal)
}

// Collectors are the metrics this package exports.
func Collectors() []prometheus.Collector { return []prometheus.Collector{eventsTotal} }

// Options bound the Broadcaster; zero values take the defaults.
type Options struct {
	// Remembered is how many recent Events are kept to count repeats (default 4096).
	Remembered int
	// Queued is how many Events may wait to be sent (default 4096, shared by the workers); more are
	// dropped.
	Queued int
	// Workers send the queued Events (default 4).
	Workers int
	// RetryAfter is the pause before sending an Event again after the apiserver failed (default 10 s,
	// jittered); an Event is tried 12 times at most.
	RetryAfter time.Duration
}

const maxTries = 12

// Broadcaster makes recorders and sends their Events. Start runs its workers; Events recorded before
// Start wait in the queue.
type Broadcaster struct {
	client typedeventsv1.EventsV1Interface
	scheme *runtime.Scheme
	log    logr.Logger
	opts   Options
	// queues are the workers' own: the Events of one key go to one worker, so a repeat is sent after the
	// Event it repeats.
	queues []chan *eventsv1.Event

	mu     sync.Mutex
	recent *lru.Cache // key → *eventsv1.Event as last sent, Series included
	stats  Stats
}

// Stats count what the Broadcaster did with the Events it was given.
type Stats struct {
	// Created, Repeated: Events created, and repeats sent as a series count on an earlier one.
	Created, Repeated int
	// Dropped: Events lost because the queue was full, or the apiserver refused them.
	Dropped int
}

// New returns a Broadcaster that sends Events through client.
func New(client typedeventsv1.EventsV1Interface, scheme *runtime.Scheme, log logr.Logger, opts Options) *Broadcaster {
	if opts.Remembered <= 0 {
		opts.Remembered = 4096
	}
	if opts.Queued <= 0 {
		opts.Queued = 4096
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = 10 * time.Second
	}
	b := &Broadcaster{client: client, scheme: scheme, log: log, opts: opts, recent: lru.New(opts.Remembered)}
	for range opts.Workers {
		b.queues = append(b.queues, make(chan *eventsv1.Event, max(1, opts.Queued/opts.Workers)))
	}
	return b
}

// Start sends queued Events until ctx ends; it is a manager.Runnable. Events still queued then are
// dropped.
func (b *Broadcaster) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, queue := range b.queues {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case e := <-queue:
					b.send(ctx, e)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// NeedLeaderElection is false: every replica reports what it does (the approval page runs on all).
func (b *Broadcaster) NeedLeaderElection() bool { return false }

// Stats returns what the Broadcaster did so far.
func (b *Broadcaster) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// NewRecorder returns a recorder whose Events name controller as their reporting controller.
func (b *Broadcaster) NewRecorder(controller string) events.EventRecorder {
	hostname, _ := os.Hostname()
	return &recorder{b: b, controller: controller, instance: controller + "-" + hostname}
}

type recorder struct {
	b                    *Broadcaster
	controller, instance string
}

// Eventf records an Event about regarding, as client-go's recorder does.
func (r *recorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	message := fmt.Sprintf(note, args...)
	ref, err := reference.GetReference(r.b.scheme, regarding)
	if err != nil {
		r.b.log.Error(err, "not recording an Event about an object without a reference", "reason", reason)
		return
	}
	if eventtype != corev1.EventTypeNormal && eventtype != corev1.EventTypeWarning {
		r.b.log.Error(nil, "not recording an Event of an unknown type", "type", eventtype, "reason", reason)
		return
	}
	var relatedRef *corev1.ObjectReference
	if related != nil {
		relatedRef, _ = reference.GetReference(r.b.scheme, related)
	}
	now := time.Now()
	namespace := ref.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	e := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: util.GenerateEventName(ref.Name, now.UnixNano()), Namespace: namespace},
		EventTime:  metav1.NewMicroTime(now), ReportingController: r.controller, ReportingInstance: r.instance,
		Action: action, Reason: reason, Regarding: *ref, Related: relatedRef, Note: message, Type: eventtype,
	}
	r.b.log.V(1).Info("Event", "regarding", klogRef(ref), "type", eventtype, "reason", reason, "note", message)
	r.b.record(e)
}

func klogRef(ref *corev1.ObjectReference) string {
	return ref.Kind + " " + ref.Namespace + "/" + ref.Name
}

// key is what makes two Events the same, as client-go counts them: the note may differ.
type key struct {
	eventType, action, reason, controller, instance string
	regarding, related                              corev1.ObjectReference
}

func keyOf(e *eventsv1.Event) key {
	k := key{eventType: e.Type, action: e.Action, reason: e.Reason, controller: e.ReportingController,
		instance: e.ReportingInstance, regarding: e.Regarding}
	if e.Related != nil {
		k.related = *e.Related
	}
	return k
}

// seriesEnd is how long after its last occurrence an Event's series ends, as in client-go: a later
// repeat is a new Event.
const seriesEnd = 6 * time.Minute

// record queues e, or a repeat of a recent Event as its series count; it never blocks. It queues under
// the lock, so that a repeat is queued after the Event it repeats.
func (b *Broadcaster) record(e *eventsv1.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := keyOf(e)
	if v, ok := b.recent.Get(k); ok && e.EventTime.Sub(lastSeen(v.(*eventsv1.Event))) < seriesEnd {
		earlier := v.(*eventsv1.Event)
		if earlier.Series == nil {
			earlier.Series = &eventsv1.EventSeries{Count: 1}
		}
		earlier.Series.Count++
		earlier.Series.LastObservedTime = metav1.NewMicroTime(e.EventTime.Time)
		e = earlier.DeepCopy()
	} else {
		b.recent.Add(k, e.DeepCopy())
	}
	h := fnv.New32a()
	h.Write([]byte(e.Regarding.Namespace + "/" + e.Regarding.Name))
	select {
	case b.queues[h.Sum32()%uint32(len(b.queues))] <- e:
	default:
		b.countLocked(outcomeDropped)
		if b.stats.Dropped%1000 == 1 {
			b.log.Info("Events dropped: the queue of Events is full", "dropped", b.stats.Dropped,
				"regarding", klogRef(&e.Regarding), "reason", e.Reason)
		}
	}
}

// lastSeen is when e last occurred.
func lastSeen(e *eventsv1.Event) time.Time {
	if e.Series != nil {
		return e.Series.LastObservedTime.Time
	}
	return e.EventTime.Time
}

// count records an outcome in Stats and in roster_events_total.
func (b *Broadcaster) count(outcome string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.countLocked(outcome)
}

func (b *Broadcaster) countLocked(outcome string) {
	switch outcome {
	case outcomeCreated:
		b.stats.Created++
	case outcomeRepeated:
		b.stats.Repeated++
	case outcomeDropped:
		b.stats.Dropped++
	}
	eventsTotal.WithLabelValues(outcome).Inc()
}

// send writes e: a repeat patches the series of the Event it repeats (creating it again when it is
// gone), a first occurrence creates it. It retries what the apiserver failed to answer.
func (b *Broadcaster) send(ctx context.Context, e *eventsv1.Event) {
	for try := 1; ; try++ {
		err := b.write(ctx, e)
		if err == nil {
			return
		}
		if apierrors.IsAlreadyExists(err) && e.Series == nil {
			b.count(outcomeCreated) // by a repeat whose patch came first
			return
		}
		// The apiserver refused it: sending it again would not change that. A repeat whose Event is being
		// created (its patch found nothing, its create found it), and an answer of an overloaded or failing
		// apiserver (500, 503, 504, 429), are worth another try.
		refused := errors.As(err, new(apierrors.APIStatus)) && !apierrors.IsAlreadyExists(err) && !unavailable(err)
		if refused || try == maxTries {
			b.count(outcomeDropped)
			b.log.Error(err, "Event not recorded", "regarding", klogRef(&e.Regarding), "reason", e.Reason)
			return
		}
		pause := b.opts.RetryAfter + time.Duration(rand.Int64N(int64(b.opts.RetryAfter/4)+1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// unavailable tells an apiserver that could not take the Event now from one that refused it.
func unavailable(err error) bool {
	return apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsServerTimeout(err) ||
		apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err)
}

func (b *Broadcaster) write(ctx context.Context, e *eventsv1.Event) error {
	events := b.client.Events(e.Namespace)
	if e.Series != nil {
		patch, err := json.Marshal(map[string]any{"series": e.Series})
		if err != nil {
			return err
		}
		_, err = events.Patch(ctx, e.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if err == nil {
			b.count(outcomeRepeated)
		}
		if !apierrors.IsNotFound(err) {
			return err
		}
	}
	if _, err := events.Create(ctx, e, metav1.CreateOptions{}); err != nil {
		return err
	}
	b.count(outcomeCreated)
	return nil
}
