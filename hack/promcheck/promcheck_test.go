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

// Package promcheck checks Roster's PrometheusRule and Grafana dashboard with the Prometheus parser. It is
// its own module, so that the Prometheus server's dependencies stay out of the operator's; make test runs it.
package promcheck

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

const (
	rulesFile     = "../../config/prometheus/prometheusrule.yaml"
	dashboardFile = "../../config/grafana/roster-fleet.json"
	exportedFile  = "../../config/prometheus/metrics.txt"
)

// exported reads the series the operator exports (internal/fleetmetrics keeps the list true).
func exported(t *testing.T) []string {
	data, err := os.ReadFile(exportedFile)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line)
		}
	}
	if len(names) == 0 {
		t.Fatalf("%s lists no metric", exportedFile)
	}
	return names
}

// metricsOf parses a PromQL expression and returns the metric names it selects.
func metricsOf(t *testing.T, expr string) []string {
	t.Helper()
	node, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Errorf("%q does not parse: %v", expr, err)
		return nil
	}
	var names []string
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, vs.Name)
		}
		return nil
	})
	if len(names) == 0 {
		t.Errorf("%q selects no metric", expr)
	}
	return names
}

func checkExported(t *testing.T, where, expr string, exported []string) {
	t.Helper()
	for _, name := range metricsOf(t, expr) {
		if !slices.Contains(exported, name) {
			t.Errorf("%s: %q uses %q, which the operator does not export", where, expr, name)
		}
	}
}

type ruleFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []rule `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

type rule struct {
	Alert       string            `json:"alert"`
	Record      string            `json:"record"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func TestPrometheusRule(t *testing.T) {
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		t.Fatal(err)
	}
	if f.APIVersion != "monitoring.coreos.com/v1" || f.Kind != "PrometheusRule" {
		t.Fatalf("%s is a %s %s, want a monitoring.coreos.com/v1 PrometheusRule", rulesFile, f.APIVersion, f.Kind)
	}
	names := exported(t)
	// The alerts docs/operations.md documents, with their for and severity.
	want := map[string]struct{ For, Severity string }{
		"RosterRequiredRoleVacant":   {"1h", "warning"},
		"RosterNotificationsFailing": {"15m", "warning"},
		"RosterTransferExpiringSoon": {"", "info"},
		"RosterEventsDropped":        {"", "warning"},
	}
	// The labels each group's alerts keep and name: the fleet's are per organization, the operator's per
	// replica.
	groupLabels := map[string][]string{"roster.fleet": {"namespace", "organization"}, "roster.operator": {"namespace", "pod"}}
	seen := map[string]bool{}
	for _, g := range f.Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: a rule without alert (%q)", g.Name, r.Expr)
				continue
			}
			seen[r.Alert] = true
			w, ok := want[r.Alert]
			if !ok {
				t.Errorf("unexpected alert %s", r.Alert)
				continue
			}
			checkExported(t, r.Alert, r.Expr, names)
			if r.For != w.For {
				t.Errorf("%s: for %q, want %q", r.Alert, r.For, w.For)
			}
			if r.For != "" {
				if _, err := model.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			if r.Labels["severity"] != w.Severity {
				t.Errorf("%s: severity %q, want %q", r.Alert, r.Labels["severity"], w.Severity)
			}
			// Each alert's expression keeps the labels its annotations name.
			labels, ok := groupLabels[g.Name]
			if !ok {
				t.Errorf("%s: unexpected group %s", r.Alert, g.Name)
			}
			node, _ := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
			for _, label := range labels {
				if !keeps(node, label) {
					t.Errorf("%s: the expression drops the label %s", r.Alert, label)
				}
				for _, key := range []string{"summary", "description"} {
					if !strings.Contains(r.Annotations[key], "$labels."+label) {
						t.Errorf("%s: the %s does not name the %s", r.Alert, key, label)
					}
				}
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("alert %s is missing", name)
		}
	}
}

// keeps tells whether an expression's result still carries label: its outermost aggregation, if any,
// groups by it (or drops other labels only).
func keeps(expr parser.Node, label string) bool {
	kept := true
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		agg, ok := n.(*parser.AggregateExpr)
		if !ok {
			return nil
		}
		kept = slices.Contains(agg.Grouping, label) != agg.Without
		return errors.New("outermost aggregation seen")
	})
	return kept
}

var labelValues = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*[a-zA-Z_]+\s*\)$`)

type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) {
		t.Fatalf("%s is not valid JSON", dashboardFile)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("%s: no title, uid or panels", dashboardFile)
	}
	names := exported(t)
	used := map[string]bool{}
	// Grafana replaces $namespace before Prometheus parses the query.
	expand := strings.NewReplacer("$namespace", ".*", "$__rate_interval", "5m", "$__interval", "1m")
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			expr := expand.Replace(target.Expr)
			checkExported(t, "panel "+p.Title, expr, names)
			for _, n := range metricsOf(t, expr) {
				used[n] = true
			}
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
			continue
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil || !slices.Contains(names, m[1]) {
			t.Errorf("variable %s: %q is not label_values of an exported metric", v.Name, q.Query)
		}
	}
	// Every gauge of the fleet has its panel.
	for _, name := range names {
		if strings.HasSuffix(name, "_total") || strings.Contains(name, "_seconds_") {
			continue
		}
		if !used[name] {
			t.Errorf("no panel shows %s", name)
		}
	}
}

// TestForIsAPrometheusDuration keeps the check of for honest: a malformed duration is refused.
func TestForIsAPrometheusDuration(t *testing.T) {
	if _, err := model.ParseDuration("1 hour"); err == nil {
		t.Error("model.ParseDuration accepted 1 hour")
	}
	if d, err := model.ParseDuration("1h"); err != nil || time.Duration(d) != time.Hour {
		t.Errorf("1h = %v, %v", d, err)
	}
}

// TestKeepsReadsTheGrouping keeps the label check honest: a label named elsewhere in the expression does
// not count.
func TestKeepsReadsTheGrouping(t *testing.T) {
	for _, tt := range []struct {
		expr string
		want bool
	}{
		{`sum by (namespace, pod) (increase(roster_events_total{outcome="dropped"}[15m])) > 0`, true},
		{`sum by (namespace) (increase(roster_events_total{pod!=""}[15m])) > 0`, false},
		{`sum without (outcome) (roster_events_total) > 0`, true},
		{`sum without (pod) (roster_events_total) > 0`, false},
		{`roster_events_total > 0`, true},
	} {
		node, err := parser.NewParser(parser.Options{}).ParseExpr(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := keeps(node, "pod"); got != tt.want {
			t.Errorf("keeps(%s, pod) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}
