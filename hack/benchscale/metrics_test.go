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
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

func mustParse(t *testing.T, text string) metricSet {
	t.Helper()
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// admissionText is a piece of the API server's /metrics with two of Roster's webhooks and another one.
func admissionText(fast, slow, other float64) string {
	return strings.NewReplacer("FAST", ftoa(fast), "SLOW", ftoa(slow), "OTHER", ftoa(other), "SUM", ftoa(fast+slow)).Replace(`
# HELP apiserver_admission_webhook_admission_duration_seconds [STABLE] Admission webhook latency
# TYPE apiserver_admission_webhook_admission_duration_seconds histogram
apiserver_admission_webhook_admission_duration_seconds_bucket{name="vcontact.roster.dev",operation="CREATE",rejected="false",type="validating",le="0.005"} FAST
apiserver_admission_webhook_admission_duration_seconds_bucket{name="vcontact.roster.dev",operation="CREATE",rejected="false",type="validating",le="0.025"} SUM
apiserver_admission_webhook_admission_duration_seconds_bucket{name="vcontact.roster.dev",operation="CREATE",rejected="false",type="validating",le="0.1"} SUM
apiserver_admission_webhook_admission_duration_seconds_bucket{name="vcontact.roster.dev",operation="CREATE",rejected="false",type="validating",le="+Inf"} SUM
apiserver_admission_webhook_admission_duration_seconds_sum{name="vcontact.roster.dev",operation="CREATE",rejected="false",type="validating"} 1
apiserver_admission_webhook_admission_duration_seconds_count{name="vcontact.roster.dev",operation="CREATE",rejected="false",type="validating"} SUM
apiserver_admission_webhook_admission_duration_seconds_bucket{name="other.example.com",operation="CREATE",rejected="false",type="validating",le="0.005"} 0
apiserver_admission_webhook_admission_duration_seconds_bucket{name="other.example.com",operation="CREATE",rejected="false",type="validating",le="0.025"} 0
apiserver_admission_webhook_admission_duration_seconds_bucket{name="other.example.com",operation="CREATE",rejected="false",type="validating",le="0.1"} 0
apiserver_admission_webhook_admission_duration_seconds_bucket{name="other.example.com",operation="CREATE",rejected="false",type="validating",le="+Inf"} OTHER
apiserver_admission_webhook_admission_duration_seconds_sum{name="other.example.com",operation="CREATE",rejected="false",type="validating"} 100
apiserver_admission_webhook_admission_duration_seconds_count{name="other.example.com",operation="CREATE",rejected="false",type="validating"} OTHER
`)
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func TestAdmissionLatencyDelta(t *testing.T) {
	// Before: 10 fast calls. After: 10 more fast ones and 90 between 5 and 25 ms; the other webhook's
	// calls (all slow) are not Roster's.
	before := mustParse(t, admissionText(10, 0, 5))
	after := mustParse(t, admissionText(20, 90, 500))
	f := apiAdmissionLatency(before, after)
	if f.Calls != 100 {
		t.Fatalf("calls %v, want 100", f.Calls)
	}
	if *f.ShareUnder5ms != 0.10 || *f.ShareUnder25ms != 1 {
		t.Errorf("shares %v / %v, want 0.10 / 1", *f.ShareUnder5ms, *f.ShareUnder25ms)
	}
	if f.P99Le != "25ms" || *f.P99LeSeconds != 0.025 {
		t.Errorf("p99 ≤ %s (%v), want 25ms", f.P99Le, *f.P99LeSeconds)
	}
	// Rank 99 of 100: 10 in [0, 5 ms], 90 in (5, 25 ms]: 5 + 20*(99-10)/90 ms.
	if want := 5 + 20*89.0/90; math.Abs(*f.P99InterpolatedMS-want) > 1e-9 {
		t.Errorf("interpolated p99 %v ms, want %v", *f.P99InterpolatedMS, want)
	}
}

func TestQuantileBound(t *testing.T) {
	h := histogram{Bounds: []float64{0.005, 0.025, 0.1}, Counts: []float64{980, 990, 995}, Count: 1000}
	for _, c := range []struct {
		q    float64
		want float64
	}{{0.5, 0.005}, {0.98, 0.005}, {0.99, 0.025}, {0.995, 0.1}, {0.999, math.Inf(+1)}} {
		if got := h.quantileBound(c.q); got != c.want {
			t.Errorf("quantileBound(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if s, ok := h.shareUnder(0.025); !ok || s != 0.99 {
		t.Errorf("shareUnder(25ms) = %v, %v", s, ok)
	}
	if _, ok := h.shareUnder(0.05); ok {
		t.Error("shareUnder a bound the histogram lacks should not be ok")
	}
	if got := h.quantile(0.999); got != 0.1 {
		t.Errorf("quantile above the last bound = %v, want the last bound", got)
	}
	empty := histogram{Bounds: []float64{0.005}, Counts: []float64{0}}
	if !math.IsNaN(empty.quantileBound(0.99)) || !math.IsNaN(empty.quantile(0.99)) {
		t.Error("an empty histogram has no quantile")
	}
	if f := summarize(empty); f.P99Le != "n/a" || f.P99LeSeconds != nil || f.ShareUnder5ms != nil {
		t.Errorf("summary of nothing: %+v", f)
	}
}

func TestHistogramMergesSeriesWithOtherBounds(t *testing.T) {
	m := mustParse(t, `
# TYPE x histogram
x_bucket{a="1",le="0.01"} 2
x_bucket{a="1",le="+Inf"} 4
x_sum{a="1"} 1
x_count{a="1"} 4
x_bucket{a="2",le="0.005"} 1
x_bucket{a="2",le="0.1"} 3
x_bucket{a="2",le="+Inf"} 3
x_sum{a="2"} 1
x_count{a="2"} 3
`)
	h := m.histogram("x", all)
	want := histogram{Bounds: []float64{0.005, 0.01, 0.1}, Counts: []float64{1, 3, 5}, Count: 7, Sum: 2}
	if !slices.Equal(h.Bounds, want.Bounds) || !slices.Equal(h.Counts, want.Counts) || h.Count != want.Count || h.Sum != want.Sum {
		t.Errorf("got %+v, want %+v", h, want)
	}
}

func TestCounterDeltas(t *testing.T) {
	if got := counterDelta(15, 10); got != 5 {
		t.Errorf("counterDelta(15, 10) = %v", got)
	}
	if got := counterDelta(3, 10); got != 3 {
		t.Errorf("a reset counter counts from 0: got %v, want 3", got)
	}
	got := deltas(map[string]float64{"a": 5, "b": 2, "c": 7}, map[string]float64{"a": 5, "b": 1, "d": 9})
	if want := map[string]float64{"b": 1, "c": 7}; !maps.Equal(got, want) {
		t.Errorf("deltas = %v, want %v", got, want)
	}
}

func requestsText(n map[string]float64) string {
	var b strings.Builder
	b.WriteString("# TYPE apiserver_request_total counter\n")
	for k, v := range n {
		// k is verb/group/resource/subresource/code
		f := strings.Split(k, "/")
		b.WriteString(`apiserver_request_total{verb="` + f[0] + `",group="` + f[1] + `",resource="` + f[2] +
			`",subresource="` + f[3] + `",code="` + f[4] + `",component="apiserver",scope="resource",version="v1alpha1",dry_run=""} ` + ftoa(v) + "\n")
	}
	return b.String()
}

func TestOperatorWrites(t *testing.T) {
	before := mustParse(t, requestsText(map[string]float64{
		"APPLY/roster.dev/contacts//201":        5,
		"PATCH/roster.dev/contacts/status/200":  5,
		"GET/roster.dev/contacts//200":          100,
		"PATCH//events//200":                    10,
		"POST/roster.dev/roleassignments//201":  0,
		"PATCH/roster.dev/roleassignments//200": 0,
	}))
	after := mustParse(t, requestsText(map[string]float64{
		"APPLY/roster.dev/contacts//201":        15, // 10 applied by kubectl
		"APPLY/roster.dev/contacts//422":        2,  // 2 refused, kubectl's too
		"PATCH/roster.dev/contacts/status/200":  17, // 12 status writes
		"PATCH/roster.dev/contacts/status/409":  1,  // 1 conflict: a write still
		"GET/roster.dev/contacts//200":          900,
		"PATCH//events//200":                    50,
		"POST/roster.dev/roleassignments//201":  4, // the bench's creates
		"PATCH/roster.dev/roleassignments//200": 3, // operator metadata writes
	}))
	clients := clientWrites{"APPLY contacts": 12, "POST roleassignments": 4}
	w := operatorWrites(before, after, clients, 16)
	if w.Total != 16 || w.Status != 13 || w.Metadata != 3 || w.ClientWrites != 16 {
		t.Errorf("total %v status %v metadata %v client %v, want 16, 13, 3, 16", w.Total, w.Status, w.Metadata, w.ClientWrites)
	}
	if w.PerObject != 1 {
		t.Errorf("per object %v, want 1", w.PerObject)
	}
	if want := map[string]float64{"PATCH contacts/status": 13, "PATCH roleassignments": 3}; !maps.Equal(w.ByRequest, want) {
		t.Errorf("by request %v, want %v", w.ByRequest, want)
	}
	if want := map[string]float64{"201": 14, "422": 2, "200": 15, "409": 1}; !maps.Equal(w.Codes, want) {
		t.Errorf("codes %v, want %v", w.Codes, want)
	}
}

func TestPercentile(t *testing.T) {
	var v []float64
	for i := 1; i <= 50; i++ {
		v = append(v, float64(i))
	}
	if p := percentile(v, 0.5); p != 25 {
		t.Errorf("p50 of 1..50 = %v, want 25", p)
	}
	if p := percentile(v, 0.99); p != 50 {
		t.Errorf("p99 of 1..50 = %v, want 50 (nearest rank)", p)
	}
	if p := percentile([]float64{7}, 0.99); p != 7 {
		t.Errorf("p99 of one value = %v", p)
	}
}

// decodeWatched decodes obj as the tracker's watch does.
func decodeWatched(t *testing.T, obj map[string]any) *watched {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := watchedCodecs().UniversalDeserializer().Decode(raw, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := out.(*watched)
	if !ok {
		t.Fatalf("decoded as %T", out)
	}
	return w
}

func TestReadinessOf(t *testing.T) {
	obj := func(gen int64, status string, condGen, statusGen int64) map[string]any {
		return map[string]any{
			"apiVersion": "roster.dev/v1alpha1", "kind": kindContact,
			"metadata": map[string]any{"name": "a", "generation": gen},
			"status": map[string]any{"observedGeneration": statusGen, "conditions": []any{
				map[string]any{"type": "Other", "status": "True", "observedGeneration": gen},
				map[string]any{"type": "Ready", "status": status, "reason": "R", "observedGeneration": condGen},
			}},
		}
	}
	for _, c := range []struct {
		name string
		obj  map[string]any
		want bool
	}{
		{"ready", obj(2, "True", 2, 2), true},
		{"stale condition", obj(2, "True", 1, 2), false},
		{"stale status", obj(2, "True", 2, 1), false},
		{"not ready", obj(1, "False", 1, 1), false},
		{"no status", map[string]any{"apiVersion": "roster.dev/v1alpha1", "kind": kindContact,
			"metadata": map[string]any{"name": "a", "generation": int64(1)}}, false},
	} {
		if got := readinessOf(kindContact, decodeWatched(t, c.obj)).Ready; got != c.want {
			t.Errorf("%s: ready %v, want %v", c.name, got, c.want)
		}
	}
}

func TestReadinessListsRoles(t *testing.T) {
	org := decodeWatched(t, map[string]any{"apiVersion": "roster.dev/v1alpha1", "kind": kindOrganization,
		"metadata": map[string]any{"name": "o", "namespace": "n", "managedFields": []any{map[string]any{"manager": "m"}}},
		"spec":     map[string]any{"displayName": "O"},
		"status": map[string]any{"roles": []any{
			map[string]any{"role": "primary", "holders": []any{"a"}, "required": true},
			map[string]any{"role": "technical-secondary", "scope": "site-a", "holders": []any{"b", "c"}},
			map[string]any{"role": "renewal"},
		}},
	})
	if got := readinessOf(kindOrganization, org).Listed; got != 3 {
		t.Errorf("organization: %d holders listed, want 3", got)
	}
	if org.Namespace != "n" || org.Name != "o" {
		t.Errorf("organization decoded as %s/%s", org.Namespace, org.Name)
	}
	contact := decodeWatched(t, map[string]any{"apiVersion": "roster.dev/v1alpha1", "kind": kindContact,
		"metadata": map[string]any{"name": "c"},
		"status":   map[string]any{"roles": []any{map[string]any{"role": "primary"}, map[string]any{"role": "billing"}}},
	})
	if got := readinessOf(kindContact, contact).Listed; got != 2 {
		t.Errorf("contact: %d roles listed, want 2", got)
	}
	if cp := org.DeepCopyObject().(*watched); len(cp.Status.Roles) != 3 || cp.Status.Roles[1].Holders[1] != "c" {
		t.Errorf("deep copy lost the rows: %+v", cp.Status)
	}
}

func TestNativeBuckets(t *testing.T) {
	h := &dto.Histogram{
		SampleCount:   ptr[uint64](10),
		Schema:        ptr[int32](0), // base 2
		ZeroThreshold: ptr(1e-9),
		ZeroCount:     ptr[uint64](1),
		PositiveSpan: []*dto.BucketSpan{
			{Offset: ptr[int32](-7), Length: ptr[uint32](2)}, // buckets -7, -6
			{Offset: ptr[int32](1), Length: ptr[uint32](1)},  // bucket -4
		},
		PositiveDelta: []int64{3, -1, 2}, // counts 3, 2, 4
	}
	bounds, counts, ok := nativeBuckets(h)
	if !ok {
		t.Fatal("not read as native")
	}
	if want := []float64{1e-9, 1.0 / 128, 1.0 / 64, 1.0 / 16}; !slices.Equal(bounds, want) {
		t.Errorf("bounds %v, want %v", bounds, want)
	}
	if want := []float64{1, 4, 6, 10}; !slices.Equal(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	if _, _, ok := nativeBuckets(&dto.Histogram{Bucket: []*dto.Bucket{{UpperBound: ptr(1.0)}}}); ok {
		t.Error("a classic histogram read as native")
	}
}

func TestSubWithSparseBounds(t *testing.T) {
	// Native histograms list only the buckets in use: a bound new since before starts from the count
	// before had at its next lower bound.
	before := histogram{Bounds: []float64{0.001, 0.004}, Counts: []float64{2, 5}, Count: 5}
	after := histogram{Bounds: []float64{0.001, 0.002, 0.004, 0.008}, Counts: []float64{3, 5, 9, 10}, Count: 10}
	d := after.sub(before)
	if want := []float64{1, 3, 4, 5}; !slices.Equal(d.Counts, want) || d.Count != 5 {
		t.Errorf("delta %v (count %v), want %v (5)", d.Counts, d.Count, want)
	}
	if s, ok := d.shareUnder(0.0044); !ok || s != 0.8 {
		t.Errorf("shareUnder(4.4 ms) = %v, %v; want 0.8 read at the 4 ms bound", s, ok)
	}
	if _, ok := d.shareUnder(0.0050); ok {
		t.Error("shareUnder(5 ms) read 20% below at the 4 ms bound")
	}
}

func ptr[T any](v T) *T { return &v }
