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
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"
)

// metricSet is one scrape of a Prometheus text endpoint, by family name.
type metricSet map[string]*dto.MetricFamily

// labels are the labels of one series.
type labels map[string]string

// all keeps every series.
func all(labels) bool { return true }

// parseMetrics parses the Prometheus text exposition format.
func parseMetrics(r io.Reader) (metricSet, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	return fams, nil
}

// scrapeHTTP reads the metrics served at url (the manager's, plain HTTP). It asks for the protobuf
// format, which carries native histograms too (the text format has only the classic buckets).
func scrapeHTTP(ctx context.Context, url string) (metricSet, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeProtoDelim))+";q=1, text/plain;q=0.5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping %s: %s", url, resp.Status)
	}
	if expfmt.ResponseFormat(resp.Header).FormatType() != expfmt.TypeProtoDelim {
		return parseMetrics(resp.Body)
	}
	out := metricSet{}
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("scraping %s: %w", url, err)
		}
		out[mf.GetName()] = mf
	}
}

// scrapeAPIServer reads the API server's own /metrics with rc's credentials.
func scrapeAPIServer(ctx context.Context, rc rest.Interface) (metricSet, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	raw, err := rc.Get().AbsPath("/metrics").SetHeader("Accept", "text/plain").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("scraping the API server's /metrics: %w", err)
	}
	return parseMetrics(bytes.NewReader(raw))
}

func labelsOf(m *dto.Metric) labels {
	out := make(labels, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// value is a counter's, gauge's or untyped sample's value.
func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// sum adds the samples of family name whose labels pass keep.
func (s metricSet) sum(name string, keep func(labels) bool) float64 {
	var total float64
	for _, m := range s[name].GetMetric() {
		if keep(labelsOf(m)) {
			total += value(m)
		}
	}
	return total
}

// by adds the samples of family name whose labels pass keep, grouped by key(labels).
func (s metricSet) by(name string, keep func(labels) bool, key func(labels) string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range s[name].GetMetric() {
		if l := labelsOf(m); keep(l) {
			out[key(l)] += value(m)
		}
	}
	return out
}

// byLabel groups by the value of one label.
func byLabel(name string) func(labels) string { return func(l labels) string { return l[name] } }

// counterDelta is after - before for one counter; a counter that went down was reset (the process
// restarted), and then after alone is the increase, as Prometheus' increase() reads it.
func counterDelta(after, before float64) float64 {
	if after < before {
		return after
	}
	return after - before
}

// deltas is counterDelta per key; keys absent before count from 0. Keys whose delta is 0 are left out.
func deltas(after, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, a := range after {
		if d := counterDelta(a, before[k]); d != 0 {
			out[k] = d
		}
	}
	return out
}

// histogram is a cumulative Prometheus histogram, several series merged.
type histogram struct {
	Bounds []float64 // finite upper bounds, ascending
	Counts []float64 // cumulative count of observations ≤ each bound
	Count  float64   // all observations (the +Inf bucket)
	Sum    float64
}

// histogram merges the series of histogram family name whose labels pass keep. A series with a native
// histogram (exponential buckets, about 10% wide for controller-runtime's) is read from those rather
// than from its classic buckets. Series with other bounds are merged on the union of the bounds: at a
// bound a series lacks, its cumulative count is the one at its next lower bound, which is what it knows.
func (s metricSet) histogram(name string, keep func(labels) bool) histogram {
	type series struct{ bounds, counts []float64 }
	var all []series
	bounds := map[float64]bool{}
	h := histogram{}
	for _, m := range s[name].GetMetric() {
		if m.Histogram == nil || !keep(labelsOf(m)) {
			continue
		}
		mh := m.GetHistogram()
		h.Count += float64(mh.GetSampleCount()) + mh.GetSampleCountFloat()
		h.Sum += mh.GetSampleSum()
		sr := series{}
		if b, c, ok := nativeBuckets(mh); ok {
			sr.bounds, sr.counts = b, c
		} else {
			for _, bk := range mh.GetBucket() {
				if !math.IsInf(bk.GetUpperBound(), +1) {
					sr.bounds = append(sr.bounds, bk.GetUpperBound())
					sr.counts = append(sr.counts, float64(bk.GetCumulativeCount())+bk.GetCumulativeCountFloat())
				}
			}
		}
		for _, b := range sr.bounds {
			bounds[b] = true
		}
		all = append(all, sr)
	}
	for b := range bounds {
		h.Bounds = append(h.Bounds, b)
	}
	slices.Sort(h.Bounds)
	h.Counts = make([]float64, len(h.Bounds))
	for _, sr := range all {
		for i, b := range h.Bounds {
			h.Counts[i] += cumulativeAt(sr.bounds, sr.counts, b)
		}
	}
	return h
}

// cumulativeAt is the cumulative count at x of a histogram with these ascending bounds: the count at
// the largest bound not above x, 0 below the first.
func cumulativeAt(bounds, counts []float64, x float64) float64 {
	i, found := slices.BinarySearch(bounds, x)
	if found {
		return counts[i]
	}
	if i == 0 {
		return 0
	}
	return counts[i-1]
}

// nativeBuckets returns the bounds and cumulative counts of a native histogram's zero and positive
// buckets; ok is false when h has no native part. Bucket i of schema s holds the observations in
// (base^(i-1), base^i] with base = 2^(2^-s); spans give runs of buckets (the first offset is the
// first index, the others gaps), counts come as deltas from the previous bucket.
func nativeBuckets(h *dto.Histogram) (bounds, counts []float64, ok bool) {
	if len(h.GetPositiveSpan()) == 0 && h.GetZeroThreshold() == 0 {
		return nil, nil, false
	}
	base := math.Pow(2, math.Pow(2, -float64(h.GetSchema())))
	cum := float64(h.GetZeroCount()) + h.GetZeroCountFloat()
	bounds, counts = append(bounds, h.GetZeroThreshold()), append(counts, cum)
	var idx int32
	var k int
	var abs int64
	for _, sp := range h.GetPositiveSpan() {
		idx += sp.GetOffset()
		for range sp.GetLength() {
			if k < len(h.GetPositiveDelta()) {
				abs += h.GetPositiveDelta()[k]
				cum += float64(abs)
			} else if k < len(h.GetPositiveCount()) {
				cum += h.GetPositiveCount()[k]
			}
			k++
			bounds, counts = append(bounds, math.Pow(base, float64(idx))), append(counts, cum)
			idx++
		}
	}
	return bounds, counts, true
}

// sub is the histogram of the observations made between before and h (a counter reset keeps h).
func (h histogram) sub(before histogram) histogram {
	out := histogram{
		Bounds: slices.Clone(h.Bounds),
		Counts: make([]float64, len(h.Counts)),
		Count:  counterDelta(h.Count, before.Count),
		Sum:    h.Sum - before.Sum,
	}
	reset := h.Count < before.Count
	if reset {
		out.Sum = h.Sum
	}
	for i, b := range h.Bounds {
		out.Counts[i] = h.Counts[i]
		if !reset {
			out.Counts[i] -= cumulativeAt(before.Bounds, before.Counts, b)
		}
	}
	return out
}

// shareUnder is the share of observations at most x, read at the largest bound not above x, which must
// be within 10% of x (x is one of the classic bounds, or a native histogram has a bound close by); ok is
// false without observations or such a bound.
func (h histogram) shareUnder(x float64) (share float64, ok bool) {
	i, found := slices.BinarySearch(h.Bounds, x)
	if !found {
		i--
	}
	if h.Count == 0 || i < 0 || h.Bounds[i] < 0.9*x {
		return 0, false
	}
	return h.Counts[i] / h.Count, true
}

// quantileBound is the smallest bucket bound under which at least a share q of the observations fall:
// "p99 ≤ 25 ms" reads as quantileBound(0.99) == 0.025. It is +Inf when they fall above the last
// finite bound, NaN without observations.
func (h histogram) quantileBound(q float64) float64 {
	if h.Count == 0 {
		return math.NaN()
	}
	rank := q * h.Count
	for i, c := range h.Counts {
		if c >= rank {
			return h.Bounds[i]
		}
	}
	return math.Inf(+1)
}

// quantile estimates the q-quantile by linear interpolation inside its bucket, as PromQL's
// histogram_quantile does (the first bucket starts at 0; above the last finite bound it is that bound).
func (h histogram) quantile(q float64) float64 {
	if h.Count == 0 {
		return math.NaN()
	}
	rank := q * h.Count
	lower, below := 0.0, 0.0
	for i, c := range h.Counts {
		if c >= rank {
			if c == below {
				return h.Bounds[i]
			}
			return lower + (h.Bounds[i]-lower)*(rank-below)/(c-below)
		}
		lower, below = h.Bounds[i], c
	}
	if len(h.Bounds) == 0 {
		return math.NaN()
	}
	return h.Bounds[len(h.Bounds)-1]
}
