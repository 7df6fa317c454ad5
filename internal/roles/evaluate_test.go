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
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newContact(name, org string) v1alpha1.Contact {
	return v1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: v1alpha1.ContactSpec{
			OrganizationRef: v1alpha1.LocalObjectReference{Name: org}, Email: name + "@example.com",
		},
	}
}

func disabledContact(name, org string) v1alpha1.Contact {
	c := newContact(name, org)
	c.Spec.Disabled = true
	return c
}

// newRA returns an assignment of organization acme created minute minutes after t0.
func newRA(name, role, scope, contact string, minute int) v1alpha1.RoleAssignment {
	return v1alpha1.RoleAssignment{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "ns", CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(minute) * time.Minute)),
		},
		Spec: v1alpha1.RoleAssignmentSpec{
			OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"},
			Role:            role, Scope: scope,
			ContactRef: v1alpha1.LocalObjectReference{Name: contact},
		},
	}
}

func contacts(names ...string) []v1alpha1.Contact {
	out := make([]v1alpha1.Contact, 0, len(names))
	for _, n := range names {
		out = append(out, newContact(n, "acme"))
	}
	return out
}

const (
	ok       = v1alpha1.ReconciledReason
	conflict = v1alpha1.ConflictReason
)

func TestEvaluate(t *testing.T) {
	sites := newOrg("acme", "site-paris", "site-lisbon")
	people := contacts("alice", "bob", "carol", "dave", "erin", "frank", "grace")

	tests := []struct {
		name        string
		org         *v1alpha1.Organization
		defs        []v1alpha1.RoleDefinition
		contacts    []v1alpha1.Contact
		assignments []v1alpha1.RoleAssignment
		// want is the reason of each assignment that gets a result.
		want map[string]string
		// messages are substrings of the results' messages.
		messages map[string]string
		check    func(t *testing.T, ev Evaluation)
	}{
		{
			name:     "second primary is in conflict, the oldest wins",
			org:      sites,
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("acme-primary-2", "primary", "", "alice", 5),
				newRA("acme-primary", "primary", "", "bob", 1),
			},
			want: map[string]string{"acme-primary": ok, "acme-primary-2": conflict},
			messages: map[string]string{
				"acme-primary-2": `role "primary" allows at most 1 holder in scope "" and it is held by bob (assignment acme-primary, older): to change the holder, use a ContactTransfer or edit spec.contactRef of acme-primary instead of adding an assignment`,
				"acme-primary":   `contact bob holds role "primary"`,
			},
			check: func(t *testing.T, ev Evaluation) {
				if r := ev.Assignments["acme-primary"]; r.Holder != "bob" || !r.Effective {
					t.Errorf("acme-primary = %+v", r)
				}
				if r := ev.Assignments["acme-primary-2"]; r.Holder != "" || r.Effective {
					t.Errorf("acme-primary-2 = %+v", r)
				}
			},
		},
		{
			name:     "equal timestamps: the name breaks the tie",
			org:      sites,
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("p-b", "primary", "", "alice", 0),
				newRA("p-a", "primary", "", "bob", 0),
			},
			want: map[string]string{"p-a": ok, "p-b": conflict},
		},
		{
			name:     "an assignment not yet created counts as the newest",
			org:      sites,
			contacts: people,
			assignments: func() []v1alpha1.RoleAssignment {
				fresh := newRA("a-fresh", "primary", "", "alice", 0)
				fresh.CreationTimestamp = metav1.Time{}
				return []v1alpha1.RoleAssignment{fresh, newRA("z-old", "primary", "", "bob", 9)}
			}(),
			want: map[string]string{"z-old": ok, "a-fresh": conflict},
		},
		{
			name:     "technical-secondary: 4 per site",
			org:      sites,
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("p1", "technical-secondary", "site-paris", "alice", 1),
				newRA("p2", "technical-secondary", "site-paris", "bob", 2),
				newRA("p3", "technical-secondary", "site-paris", "carol", 3),
				newRA("p4", "technical-secondary", "site-paris", "dave", 4),
				newRA("p5", "technical-secondary", "site-paris", "erin", 5),
				newRA("l1", "technical-secondary", "site-lisbon", "alice", 1),
				newRA("l2", "technical-secondary", "site-lisbon", "bob", 2),
				newRA("l3", "technical-secondary", "site-lisbon", "carol", 3),
				newRA("l4", "technical-secondary", "site-lisbon", "erin", 4),
			},
			want: map[string]string{
				"p1": ok, "p2": ok, "p3": ok, "p4": ok, "p5": conflict,
				"l1": ok, "l2": ok, "l3": ok, "l4": ok,
			},
			messages: map[string]string{
				"p5": `role "technical-secondary" allows at most 4 holders in scope "site-paris" and they are held by alice (assignment p1), bob (assignment p2), carol (assignment p3), dave (assignment p4), all older: free a place first`,
			},
			check: func(t *testing.T, ev Evaluation) {
				for _, scope := range []string{"site-paris", "site-lisbon"} {
					row, found := ev.Row("technical-secondary", scope)
					if !found || len(row.Holders) != 4 || !row.Satisfied || row.Required {
						t.Errorf("row %s = %+v", scope, row)
					}
				}
				row, _ := ev.Row("technical-secondary", "site-lisbon")
				if !slices.Equal(row.Holders, []string{"alice", "bob", "carol", "erin"}) ||
					!slices.Equal(row.Assignments, []string{"l1", "l2", "l3", "l4"}) {
					t.Errorf("lisbon row = %+v", row)
				}
			},
		},
		{
			name:     "a raised maxHolders keeps the role scoped",
			org:      sites,
			defs:     []v1alpha1.RoleDefinition{{Name: "technical-secondary", MaxHolders: ptr[int32](6)}},
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("p1", "technical-secondary", "site-paris", "alice", 1),
				newRA("p2", "technical-secondary", "site-paris", "bob", 2),
				newRA("p3", "technical-secondary", "site-paris", "carol", 3),
				newRA("p4", "technical-secondary", "site-paris", "dave", 4),
				newRA("p5", "technical-secondary", "site-paris", "erin", 5),
				newRA("p6", "technical-secondary", "site-paris", "frank", 6),
				newRA("p7", "technical-secondary", "site-paris", "grace", 7),
				newRA("x", "technical-secondary", "", "grace", 7),
			},
			want: map[string]string{
				"p1": ok, "p2": ok, "p3": ok, "p4": ok, "p5": ok, "p6": ok, "p7": conflict,
				"x": v1alpha1.ScopeRequiredReason,
			},
			messages: map[string]string{"p7": "at most 6 holders"},
		},
		{
			name:     "conflict message names at most 5 holders",
			org:      sites,
			defs:     []v1alpha1.RoleDefinition{{Name: "auditor", MaxHolders: ptr[int32](6)}},
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("a1", "auditor", "", "alice", 1), newRA("a2", "auditor", "", "bob", 2),
				newRA("a3", "auditor", "", "carol", 3), newRA("a4", "auditor", "", "dave", 4),
				newRA("a5", "auditor", "", "erin", 5), newRA("a6", "auditor", "", "frank", 6),
				newRA("a7", "auditor", "", "grace", 7),
			},
			want: map[string]string{
				"a1": ok, "a2": ok, "a3": ok, "a4": ok, "a5": ok, "a6": ok, "a7": conflict,
			},
			messages: map[string]string{"a7": "erin (assignment a5) and 1 more, all older"},
		},
		{
			name:     "unknown role",
			org:      sites,
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("ra", "auditor", "", "alice", 1),
			},
			want: map[string]string{"ra": v1alpha1.UnknownRoleReason},
			messages: map[string]string{
				"ra": `spec.role "auditor" is not in organization acme's catalogue: use one of primary, administrative,`,
			},
		},
		{
			name:     "scopes checked",
			org:      sites,
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("no-scope", "technical", "", "alice", 1),
				newRA("unlisted", "technical", "site-rome", "alice", 2),
				newRA("unscoped", "billing", "site-paris", "alice", 3),
				newRA("good", "technical", "site-paris", "alice", 4),
			},
			want: map[string]string{
				"no-scope": v1alpha1.ScopeRequiredReason,
				"unlisted": v1alpha1.ScopeNotAllowedReason,
				"unscoped": v1alpha1.ScopeNotAllowedReason,
				"good":     ok,
			},
			messages: map[string]string{
				"no-scope": "role technical is held per scope: set spec.scope to one of site-paris, site-lisbon",
			},
		},
		{
			name: "contact missing, of another organization, or disabled",
			org:  sites,
			contacts: []v1alpha1.Contact{
				newContact("bob", "acme"),
				newContact("olga", "other"),
				disabledContact("dan", "acme"),
				func() v1alpha1.Contact { c := newContact("nina", "acme"); c.Namespace = "elsewhere"; return c }(),
			},
			assignments: []v1alpha1.RoleAssignment{
				newRA("missing", "primary", "", "zoe", 1),
				newRA("other-org", "primary", "", "olga", 2),
				newRA("disabled", "primary", "", "dan", 3),
				newRA("other-namespace", "primary", "", "nina", 4),
				newRA("bob", "primary", "", "bob", 5),
			},
			want: map[string]string{
				"missing":         v1alpha1.ContactNotFoundReason,
				"other-org":       v1alpha1.ContactOfOtherOrganizationReason,
				"disabled":        v1alpha1.ContactDisabledReason,
				"other-namespace": v1alpha1.ContactNotFoundReason,
				"bob":             ok,
			},
			messages: map[string]string{
				"missing":   `contact "zoe" does not exist in namespace "ns"`,
				"other-org": `contact "olga" belongs to organization other, not acme: set spec.contactRef.name to a contact of acme`,
				"disabled":  `contact "dan" is disabled`,
			},
			check: func(t *testing.T, ev Evaluation) {
				if _, held := ev.ContactRoles["dan"]; held {
					t.Error("a disabled contact holds roles")
				}
			},
		},
		{
			name:     "duplicates name the older assignment and take no place",
			org:      sites,
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("ts-1", "technical-secondary", "site-paris", "alice", 1),
				newRA("ts-2", "technical-secondary", "site-paris", "alice", 2),
				newRA("ts-3", "technical-secondary", "site-paris", "bob", 3),
				newRA("ts-4", "technical-secondary", "site-paris", "carol", 4),
				newRA("ts-5", "technical-secondary", "site-paris", "dave", 5),
				newRA("ts-6", "technical-secondary", "site-lisbon", "alice", 6),
				newRA("ship-1", "shipping", "", "alice", 1),
				newRA("ship-2", "shipping", "", "bob", 2),
				newRA("ship-3", "shipping", "", "bob", 3),
			},
			want: map[string]string{
				"ts-1": ok, "ts-2": v1alpha1.DuplicateReason, "ts-3": ok, "ts-4": ok, "ts-5": ok, "ts-6": ok,
				"ship-1": ok, "ship-2": conflict, "ship-3": v1alpha1.DuplicateReason,
			},
			messages: map[string]string{
				"ts-2":   `contact alice is already assigned role "technical-secondary" in scope "site-paris" by assignment ts-1 (older): delete this duplicate assignment`,
				"ship-3": "by assignment ship-2 (older)",
			},
		},
		{
			name:     "assignments being deleted or of other organizations are ignored",
			org:      sites,
			contacts: people,
			assignments: func() []v1alpha1.RoleAssignment {
				gone := newRA("gone", "primary", "", "alice", 1)
				gone.DeletionTimestamp = ptr(metav1.NewTime(t0))
				other := newRA("other", "primary", "", "alice", 1)
				other.Spec.OrganizationRef.Name = "globex"
				return []v1alpha1.RoleAssignment{gone, other, newRA("new", "primary", "", "bob", 2)}
			}(),
			want: map[string]string{"new": ok},
		},
		{
			name:     "vacant rows",
			org:      sites,
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("primary", "primary", "", "alice", 1),
				newRA("tech-lisbon", "technical", "site-lisbon", "bob", 2),
			},
			want: map[string]string{"primary": ok, "tech-lisbon": ok},
			check: func(t *testing.T, ev Evaluation) {
				vacant := ev.Vacant()
				if len(vacant) != 1 || vacant[0].Role != "technical" || vacant[0].Scope != "site-paris" {
					t.Fatalf("Vacant() = %+v", vacant)
				}
				if row, _ := ev.Row("technical", "site-paris"); row.Satisfied || !row.Required || row.MinHolders != 1 {
					t.Errorf("technical/site-paris = %+v", row)
				}
				if row, _ := ev.Row("billing", ""); !row.Satisfied || row.Required || len(row.Holders) != 0 {
					t.Errorf("billing = %+v", row)
				}
				if _, found := ev.Row("technical", ""); found {
					t.Error(`Row("technical", "") found in an organization with scopes`)
				}
			},
		},
		{
			name:     "rows follow catalogue then scope order",
			org:      sites,
			defs:     []v1alpha1.RoleDefinition{{Name: "auditor", Scoped: ptr(true), MinHolders: ptr[int32](1)}},
			contacts: people,
			check: func(t *testing.T, ev Evaluation) {
				var got []string
				for _, r := range ev.Rows {
					got = append(got, r.Role+"/"+r.Scope)
				}
				want := []string{
					"primary/", "administrative/", "technical/site-paris", "technical/site-lisbon",
					"technical-secondary/site-paris", "technical-secondary/site-lisbon", "billing/", "renewal/",
					"shipping/", "unpaid-invoices/", "new-quotes/", "security-updates/", "data-protection/",
					"site-user/site-paris", "site-user/site-lisbon", "auditor/site-paris", "auditor/site-lisbon",
				}
				if !slices.Equal(got, want) {
					t.Errorf("rows = %v\nwant %v", got, want)
				}
				if n := len(ev.Vacant()); n != 5 {
					t.Errorf("%d vacant rows, want 5 (primary, 2 technical, 2 auditor)", n)
				}
			},
		},
		{
			name:     "organization without scopes",
			org:      newOrg("acme"),
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("p", "primary", "", "alice", 1),
				newRA("t", "technical", "", "alice", 1),
				newRA("t2", "technical", "site-paris", "bob", 1),
			},
			want: map[string]string{"p": ok, "t": ok, "t2": v1alpha1.ScopeNotAllowedReason},
			check: func(t *testing.T, ev Evaluation) {
				if len(ev.Rows) != 12 || len(ev.Vacant()) != 0 {
					t.Errorf("rows = %+v, vacant = %+v", ev.Rows, ev.Vacant())
				}
			},
		},
		{
			name:     "contact roles",
			org:      sites,
			contacts: people,
			assignments: []v1alpha1.RoleAssignment{
				newRA("a-tech2", "technical-secondary", "site-lisbon", "alice", 1),
				newRA("a-tech-p", "technical", "site-paris", "alice", 2),
				newRA("a-primary", "primary", "", "alice", 3),
				newRA("a-billing", "billing", "", "alice", 4),
				newRA("a-tech-l", "technical", "site-lisbon", "alice", 5),
				newRA("b-billing", "billing", "", "bob", 6),
			},
			check: func(t *testing.T, ev Evaluation) {
				want := map[string][]v1alpha1.HeldRole{"alice": {
					{Role: "billing"}, {Role: "primary"},
					{Role: "technical", Scope: "site-lisbon"}, {Role: "technical", Scope: "site-paris"},
					{Role: "technical-secondary", Scope: "site-lisbon"},
				}}
				if !reflect.DeepEqual(ev.ContactRoles, want) {
					t.Errorf("ContactRoles = %+v\nwant %+v", ev.ContactRoles, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, errs := NewCatalogue(tt.defs)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			ev := Evaluate(Input{Organization: tt.org, Catalogue: cat, Contacts: tt.contacts, Assignments: tt.assignments})
			if tt.want != nil {
				got := map[string]string{}
				for name, r := range ev.Assignments {
					got[name] = r.Reason
					if r.Effective != (r.Reason == ok) {
						t.Errorf("%s: Effective = %v with reason %s", name, r.Effective, r.Reason)
					}
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("reasons = %v\nwant      %v", got, tt.want)
				}
			}
			for name, sub := range tt.messages {
				if msg := ev.Assignments[name].Message; !strings.Contains(msg, sub) {
					t.Errorf("%s: message %q does not contain %q", name, msg, sub)
				}
			}
			if tt.check != nil {
				tt.check(t, ev)
			}
		})
	}
}

func TestEvaluateNilCatalogueIsBuiltIn(t *testing.T) {
	ev := Evaluate(Input{
		Organization: newOrg("acme"),
		Contacts:     contacts("alice"),
		Assignments:  []v1alpha1.RoleAssignment{newRA("p", "primary", "", "alice", 0)},
	})
	if !ev.Assignments["p"].Effective || len(ev.Rows) != len(BuiltIn()) {
		t.Fatalf("evaluation = %+v", ev)
	}
}

func TestRowWithoutIndex(t *testing.T) {
	ev := Evaluation{Rows: []Row{{Role: "primary"}, {Role: "technical", Scope: "s"}}}
	if r, found := ev.Row("technical", "s"); !found || r.Scope != "s" {
		t.Fatalf("Row = %+v, %v", r, found)
	}
	if _, found := ev.Row("technical", ""); found {
		t.Fatal("found a missing row")
	}
}

func TestSimulation(t *testing.T) {
	in := Input{
		Organization: newOrg("acme", "site-paris"),
		Catalogue:    BuiltInCatalogue(),
		Contacts:     contacts("alice", "bob"),
		Assignments: []v1alpha1.RoleAssignment{
			newRA("primary", "primary", "", "alice", 1),
			newRA("tech", "technical", "site-paris", "bob", 2),
		},
	}
	before := slices.Clone(in.Assignments)

	// Creating a second primary (no creationTimestamp yet) would be in conflict.
	candidate := newRA("primary-2", "primary", "", "bob", 0)
	candidate.CreationTimestamp = metav1.Time{}
	ev := Evaluate(WithAssignment(in, candidate))
	if r := ev.Assignments["primary-2"]; r.Reason != v1alpha1.ConflictReason {
		t.Errorf("new primary = %+v", r)
	}
	if r := ev.Assignments["primary"]; !r.Effective || r.Holder != "alice" {
		t.Errorf("existing primary = %+v", r)
	}

	// Updating the existing primary replaces it.
	update := newRA("primary", "primary", "", "bob", 1)
	ev = Evaluate(WithAssignment(in, update))
	if r := ev.Assignments["primary"]; !r.Effective || r.Holder != "bob" || len(ev.Assignments) != 2 {
		t.Errorf("updated primary = %+v (%d results)", r, len(ev.Assignments))
	}

	// Deleting the only primary leaves it vacant.
	ev = Evaluate(WithoutAssignment(in, "primary"))
	if v := ev.Vacant(); len(v) != 1 || v[0].Role != "primary" {
		t.Errorf("Vacant() after deletion = %+v", v)
	}
	if _, found := ev.Assignments["primary"]; found {
		t.Error("removed assignment still has a result")
	}

	if !reflect.DeepEqual(in.Assignments, before) {
		t.Error("simulation modified the input")
	}
}

func TestSelfNomination(t *testing.T) {
	cat, errs := NewCatalogue([]v1alpha1.RoleDefinition{{Name: "site-user", SelfNomination: ptr(true)}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ra := newRA("frank-site-user", "site-user", "", "frank", 0)
	ra.UID = "ra-uid"
	org := newOrg("acme")
	org.Spec.Approval.InitialRosterWindow = &metav1.Duration{}
	in := Input{Organization: org, Catalogue: cat, Contacts: contacts("alice", "frank"),
		Assignments: []v1alpha1.RoleAssignment{ra}}
	got := Evaluate(in).Assignments[ra.Name]
	if got.Effective || got.Reason != v1alpha1.AwaitingApprovalReason || got.Pending != "frank" {
		t.Fatalf("before approval: got %+v, want pending frank", got)
	}
	if row, _ := Evaluate(in).Row("site-user", ""); len(row.Holders) != 0 {
		t.Fatalf("a pending nominee holds nothing, got %v", row.Holders)
	}
	approved := v1alpha1.ContactTransfer{Spec: v1alpha1.ContactTransferSpec{Role: "site-user",
		To: v1alpha1.LocalObjectReference{Name: "frank"}, RequestedBy: &v1alpha1.LocalObjectReference{Name: "frank"}}}
	approved.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ApprovedCondition, Status: metav1.ConditionTrue}}
	approved.Status.Assignment = &v1alpha1.AssignmentBinding{Name: ra.Name, UID: "ra-uid"}
	in.Transfers = []v1alpha1.ContactTransfer{approved}
	if got := Evaluate(in).Assignments[ra.Name]; !got.Effective || got.Holder != "frank" || got.Grant != v1alpha1.GrantTransfer {
		t.Fatalf("after approval: got %+v, want frank holding through the transfer", got)
	}
}

// TestSecurityOneRuleForEveryPath: after the initial roster, a new holder of a two-party role needs a transfer
// approved for this very assignment, whatever the path.
func TestSecurityOneRuleForEveryPath(t *testing.T) {
	const uid = "ra-uid"
	transfer := func(from, to string, mutate ...func(*v1alpha1.ContactTransfer)) v1alpha1.ContactTransfer {
		tr := v1alpha1.ContactTransfer{Spec: v1alpha1.ContactTransferSpec{Role: "billing", To: v1alpha1.LocalObjectReference{Name: to}}}
		if from != "" {
			tr.Spec.From = &v1alpha1.LocalObjectReference{Name: from}
		}
		tr.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ApprovedCondition, Status: metav1.ConditionTrue}}
		tr.Status.Assignment = &v1alpha1.AssignmentBinding{Name: "acme-billing", UID: uid}
		for _, m := range mutate {
			m(&tr)
		}
		return tr
	}
	cond := func(typ string) func(*v1alpha1.ContactTransfer) {
		return func(tr *v1alpha1.ContactTransfer) {
			tr.Status.Conditions = append(tr.Status.Conditions, metav1.Condition{Type: typ, Status: metav1.ConditionTrue})
		}
	}
	unbound := func(tr *v1alpha1.ContactTransfer) { tr.Status.Assignment = nil }
	boundElsewhere := func(tr *v1alpha1.ContactTransfer) { tr.Status.Assignment.UID = "another-uid" }
	notApproved := func(tr *v1alpha1.ContactTransfer) { tr.Status.Conditions = nil }
	overdue := func(in *Input) { in.Contacts[1].Spec.AccountStanding = v1alpha1.AccountStandingOverdue } // bob
	window := func(minutes int) func(*Input) {
		return func(in *Input) {
			in.Organization.Spec.Approval.InitialRosterWindow = &metav1.Duration{Duration: time.Duration(minutes) * time.Minute}
		}
	}
	for _, tc := range []struct {
		name        string
		role        string
		holder      string // status.holder before
		minute      int    // creation of the assignment, minutes after the organization
		generation  int64
		transfers   []v1alpha1.ContactTransfer
		input       []func(*Input)
		wantHolder  string
		wantPending string
		wantGrant   v1alpha1.Grant
		wantReason  string
	}{
		{name: "initial roster: takes its contact at once", role: "billing", minute: 5,
			input: []func(*Input){window(10)}, wantHolder: "bob", wantGrant: v1alpha1.GrantInitialRoster},
		{name: "created before the organization: initial roster", role: "billing", minute: -1,
			input: []func(*Input){window(10)}, wantHolder: "bob", wantGrant: v1alpha1.GrantInitialRoster},
		{name: "new assignment for a vacant place after the window waits", role: "billing", minute: 11,
			input: []func(*Input){window(10)}, wantPending: "bob", wantReason: v1alpha1.AwaitingApprovalReason},
		{name: "edited within the window (generation 2) waits", role: "billing", minute: 5, generation: 2,
			input: []func(*Input){window(10)}, wantPending: "bob", wantReason: v1alpha1.AwaitingApprovalReason},
		{name: "window 0s: no initial roster", role: "billing", minute: 0,
			input: []func(*Input){window(0)}, wantPending: "bob", wantReason: v1alpha1.AwaitingApprovalReason},
		{name: "role without approval moves at once", role: "renewal", holder: "alice", minute: 30,
			input: []func(*Input){window(10)}, wantHolder: "bob", wantGrant: v1alpha1.GrantDirect},
		{name: "repoint keeps the holder while the change waits", role: "billing", holder: "alice", minute: 30,
			wantHolder: "alice", wantPending: "bob"},
		{name: "a transfer approved and bound to this assignment moves it", role: "billing", holder: "alice",
			transfers: []v1alpha1.ContactTransfer{transfer("alice", "bob")}, wantHolder: "bob", wantGrant: v1alpha1.GrantTransfer},
		{name: "an approved transfer for a vacant place moves it", role: "billing", minute: 30, input: []func(*Input){window(10)},
			transfers: []v1alpha1.ContactTransfer{transfer("", "bob")}, wantHolder: "bob", wantGrant: v1alpha1.GrantTransfer},
		{name: "an approved transfer not bound yet does not", role: "billing", holder: "alice",
			transfers: []v1alpha1.ContactTransfer{transfer("alice", "bob", unbound)}, wantHolder: "alice", wantPending: "bob"},
		{name: "an approval bound to another assignment (deleted and recreated) does not", role: "billing", holder: "alice",
			transfers: []v1alpha1.ContactTransfer{transfer("alice", "bob", boundElsewhere)}, wantHolder: "alice", wantPending: "bob"},
		{name: "a completed transfer approves nothing else", role: "billing", holder: "alice",
			transfers: []v1alpha1.ContactTransfer{transfer("alice", "bob", cond(v1alpha1.CompletedCondition))}, wantHolder: "alice", wantPending: "bob"},
		{name: "a refused transfer does not", role: "billing", holder: "alice",
			transfers: []v1alpha1.ContactTransfer{transfer("alice", "bob", cond(v1alpha1.RefusedCondition))}, wantHolder: "alice", wantPending: "bob"},
		{name: "a transfer waiting for approval does not", role: "billing", holder: "alice",
			transfers: []v1alpha1.ContactTransfer{transfer("alice", "bob", notApproved)}, wantHolder: "alice", wantPending: "bob"},
		{name: "a transfer to someone else does not", role: "billing", holder: "alice",
			transfers: []v1alpha1.ContactTransfer{transfer("alice", "carol")}, wantHolder: "alice", wantPending: "bob"},
		{name: "an approved billing move waits while the new contact is Overdue", role: "billing", holder: "alice",
			transfers: []v1alpha1.ContactTransfer{transfer("alice", "bob")}, input: []func(*Input){overdue}, wantHolder: "alice", wantPending: "bob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ra := newRA("acme-billing", tc.role, "", "bob", tc.minute)
			ra.UID, ra.Generation, ra.Status.Holder = uid, max(tc.generation, 1), tc.holder
			if tc.minute < 0 {
				ra.CreationTimestamp = metav1.NewTime(t0.Add(-time.Minute))
			}
			for i := range tc.transfers {
				tc.transfers[i].Spec.Role = tc.role
			}
			in := Input{Organization: newOrg("acme"), Contacts: contacts("alice", "bob", "carol"),
				Assignments: []v1alpha1.RoleAssignment{ra}, Transfers: tc.transfers}
			in.Organization.Spec.Approval.InitialRosterWindow = &metav1.Duration{Duration: 10 * time.Minute}
			for _, f := range tc.input {
				f(&in)
			}
			got := Evaluate(in).Assignments[ra.Name]
			if got.Holder != tc.wantHolder || got.Pending != tc.wantPending || got.Effective != (tc.wantHolder != "") {
				t.Fatalf("got effective=%v holder=%q pending=%q (%s), want holder=%q pending=%q",
					got.Effective, got.Holder, got.Pending, got.Message, tc.wantHolder, tc.wantPending)
			}
			if tc.wantGrant != "" && got.Grant != tc.wantGrant {
				t.Errorf("grant %q, want %q", got.Grant, tc.wantGrant)
			}
			if tc.wantReason != "" && got.Reason != tc.wantReason {
				t.Errorf("reason %q, want %q", got.Reason, tc.wantReason)
			}
		})
	}
}

func TestSecurityAHolderThatComesBackTakesNoShortcut(t *testing.T) {
	org := newOrg("acme") // every assignment of these tests is in the initial roster window
	alice := newContact("alice", "acme")
	alice.UID = "alice-1"
	ra := newRA("acme-billing", "billing", "", "alice", 0)
	ra.Generation = 1
	in := Input{Organization: org, Contacts: []v1alpha1.Contact{alice}, Assignments: []v1alpha1.RoleAssignment{ra}}
	if got := Evaluate(in).Assignments[ra.Name]; !got.Effective || got.Grant != v1alpha1.GrantInitialRoster || got.HolderUID != "alice-1" {
		t.Fatalf("first holder: got %+v, want alice by the initial roster", got)
	}

	// alice was disabled (or deleted): the holder went, the grant stays.
	lost := ra
	lost.Status.Grant = v1alpha1.GrantInitialRoster
	in.Assignments = []v1alpha1.RoleAssignment{lost}
	if got := Evaluate(in).Assignments[ra.Name]; got.Effective || got.Pending != "alice" {
		t.Errorf("back after losing the role: got %+v, want a change waiting for approval", got)
	}

	// alice's Contact was deleted and created again under the same name: a new person.
	recreated := ra
	recreated.Status.Holder, recreated.Status.HolderUID, recreated.Status.Grant = "alice", "alice-1", v1alpha1.GrantInitialRoster
	newAlice := alice
	newAlice.UID = "alice-2"
	in.Contacts, in.Assignments = []v1alpha1.Contact{newAlice}, []v1alpha1.RoleAssignment{recreated}
	if got := Evaluate(in).Assignments[ra.Name]; got.Effective || got.Pending != "alice" {
		t.Errorf("a Contact created again: got %+v, want a change waiting for approval", got)
	}
	in.Contacts = []v1alpha1.Contact{alice}
	if got := Evaluate(in).Assignments[ra.Name]; !got.Effective || got.Holder != "alice" {
		t.Errorf("the same Contact: got %+v, want alice holding", got)
	}
}

func TestDisabledHolderKeepsATwoPartyRoleUntilReassigned(t *testing.T) {
	in := Input{Organization: newOrg("acme"), Contacts: contacts("alice", "bob")}
	in.Contacts[0].Spec.Disabled = true
	in.Contacts[0].Spec.ReassignTo = &v1alpha1.LocalObjectReference{Name: "bob"}
	primary := newRA("acme-primary", "primary", "", "alice", 0)
	primary.Status.Holder = "alice"
	renewal := newRA("acme-renewal", "renewal", "", "alice", 0)
	renewal.Status.Holder = "alice"
	in.Assignments = []v1alpha1.RoleAssignment{primary, renewal}
	ev := Evaluate(in)
	if got := ev.Assignments["acme-primary"]; !got.Effective || got.Holder != "alice" || got.Successor != "bob" {
		t.Errorf("primary: got %+v, want alice holding until the reassignment to bob", got)
	}
	if got := ev.Assignments["acme-renewal"]; got.Effective || got.Reason != v1alpha1.ContactDisabledReason {
		t.Errorf("renewal (no approval): got %+v, want ContactDisabled", got)
	}
	in.Contacts[0].Spec.ReassignTo = nil
	if got := Evaluate(in).Assignments["acme-primary"]; got.Effective || got.Reason != v1alpha1.ContactDisabledReason {
		t.Errorf("disabled without a successor: got %+v, want ContactDisabled", got)
	}
}

func TestAFirstHolderWaitingForApprovalNeedsAFreePlace(t *testing.T) {
	org := newOrg("acme")
	org.Spec.Approval.InitialRosterWindow = &metav1.Duration{}
	held := newRA("acme-billing", "billing", "", "alice", 0)
	held.Status.Holder = "alice"
	second := newRA("acme-billing-2", "billing", "", "bob", 1)
	got := Evaluate(Input{Organization: org, Contacts: contacts("alice", "bob"),
		Assignments: []v1alpha1.RoleAssignment{held, second}}).Assignments["acme-billing-2"]
	if got.Effective || got.Reason != v1alpha1.ConflictReason {
		t.Fatalf("got %+v, want Conflict: billing allows one holder", got)
	}
}

// benchInput is one organization with 50 sites, 2,000 contacts and 5,000 assignments spread over the
// built-in roles, with conflicts, duplicates and invalid references mixed in.
func benchInput() Input {
	scopes := make([]string, 50)
	for i := range scopes {
		scopes[i] = fmt.Sprintf("site-%02d", i)
	}
	org := newOrg("acme", scopes...)
	cs := make([]v1alpha1.Contact, 2000)
	for i := range cs {
		cs[i] = newContact(fmt.Sprintf("contact-%04d", i), "acme")
		if i%97 == 0 {
			cs[i].Spec.Disabled = true
		}
	}
	names := BuiltInCatalogue().Names()
	ras := make([]v1alpha1.RoleAssignment, 5000)
	for i := range ras {
		role, _ := BuiltInCatalogue().Get(names[i%len(names)])
		scope := ""
		if role.Scoped {
			scope = scopes[(i/len(names))%len(scopes)]
		}
		ras[i] = newRA(fmt.Sprintf("ra-%05d", i), role.Name, scope, fmt.Sprintf("contact-%04d", (i*7)%2100), i%600)
	}
	return Input{Organization: org, Catalogue: BuiltInCatalogue(), Contacts: cs, Assignments: ras}
}

func BenchmarkEvaluate(b *testing.B) {
	in := benchInput()
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(in)
	}
}

func TestScopeNeedsAndRecommendedRoles(t *testing.T) {
	org := newOrg("acme", "paris", "lisbon", "lab")
	org.Spec.Scopes[0].RequiredRoles = []string{TechnicalSecondary} // paris needs a secondary contact
	org.Spec.Scopes[2].ExemptRoles = []string{Technical}            // the lab has no active support
	cat, errs := NewCatalogue([]v1alpha1.RoleDefinition{{Name: Renewal, Recommended: ptr(true)}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in := Input{Organization: org, Catalogue: cat, Contacts: contacts("alice", "dave"),
		Assignments: []v1alpha1.RoleAssignment{newRA("p", Primary, "", "alice", 0), newRA("tp", Technical, "paris", "dave", 0)}}
	ev := Evaluate(in)
	var vacant []string
	for _, r := range ev.Vacant() {
		vacant = append(vacant, r.Role+"/"+r.Scope)
	}
	want := []string{"technical/lisbon", "technical-secondary/paris"}
	if !slices.Equal(vacant, want) {
		t.Errorf("vacant = %v, want %v (the lab is exempt from technical)", vacant, want)
	}
	if row, _ := ev.Row(Technical, "lab"); row.Required || !row.Satisfied {
		t.Errorf("technical/lab = %+v, want not required and satisfied", row)
	}
	if got := ev.RecommendedVacant(); len(got) != 1 || got[0].Role != Renewal {
		t.Errorf("recommended vacant = %+v, want renewal", got)
	}
	in.Assignments = append(in.Assignments, newRA("r", Renewal, "", "dave", 0))
	if got := Evaluate(in).RecommendedVacant(); len(got) != 0 {
		t.Errorf("recommended vacant = %+v, want none once held", got)
	}
}
