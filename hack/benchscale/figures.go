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
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// The metrics the figures are read from.
const (
	// API server.
	apiRequests  = "apiserver_request_total"
	apiAdmission = "apiserver_admission_webhook_admission_duration_seconds"
	// Manager.
	restRequests   = "rest_client_requests_total"
	reconciles     = "controller_runtime_reconcile_total"
	webhookLatency = "controller_runtime_webhook_latency_seconds"
	queueDepth     = "workqueue_depth"
	residentMemory = "process_resident_memory_bytes"
	heapInuse      = "go_memstats_heap_inuse_bytes"
)

const rosterGroup = "roster.dev"

// writeVerbs are the verbs of apiserver_request_total that change an object (the API server names a
// create POST, an update PUT, a server-side apply APPLY; CREATE and UPDATE are kept should it rename them).
var writeVerbs = map[string]bool{
	"POST": true, "CREATE": true, "PUT": true, "UPDATE": true, "PATCH": true, "APPLY": true,
	"DELETE": true, "DELETECOLLECTION": true,
}

// httpWriteMethods are the methods of rest_client_requests_total that write.
var httpWriteMethods = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// snapshot is a scrape of the API server's and the manager's metrics at one moment.
type snapshot struct {
	At      time.Time
	API     metricSet
	Manager metricSet
	CPU     cpuTimes
}

// scraper takes snapshots.
type scraper struct {
	api        rest.Interface
	managerURL string
}

func (s scraper) snapshot(ctx context.Context) (snapshot, error) {
	at := time.Now()
	api, err := scrapeAPIServer(ctx, s.api)
	if err != nil {
		return snapshot{}, err
	}
	mgr, err := scrapeHTTP(ctx, s.managerURL)
	if err != nil {
		return snapshot{}, err
	}
	return snapshot{At: at, API: api, Manager: mgr, CPU: readCPU("/proc", os.Getpid())}, nil
}

// writeKey names a series of Roster writes: "VERB resource" or "VERB resource/status".
func writeKey(l labels) string {
	r := l["resource"]
	if l["subresource"] != "" {
		r += "/" + l["subresource"]
	}
	return l["verb"] + " " + r
}

func isRosterWrite(l labels) bool { return l["group"] == rosterGroup && writeVerbs[l["verb"]] }

// clientWrites counts the writes the bench itself makes in a window (kubectl's applies, the burst's
// creates), by writeKey, so that they can be told from the operator's.
type clientWrites map[string]float64

// writeFigures are the operator's writes to Roster objects in a window, as the API server counted them.
type writeFigures struct {
	Total     float64 `json:"total"`
	Status    float64 `json:"status"`   // subresource status
	Metadata  float64 `json:"metadata"` // the object itself (spec, metadata: finalizers, annotations)
	PerObject float64 `json:"perObject"`
	// ByRequest is per "VERB resource[/subresource]", the bench's own writes taken out.
	ByRequest map[string]float64 `json:"byRequest"`
	// ClientWrites are the bench's own writes in the window (kubectl applies, burst creates), not counted.
	ClientWrites float64 `json:"clientWrites"`
	// Codes are the response codes of every Roster write in the window, the bench's included.
	Codes map[string]float64 `json:"codes"`
	// Events are the writes to Events (core and events.k8s.io) in the window: the operator's
	// notifications, not counted above.
	Events float64 `json:"events"`
}

// operatorWrites reads the operator's writes between two scrapes of the API server: every write to the
// roster.dev group, less the bench's own (clients), per object of the phase.
func operatorWrites(before, after metricSet, clients clientWrites, objects int) writeFigures {
	d := deltas(after.by(apiRequests, isRosterWrite, writeKey), before.by(apiRequests, isRosterWrite, writeKey))
	w := writeFigures{ByRequest: map[string]float64{}}
	for k, n := range d {
		n -= clients[k]
		if n <= 0 {
			continue
		}
		w.ByRequest[k] = n
		w.Total += n
		if strings.HasSuffix(k, "/status") {
			w.Status += n
		} else {
			w.Metadata += n
		}
	}
	for _, n := range clients {
		w.ClientWrites += n
	}
	w.Codes = deltas(after.by(apiRequests, isRosterWrite, byLabel("code")), before.by(apiRequests, isRosterWrite, byLabel("code")))
	isEventWrite := func(l labels) bool { return l["resource"] == "events" && writeVerbs[l["verb"]] }
	w.Events = counterDelta(after.sum(apiRequests, isEventWrite), before.sum(apiRequests, isEventWrite))
	if objects > 0 {
		w.PerObject = w.Total / float64(objects)
	}
	return w
}

// latencyFigures summarize a latency histogram over a window.
type latencyFigures struct {
	Calls          float64  `json:"calls"`
	ShareUnder5ms  *float64 `json:"shareUnder5ms"`
	ShareUnder25ms *float64 `json:"shareUnder25ms"`
	// P99Le is the smallest bucket bound at least 99% of the calls are under, e.g. "25ms" or "+Inf".
	P99Le string `json:"p99Le"`
	// P99LeSeconds is that bound in seconds; null when +Inf or no calls.
	P99LeSeconds *float64 `json:"p99LeSeconds"`
	// P99InterpolatedMS interpolates inside the bucket, as PromQL's histogram_quantile does.
	P99InterpolatedMS *float64 `json:"p99InterpolatedMs"`
	MeanMS            *float64 `json:"meanMs"`
	Buckets           []bucket `json:"buckets"`
	// ByWebhook is the same per webhook and operation, e.g. "vstatus.roster.dev UPDATE" (API server only).
	ByWebhook map[string]webhookCalls `json:"byWebhook,omitempty"`
	// Creates are the CREATE calls only: the objects applied or created by the bench, without the
	// operator's own writes (which go through the webhooks under localcluster).
	Creates *webhookCalls `json:"creates,omitempty"`
}

type webhookCalls struct {
	Calls         float64  `json:"calls"`
	ShareUnder5ms *float64 `json:"shareUnder5ms"`
	P99Le         string   `json:"p99Le"`
}

type bucket struct {
	LeSeconds float64 `json:"le"`
	Count     float64 `json:"count"` // cumulative
}

func summarize(h histogram) latencyFigures {
	f := latencyFigures{Calls: h.Count, P99Le: "n/a"}
	if s, ok := h.shareUnder(0.005); ok {
		f.ShareUnder5ms = &s
	}
	if s, ok := h.shareUnder(0.025); ok {
		f.ShareUnder25ms = &s
	}
	if b := h.quantileBound(0.99); !math.IsNaN(b) {
		f.P99Le = formatBound(b)
		f.P99LeSeconds = finite(b)
	}
	f.P99InterpolatedMS = finite(h.quantile(0.99) * 1000)
	if h.Count > 0 {
		f.MeanMS = finite(h.Sum / h.Count * 1000)
	}
	for i, b := range h.Bounds {
		f.Buckets = append(f.Buckets, bucket{LeSeconds: b, Count: h.Counts[i]})
	}
	return f
}

// isRosterWebhook keeps the admission series of Roster's webhooks (named *.roster.dev).
func isRosterWebhook(l labels) bool { return strings.HasSuffix(l["name"], "."+rosterGroup) }

// apiAdmissionLatency is the API server's view of Roster's webhooks between two scrapes, in all and per
// webhook and operation.
func apiAdmissionLatency(before, after metricSet) latencyFigures {
	f := summarize(after.histogram(apiAdmission, isRosterWebhook).sub(before.histogram(apiAdmission, isRosterWebhook)))
	isCreate := func(l labels) bool { return isRosterWebhook(l) && l["operation"] == "CREATE" }
	c := summarize(after.histogram(apiAdmission, isCreate).sub(before.histogram(apiAdmission, isCreate)))
	f.Creates = &webhookCalls{Calls: c.Calls, ShareUnder5ms: c.ShareUnder5ms, P99Le: c.P99Le}
	webhookOp := func(l labels) string { return l["name"] + " " + l["operation"] }
	for key := range after.by(apiAdmission, isRosterWebhook, webhookOp) {
		this := func(l labels) bool { return isRosterWebhook(l) && webhookOp(l) == key }
		h := summarize(after.histogram(apiAdmission, this).sub(before.histogram(apiAdmission, this)))
		if h.Calls == 0 {
			continue
		}
		if f.ByWebhook == nil {
			f.ByWebhook = map[string]webhookCalls{}
		}
		f.ByWebhook[key] = webhookCalls{Calls: h.Calls, ShareUnder5ms: h.ShareUnder5ms, P99Le: h.P99Le}
	}
	return f
}

// managerWebhookLatency is the manager's view of its webhooks (finer buckets) between two scrapes.
func managerWebhookLatency(before, after metricSet) latencyFigures {
	return summarize(after.histogram(webhookLatency, all).sub(before.histogram(webhookLatency, all)))
}

// operatorFigures are the manager's own counters and peaks over a window.
type operatorFigures struct {
	Reconciles             float64            `json:"reconciles"`
	ReconcilesPerObject    float64            `json:"reconcilesPerObject"`
	ReconcilesByController map[string]float64 `json:"reconcilesByController"`
	// RESTRequests are the manager's API requests by method, reads included (rest_client_requests_total).
	RESTRequests map[string]float64 `json:"restRequests"`
	// RESTWrites add its POST, PUT, PATCH and DELETE, Events and other groups included.
	RESTWrites float64 `json:"restWrites"`
	peaks
}

func operatorCounters(before, after metricSet, objects int) operatorFigures {
	f := operatorFigures{
		ReconcilesByController: deltas(after.by(reconciles, all, byLabel("controller")), before.by(reconciles, all, byLabel("controller"))),
		RESTRequests:           deltas(after.by(restRequests, all, byLabel("method")), before.by(restRequests, all, byLabel("method"))),
	}
	for _, n := range f.ReconcilesByController {
		f.Reconciles += n
	}
	for m, n := range f.RESTRequests {
		if httpWriteMethods[m] {
			f.RESTWrites += n
		}
	}
	if objects > 0 {
		f.ReconcilesPerObject = f.Reconciles / float64(objects)
	}
	return f
}

// peaks are the largest values the sampler saw in a window.
type peaks struct {
	Samples                   int                `json:"samples"`
	MaxQueueDepth             float64            `json:"maxQueueDepth"` // all controllers' queues together
	MaxQueueDepthByController map[string]float64 `json:"maxQueueDepthByController"`
	MaxRSSBytes               float64            `json:"maxRssBytes"`
	MaxHeapInuseBytes         float64            `json:"maxHeapInuseBytes"`
}

func (p *peaks) add(m metricSet) {
	p.Samples++
	byQueue := m.by(queueDepth, all, byLabel("name"))
	var depth float64
	for q, d := range byQueue {
		depth += d
		if p.MaxQueueDepthByController == nil {
			p.MaxQueueDepthByController = map[string]float64{}
		}
		p.MaxQueueDepthByController[q] = max(p.MaxQueueDepthByController[q], d)
	}
	p.MaxQueueDepth = max(p.MaxQueueDepth, depth)
	p.MaxRSSBytes = max(p.MaxRSSBytes, m.sum(residentMemory, all))
	p.MaxHeapInuseBytes = max(p.MaxHeapInuseBytes, m.sum(heapInuse, all))
}

// sampler scrapes the manager every interval and keeps the peaks of the current window and of the run.
type sampler struct {
	url string

	mu     sync.Mutex
	window peaks
	run    peaks
	errs   int
}

func (s *sampler) loop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m, err := scrapeHTTP(ctx, s.url)
		s.mu.Lock()
		if err != nil {
			s.errs++
		} else {
			s.window.add(m)
			s.run.add(m)
		}
		s.mu.Unlock()
	}
}

// restart begins a new window and returns the peaks of the one that ends.
func (s *sampler) restart() peaks {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.window
	s.window = peaks{}
	return p
}

// overall returns the peaks of the whole run.
func (s *sampler) overall() peaks {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run
}

func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}
