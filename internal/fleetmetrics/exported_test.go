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

package fleetmetrics_test

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"roster.dev/roster/internal/eventrecorder"
	"roster.dev/roster/internal/fleetmetrics"
	"roster.dev/roster/internal/notify"
)

var update = flag.Bool("update", false, "rewrite config/prometheus/metrics.txt")

const exportedList = "../../config/prometheus/metrics.txt"

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// exported lists the names of every series the operator's own metrics expose (a histogram's _bucket, _sum
// and _count).
func exported(t *testing.T) []string {
	descs := make(chan *prometheus.Desc, 64)
	(&fleetmetrics.Collector{}).Describe(descs)
	var histograms []string
	for _, c := range append(notify.Collectors(), eventrecorder.Collectors()...) {
		c.Describe(descs)
		if _, ok := c.(*prometheus.HistogramVec); ok {
			d := make(chan *prometheus.Desc, 1)
			c.Describe(d)
			histograms = append(histograms, fqName.FindStringSubmatch((<-d).String())[1])
		}
	}
	close(descs)
	var names []string
	for d := range descs {
		m := fqName.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		if slices.Contains(histograms, m[1]) {
			names = append(names, m[1]+"_bucket", m[1]+"_sum", m[1]+"_count")
			continue
		}
		names = append(names, m[1])
	}
	slices.Sort(names)
	return names
}

// TestExportedMetricsList keeps config/prometheus/metrics.txt, which hack/promcheck checks the alerts and
// the dashboard against, equal to what the operator exports. `go test ./internal/fleetmetrics -update`
// rewrites it.
func TestExportedMetricsList(t *testing.T) {
	want := "# The roster_ series the operator exports, checked by internal/fleetmetrics (go test -update rewrites it).\n" +
		strings.Join(exported(t), "\n") + "\n"
	if *update {
		if err := os.WriteFile(exportedList, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(exportedList)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date: run go test ./internal/fleetmetrics -update\n got: %s\nwant: %s", exportedList, got, want)
	}
}
