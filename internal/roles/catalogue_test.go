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
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"roster.dev/roster/api/v1alpha1"
)

func ptr[T any](v T) *T { return &v }

var builtInNames = []string{
	"primary", "administrative", "technical", "technical-secondary", "billing", "renewal", "shipping",
	"unpaid-invoices", "new-quotes", "security-updates", "data-protection", "site-user",
}

func TestBuiltIn(t *testing.T) {
	two, none := v1alpha1.RoleApprovalTwoParty, v1alpha1.RoleApprovalNone
	initiators := []string{"primary", "administrative"}
	want := []Role{
		{Name: "primary", MinHolders: 1, MaxHolders: 1, Approval: two, Initiators: initiators},
		{Name: "administrative", MaxHolders: 1, Approval: two, Initiators: initiators},
		{Name: "technical", MinHolders: 1, MaxHolders: 1, Scoped: true, Approval: two, Initiators: initiators},
		{Name: "technical-secondary", MaxHolders: 4, Scoped: true, Approval: none, Initiators: initiators},
		{Name: "billing", MaxHolders: 1, Approval: two, Initiators: initiators, RequiresGoodStanding: true},
		{Name: "renewal", MaxHolders: 1, Approval: none, Initiators: initiators},
		{Name: "shipping", MaxHolders: 1, Approval: none, Initiators: initiators},
		{Name: "unpaid-invoices", Approval: none, Initiators: initiators, NotificationOnly: true},
		{Name: "new-quotes", Approval: none, Initiators: initiators, NotificationOnly: true},
		{Name: "security-updates", Approval: none, Initiators: initiators, NotificationOnly: true},
		{Name: "data-protection", Approval: none, Initiators: initiators, NotificationOnly: true},
		{Name: "site-user", Scoped: true, Approval: none, Initiators: []string{"technical"}, SelfNomination: true, InitiatorsInScope: true},
	}
	got := BuiltIn()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("BuiltIn() =\n%+v\nwant\n%+v", got, want)
	}
	for _, r := range got {
		if r.Required() != (r.Name == "primary" || r.Name == "technical") {
			t.Errorf("%s.Required() = %v", r.Name, r.Required())
		}
		if r.NeedsApproval() != (r.Approval == two) {
			t.Errorf("%s.NeedsApproval() = %v", r.Name, r.NeedsApproval())
		}
	}

	// Each call is independent.
	got[0].Initiators[0] = "changed"
	if BuiltIn()[0].Initiators[0] != "primary" {
		t.Fatal("BuiltIn shares its initiators between calls")
	}
	c := BuiltInCatalogue()
	if !slices.Equal(c.Names(), builtInNames) {
		t.Fatalf("BuiltInCatalogue().Names() = %v", c.Names())
	}
}

func TestNewCatalogue(t *testing.T) {
	tests := []struct {
		name      string
		defs      []v1alpha1.RoleDefinition
		wantNames []string
		want      map[string]Role
	}{
		{
			name:      "no definitions",
			wantNames: builtInNames,
		},
		{
			name: "override keeps unset fields",
			defs: []v1alpha1.RoleDefinition{{Name: "technical-secondary", MaxHolders: ptr[int32](6)}},
			want: map[string]Role{"technical-secondary": {
				Name: "technical-secondary", MaxHolders: 6, Scoped: true, Approval: v1alpha1.RoleApprovalNone,
				Initiators: []string{"primary", "administrative"},
			}},
			wantNames: builtInNames,
		},
		{
			name: "override every field",
			defs: []v1alpha1.RoleDefinition{{
				Name: "billing", MinHolders: ptr[int32](1), MaxHolders: ptr[int32](2), Scoped: ptr(true),
				Approval: v1alpha1.RoleApprovalNone, Initiators: []string{"primary"},
				RequiresGoodStanding: ptr(false), NotificationOnly: ptr(true),
			}},
			want: map[string]Role{"billing": {
				Name: "billing", MinHolders: 1, MaxHolders: 2, Scoped: true, Approval: v1alpha1.RoleApprovalNone,
				Initiators: []string{"primary"}, NotificationOnly: true,
			}},
			wantNames: builtInNames,
		},
		{
			name: "added roles take defaults and come after built-ins sorted by name",
			defs: []v1alpha1.RoleDefinition{
				{Name: "zeta"},
				{Name: "alpha", Scoped: ptr(true), Approval: v1alpha1.RoleApprovalTwoParty, Initiators: []string{"zeta"}},
			},
			want: map[string]Role{
				"zeta": {Name: "zeta", Approval: v1alpha1.RoleApprovalNone, Initiators: []string{"primary", "administrative"}},
				"alpha": {Name: "alpha", Scoped: true, Approval: v1alpha1.RoleApprovalTwoParty,
					Initiators: []string{"zeta"}},
			},
			wantNames: append(slices.Clone(builtInNames), "alpha", "zeta"),
		},
		{
			name:      "maxHolders 0 is unbounded",
			defs:      []v1alpha1.RoleDefinition{{Name: "primary", MinHolders: ptr[int32](3), MaxHolders: ptr[int32](0)}},
			want:      map[string]Role{"primary": {Name: "primary", MinHolders: 3, Approval: v1alpha1.RoleApprovalTwoParty, Initiators: []string{"primary", "administrative"}}},
			wantNames: builtInNames,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := NewCatalogue(tt.defs)
			if len(errs) > 0 {
				t.Fatalf("unexpected errors: %v", errs)
			}
			if !slices.Equal(c.Names(), tt.wantNames) {
				t.Errorf("Names() = %v, want %v", c.Names(), tt.wantNames)
			}
			if len(c.Roles()) != len(tt.wantNames) {
				t.Errorf("Roles() has %d roles, want %d", len(c.Roles()), len(tt.wantNames))
			}
			for name, want := range tt.want {
				got, ok := c.Get(name)
				if !ok || !reflect.DeepEqual(got, want) {
					t.Errorf("Get(%q) = %+v, %v; want %+v", name, got, ok, want)
				}
			}
			if _, ok := c.Get("nope"); ok {
				t.Error(`Get("nope") found a role`)
			}
		})
	}
}

func TestCatalogueIsImmutable(t *testing.T) {
	c, _ := NewCatalogue(nil)
	r, _ := c.Get("primary")
	r.Initiators[0] = "x"
	c.Roles()[0].Initiators[1] = "y"
	if got, _ := c.Get("primary"); !slices.Equal(got.Initiators, []string{"primary", "administrative"}) {
		t.Fatalf("catalogue changed through a copy: %v", got.Initiators)
	}
}

func TestNewCatalogueErrors(t *testing.T) {
	type wantErr struct {
		typ    field.ErrorType
		path   string
		detail string // substring
	}
	tests := []struct {
		name string
		defs []v1alpha1.RoleDefinition
		want []wantErr
	}{
		{
			name: "min above max on a new role",
			defs: []v1alpha1.RoleDefinition{{Name: "auditor", MinHolders: ptr[int32](3), MaxHolders: ptr[int32](2)}},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.roles[0].minHolders", "lower minHolders to 2 or less"}},
		},
		{
			name: "min above the built-in max",
			defs: []v1alpha1.RoleDefinition{{Name: "technical-secondary", MinHolders: ptr[int32](5)}},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.roles[0].minHolders", "allows at most 4 holders"}},
		},
		{
			name: "min above an inherited max",
			defs: []v1alpha1.RoleDefinition{
				{Name: "renewal"},
				{Name: "primary", MinHolders: nil, MaxHolders: ptr[int32](1)},
				{Name: "technical", MinHolders: ptr[int32](2), MaxHolders: ptr[int32](0)},
				{Name: "administrative", MinHolders: ptr[int32](2)},
			},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.roles[3].minHolders", "raise maxHolders"}},
		},
		{
			name: "valid bounds",
			defs: []v1alpha1.RoleDefinition{
				{Name: "primary", MinHolders: ptr[int32](3), MaxHolders: ptr[int32](0)},
				{Name: "primary2", MinHolders: ptr[int32](2)},
				{Name: "technical", MaxHolders: ptr[int32](1)},
			},
			want: nil,
		},
		{
			name: "unknown initiator",
			defs: []v1alpha1.RoleDefinition{
				{Name: "auditor"},
				{Name: "billing", Initiators: []string{"primary", "auditor", "finance"}},
			},
			want: []wantErr{{field.ErrorTypeNotFound, "spec.roles[1].initiators[2]", `role "finance" is not in the catalogue`}},
		},
		{
			name: "duplicate names",
			defs: []v1alpha1.RoleDefinition{{Name: "auditor"}, {Name: "billing"}, {Name: "auditor"}},
			want: []wantErr{{field.ErrorTypeDuplicate, "spec.roles[2].name", "spec.roles[0] already defines this role"}},
		},
		{
			name: "bad name and approval",
			defs: []v1alpha1.RoleDefinition{{Name: ""}, {Name: "Bad_Name"}, {Name: "ok", Approval: "Maybe"}},
			want: []wantErr{
				{field.ErrorTypeRequired, "spec.roles[0].name", "set the role's name"},
				{field.ErrorTypeInvalid, "spec.roles[1].name", "lower-case"},
				{field.ErrorTypeNotSupported, "spec.roles[2].approval", ""},
			},
		},
		{
			name: "several errors keep definition order",
			defs: []v1alpha1.RoleDefinition{
				{Name: "a", Initiators: []string{"ghost"}},
				{Name: "b", MinHolders: ptr[int32](2), MaxHolders: ptr[int32](1)},
			},
			want: []wantErr{
				{field.ErrorTypeNotFound, "spec.roles[0].initiators[0]", "ghost"},
				{field.ErrorTypeInvalid, "spec.roles[1].minHolders", ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := NewCatalogue(tt.defs)
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(tt.want))
			}
			if (c == nil) != (len(errs) > 0) {
				t.Fatalf("catalogue nil = %v with %d errors", c == nil, len(errs))
			}
			for i, w := range tt.want {
				e := errs[i]
				if e.Type != w.typ || e.Field != w.path || !strings.Contains(e.Detail, w.detail) {
					t.Errorf("error %d = %s %s %q; want %s %s containing %q", i, e.Type, e.Field, e.Detail, w.typ, w.path, w.detail)
				}
			}
		})
	}
}
