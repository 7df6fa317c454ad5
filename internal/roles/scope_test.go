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

package roles

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

func newOrg(name string, scopes ...string) *v1alpha1.Organization {
	// Every assignment of these tests (created up to 600 minutes after t0) is in the initial roster,
	// unless a test says otherwise.
	o := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", CreationTimestamp: metav1.NewTime(t0)}}
	o.Spec.Approval.InitialRosterWindow = &metav1.Duration{Duration: 24 * time.Hour}
	for _, s := range scopes {
		o.Spec.Scopes = append(o.Spec.Scopes, v1alpha1.Scope{Name: s})
	}
	return o
}

func TestScopes(t *testing.T) {
	tech, _ := BuiltInCatalogue().Get("technical")
	billing, _ := BuiltInCatalogue().Get("billing")
	tests := []struct {
		name                 string
		org                  *v1alpha1.Organization
		scopes, tech, billin []string
	}{
		{"nil organization", nil, []string{""}, []string{""}, []string{""}},
		{"no scopes", newOrg("acme"), []string{""}, []string{""}, []string{""}},
		{"two scopes in spec order", newOrg("acme", "site-paris", "site-lisbon"),
			[]string{"site-paris", "site-lisbon"}, []string{"site-paris", "site-lisbon"}, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Scopes(tt.org); !slices.Equal(got, tt.scopes) {
				t.Errorf("Scopes = %q, want %q", got, tt.scopes)
			}
			if got := ScopesOf(tech, tt.org); !slices.Equal(got, tt.tech) {
				t.Errorf("ScopesOf(technical) = %q, want %q", got, tt.tech)
			}
			if got := ScopesOf(billing, tt.org); !slices.Equal(got, tt.billin) {
				t.Errorf("ScopesOf(billing) = %q, want %q", got, tt.billin)
			}
		})
	}
}

func TestCheckScope(t *testing.T) {
	tech, _ := BuiltInCatalogue().Get("technical")
	billing, _ := BuiltInCatalogue().Get("billing")
	sites := newOrg("acme", "site-paris", "site-lisbon")
	flat := newOrg("acme")
	tests := []struct {
		name        string
		role        Role
		org         *v1alpha1.Organization
		scope       string
		wantReason  string
		wantMessage string
	}{
		{"scoped role, listed scope", tech, sites, "site-lisbon", "", ""},
		{"scoped role, no scopes listed, empty scope", tech, flat, "", "", ""},
		{"unscoped role, empty scope", billing, sites, "", "", ""},
		{"scoped role needs a scope", tech, sites, "", v1alpha1.ScopeRequiredReason,
			"role technical is held per scope: set spec.scope to one of site-paris, site-lisbon"},
		{"scoped role, unlisted scope", tech, sites, "site-rome", v1alpha1.ScopeNotAllowedReason,
			`scope "site-rome" is not in organization acme's spec.scopes: set spec.scope to one of site-paris, site-lisbon, or add "site-rome" to the Organization's spec.scopes`},
		{"scoped role, organization without scopes", tech, flat, "site-rome", v1alpha1.ScopeNotAllowedReason,
			`organization acme lists no scopes: set spec.scope to "" instead of "site-rome", or add "site-rome" to the Organization's spec.scopes`},
		{"unscoped role with a scope", billing, sites, "site-paris", v1alpha1.ScopeNotAllowedReason,
			`role billing is held once for the whole organization, not per scope: set spec.scope to "" instead of "site-paris"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, message, ok := CheckScope(tt.role, tt.org, tt.scope)
			if ok != (tt.wantReason == "") || reason != tt.wantReason || message != tt.wantMessage {
				t.Errorf("CheckScope = %q, %q, %v\nwant %q, %q", reason, message, ok, tt.wantReason, tt.wantMessage)
			}
		})
	}
}

func TestScopeListIsCapped(t *testing.T) {
	var names []string
	for i := range 12 {
		names = append(names, string(rune('a'+i)))
	}
	tech, _ := BuiltInCatalogue().Get("technical")
	_, msg, _ := CheckScope(tech, newOrg("acme", names...), "")
	if want := "role technical is held per scope: set spec.scope to one of a, b, c, d, e, f, g, h, i, j and 2 more"; msg != want {
		t.Fatalf("message = %q, want %q", msg, want)
	}
}
