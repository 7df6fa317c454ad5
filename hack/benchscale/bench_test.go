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
	"math"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	for _, orgs := range []int{1, 10, 25} {
		f := generate(orgs, "bench")
		if got, want := f.objects(), 31*orgs; got != want {
			t.Errorf("%d organizations: %d objects, want %d", orgs, got, want)
		}
		if got, want := len(f.namespaces), (orgs+orgsPerNamespace-1)/orgsPerNamespace; got != want {
			t.Errorf("%d organizations: %d namespaces, want %d", orgs, got, want)
		}
		seen := map[string]bool{}
		for _, k := range f.kinds {
			for _, doc := range f.docs[k] {
				head := strings.SplitN(doc, "\n", 4)[2] // metadata: {name: ..., namespace: ...}
				if seen[head] {
					t.Errorf("%s appears twice", head)
				}
				seen[head] = true
			}
		}
		b := baselineOf(f, "baseline")
		if b.objects() != f.objects() || len(b.namespaces) != len(f.namespaces) {
			t.Errorf("baseline of %d organizations: %d objects in %d namespaces, want %d in %d", orgs, b.objects(), len(b.namespaces), f.objects(), len(f.namespaces))
		}
	}
}

const scrape = `# HELP apiserver_request_total Counter
apiserver_request_total{code="200",group="roster.dev",resource="contacts",subresource="status",verb="PATCH"} 7
apiserver_request_total{code="200",group="roster.dev",resource="contacts",subresource="",verb="APPLY"} 100
apiserver_request_total{code="201",group="",resource="configmaps",subresource="",verb="POST"} 3
apiserver_admission_webhook_admission_duration_seconds_bucket{name="vcontact.roster.dev",le="0.005"} 90
apiserver_admission_webhook_admission_duration_seconds_bucket{name="vcontact.roster.dev",le="0.025"} 99
apiserver_admission_webhook_admission_duration_seconds_bucket{name="vcontact.roster.dev",le="+Inf"} 100
apiserver_admission_webhook_admission_duration_seconds_count{name="vcontact.roster.dev"} 100
apiserver_admission_webhook_admission_duration_seconds_count{name="other.example"} 50
`

func TestMetrics(t *testing.T) {
	s, err := parseText(strings.NewReader(scrape), "apiserver_")
	if err != nil {
		t.Fatal(err)
	}
	if got := operatorWrites(nil, s, true); got != 7 {
		t.Errorf("status writes = %v, want 7 (the APPLY and the ConfigMap are not the operator's)", got)
	}
	if got := operatorWrites(nil, s, false); got != 0 {
		t.Errorf("metadata writes = %v, want 0", got)
	}
	roster := func(l map[string]string) bool { return strings.HasSuffix(l["name"], ".roster.dev") }
	frac, n := share(nil, s, "apiserver_admission_webhook_admission_duration_seconds", 0.005, roster)
	if n != 100 || math.Abs(frac-0.9) > 1e-9 {
		t.Errorf("share under 5 ms = %v of %v, want 0.9 of 100", frac, n)
	}
	if frac, _ := share(s, s, "apiserver_admission_webhook_admission_duration_seconds", 0.005, roster); frac != 0 {
		t.Errorf("share between equal scrapes = %v, want 0 (no calls)", frac)
	}
}
