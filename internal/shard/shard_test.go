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

package shard

import (
	"maps"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in       string
		sharded  bool
		wantErr  bool
		matches  labels.Set
		excludes labels.Set
	}{
		{in: "", sharded: false},
		{in: "  ", sharded: false},
		{in: "roster.dev/shard=eu", sharded: true, matches: labels.Set{"roster.dev/shard": "eu"}, excludes: labels.Set{"roster.dev/shard": "us"}},
		{in: "roster.dev/shard in (eu,uk)", sharded: true, matches: labels.Set{"roster.dev/shard": "uk"}, excludes: labels.Set{}},
		{in: "roster.dev/shard=", sharded: true, matches: labels.Set{"roster.dev/shard": ""}, excludes: labels.Set{"roster.dev/shard": "eu"}},
		{in: "=eu", wantErr: true},
		{in: "a in b", wantErr: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			s, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if (s != nil) != tt.sharded {
				t.Fatalf("Parse(%q) = %v, want sharded %v", tt.in, s, tt.sharded)
			}
			if s == nil {
				return
			}
			if !s.Matches(tt.matches) || s.Matches(tt.excludes) {
				t.Errorf("Parse(%q) = %v: matches %v %v, excludes %v %v", tt.in, s, tt.matches, s.Matches(tt.matches), tt.excludes, s.Matches(tt.excludes))
			}
		})
	}
}

func TestCacheNamespaces(t *testing.T) {
	got := slices.Sorted(maps.Keys((&Shard{Namespaces: []string{"a", "b"}}).CacheNamespaces()))
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("CacheNamespaces = %v, want [a b]", got)
	}
	// An empty map would mean every namespace to controller-runtime.
	empty := (&Shard{}).CacheNamespaces()
	if len(empty) != 1 {
		t.Fatalf("CacheNamespaces of an empty shard = %v, want one placeholder", empty)
	}
	for ns := range empty {
		if len(validation.IsDNS1123Label(ns)) == 0 {
			t.Errorf("placeholder %q is a valid namespace name: it could exist", ns)
		}
	}
}

func TestLeaderElectionID(t *testing.T) {
	eu, _ := Parse("roster.dev/shard=eu")
	us, _ := Parse("roster.dev/shard=us")
	if got := LeaderElectionID("roster.dev", nil); got != "roster.dev" {
		t.Errorf("unsharded lease = %q, want roster.dev", got)
	}
	a, b := LeaderElectionID("roster.dev", eu), LeaderElectionID("roster.dev", us)
	if a == b || a == "roster.dev" {
		t.Errorf("shards share a lease: %q, %q", a, b)
	}
	if again, _ := Parse("roster.dev/shard = eu"); LeaderElectionID("roster.dev", again) != a {
		t.Errorf("the same selector written differently gets another lease")
	}
	if len(validation.IsDNS1123Subdomain(a)) > 0 {
		t.Errorf("lease name %q is not a valid object name", a)
	}
}
