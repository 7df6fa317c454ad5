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

package approval

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func contact(name string, mutate ...func(*v1alpha1.Contact)) v1alpha1.Contact {
	c := v1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", CreationTimestamp: metav1.NewTime(t0)},
		Spec: v1alpha1.ContactSpec{
			OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Email: name + "@acme.example",
		},
	}
	for _, m := range mutate {
		m(&c)
	}
	return c
}

func overdue(c *v1alpha1.Contact)  { c.Spec.AccountStanding = v1alpha1.AccountStandingOverdue }
func good(c *v1alpha1.Contact)     { c.Spec.AccountStanding = v1alpha1.AccountStandingGood }
func disabled(c *v1alpha1.Contact) { c.Spec.Disabled = true }
func otherOrg(c *v1alpha1.Contact) { c.Spec.OrganizationRef.Name = "globex" }

// assignment returns an assignment of acme created minute minutes after t0.
func assignment(name, role, scope, holder string, minute int) v1alpha1.RoleAssignment {
	return v1alpha1.RoleAssignment{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "ns", CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(minute) * time.Minute)),
		},
		Spec: v1alpha1.RoleAssignmentSpec{
			OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"},
			Role:            role, Scope: scope,
			ContactRef: v1alpha1.LocalObjectReference{Name: holder},
		},
	}
}

// acme is an organization with two sites:
//
//	primary: alice (bob's newer assignment is in Conflict)   administrative: carol
//	technical: dave in site-paris, erin in site-lisbon        technical-secondary site-paris: sp1..sp4 (full)
//	billing: gina                                             security-updates: frank
//	shipping: ivan, who is disabled (so shipping is vacant)   renewal: vacant
//
// henry is Overdue, judy is explicitly Good, bob has no accountStanding; olga belongs to globex.
func acme() roles.Input {
	org := &v1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "ns", CreationTimestamp: metav1.NewTime(t0)},
		Spec: v1alpha1.OrganizationSpec{
			DisplayName: "ACME Corp",
			Scopes:      []v1alpha1.Scope{{Name: "site-paris"}, {Name: "site-lisbon"}},
			// Every assignment below is part of the initial roster.
			Approval: v1alpha1.ApprovalSettings{InitialRosterWindow: &metav1.Duration{Duration: time.Hour}},
		},
	}
	return roles.Input{
		Organization: org,
		Contacts: []v1alpha1.Contact{
			contact("alice"), contact("bob"), contact("carol"), contact("dave"), contact("erin"), contact("frank"),
			contact("gina"), contact("henry", overdue), contact("ivan", disabled), contact("judy", good),
			contact("sp1"), contact("sp2"), contact("sp3"), contact("sp4"), contact("olga", otherOrg),
		},
		Assignments: []v1alpha1.RoleAssignment{
			assignment("primary-bob", roles.Primary, "", "bob", 10),
			assignment("primary", roles.Primary, "", "alice", 0),
			assignment("admin", roles.Administrative, "", "carol", 1),
			assignment("tech-paris", roles.Technical, "site-paris", "dave", 2),
			assignment("tech-lisbon", roles.Technical, "site-lisbon", "erin", 3),
			assignment("tsec-1", roles.TechnicalSecondary, "site-paris", "sp1", 4),
			assignment("tsec-2", roles.TechnicalSecondary, "site-paris", "sp2", 4),
			assignment("tsec-3", roles.TechnicalSecondary, "site-paris", "sp3", 4),
			assignment("tsec-4", roles.TechnicalSecondary, "site-paris", "sp4", 4),
			assignment("billing", roles.Billing, "", "gina", 5),
			assignment("security", roles.SecurityUpdates, "", "frank", 6),
			assignment("shipping", roles.Shipping, "", "ivan", 7),
		},
	}
}

// xfer is a transfer of acme in namespace ns; from "" omits spec.from.
func xfer(role, scope, from, to, requestedBy string) *v1alpha1.ContactTransfer {
	t := &v1alpha1.ContactTransfer{
		ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns"},
		Spec: v1alpha1.ContactTransferSpec{
			OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"},
			Role:            role, Scope: scope,
			To: v1alpha1.LocalObjectReference{Name: to},
		},
	}
	if requestedBy != "" {
		t.Spec.RequestedBy = &v1alpha1.LocalObjectReference{Name: requestedBy}
	}
	if from != "" {
		t.Spec.From = &v1alpha1.LocalObjectReference{Name: from}
	}
	return t
}

type wantErr struct {
	field  string
	typ    field.ErrorType
	detail string // the exact detail when exact, else a substring of it
	exact  bool
}

func withContact(name string, mutate func(*v1alpha1.Contact)) func(*roles.Input) {
	return func(in *roles.Input) {
		for i := range in.Contacts {
			if in.Contacts[i].Name == name {
				mutate(&in.Contacts[i])
			}
		}
	}
}

func TestValidate(t *testing.T) {
	const (
		spFrom  = "spec.from.name"
		spTo    = "spec.to.name"
		spBy    = "spec.requestedBy.name"
		spRole  = "spec.role"
		spScope = "spec.scope"
		spOrg   = "spec.organizationRef.name"
	)
	var (
		invalid   = field.ErrorTypeInvalid
		notFound  = field.ErrorTypeNotFound
		required  = field.ErrorTypeRequired
		forbidden = field.ErrorTypeForbidden
	)
	renewalByBilling := func(in *roles.Input) {
		defs := []v1alpha1.RoleDefinition{{Name: roles.Renewal, Initiators: []string{roles.Billing}}}
		in.Organization.Spec.Roles = defs
		cat, errs := roles.NewCatalogue(defs)
		if len(errs) > 0 {
			panic(errs.ToAggregate())
		}
		in.Catalogue = cat
	}

	tests := []struct {
		name     string
		transfer *v1alpha1.ContactTransfer
		input    func(*roles.Input)
		want     []wantErr
	}{
		// Allowed.
		{name: "the current holder names its successor", transfer: xfer("technical", "site-paris", "dave", "frank", "dave")},
		{name: "the current primary holder names its successor", transfer: xfer("primary", "", "alice", "bob", "alice")},
		{name: "the administrative holder may change any role: technical of another site",
			transfer: xfer("technical", "site-lisbon", "erin", "frank", "carol")},
		{name: "the administrative holder may change any role: billing", transfer: xfer("billing", "", "gina", "bob", "carol")},
		{name: "the administrative holder may change any role: primary", transfer: xfer("primary", "", "alice", "bob", "carol")},
		{name: "the administrative holder may change any role: its own", transfer: xfer("administrative", "", "carol", "bob", "carol")},
		{name: "the primary holder may change billing", transfer: xfer("billing", "", "gina", "bob", "alice")},
		{name: "a vacant role needs no from", transfer: xfer("renewal", "", "", "bob", "alice")},
		{name: "a role whose holder is disabled is vacant", transfer: xfer("shipping", "", "", "bob", "carol")},
		{name: "an unbounded role always has room", transfer: xfer("security-updates", "", "", "bob", "alice")},
		{name: "a holder of a role with several holders names its successor",
			transfer: xfer("technical-secondary", "site-paris", "sp2", "frank", "sp2")},
		{name: "a non-full role of several holders needs no from",
			transfer: xfer("technical-secondary", "site-lisbon", "", "frank", "alice")},
		{name: "explicit built-in catalogue", transfer: xfer("billing", "", "gina", "bob", "alice"),
			input: func(in *roles.Input) { in.Catalogue = roles.BuiltInCatalogue() }},
		{name: "good standing: accountStanding Good", transfer: xfer("billing", "", "gina", "judy", "carol")},
		{name: "standing does not matter for a role that does not require it",
			transfer: xfer("renewal", "", "", "henry", "alice")},
		{name: "a custom initiator role may request", transfer: xfer("renewal", "", "", "bob", "gina"), input: renewalByBilling},

		// Organization.
		{name: "organization missing", transfer: xfer("billing", "", "gina", "bob", "alice"),
			input: func(in *roles.Input) { in.Organization = nil },
			want:  []wantErr{{field: spOrg, typ: notFound, detail: `organization "acme" does not exist in namespace "ns"`}}},
		{name: "state of another organization", transfer: xfer("billing", "", "gina", "bob", "alice"),
			input: func(in *roles.Input) { in.Organization.Name = "globex" },
			want:  []wantErr{{field: spOrg, typ: invalid, detail: "checked against organization globex"}}},

		// Role and scope.
		{name: "unknown role", transfer: xfer("janitor", "", "", "bob", "alice"),
			want: []wantErr{{field: spRole, typ: notFound, detail: `role "janitor" is not in organization acme's catalogue: use one of primary, administrative`}}},
		{name: "scoped role without a scope", transfer: xfer("technical", "", "dave", "frank", "carol"),
			want: []wantErr{{field: spScope, typ: invalid, detail: "role technical is held per scope: set spec.scope to one of site-paris, site-lisbon"}}},
		{name: "scope not listed", transfer: xfer("technical", "site-berlin", "dave", "frank", "carol"),
			want: []wantErr{{field: spScope, typ: invalid, detail: `scope "site-berlin" is not in organization acme's spec.scopes`}}},
		{name: "unscoped role with a scope", transfer: xfer("billing", "site-paris", "gina", "bob", "carol"),
			want: []wantErr{{field: spScope, typ: invalid, detail: `role billing is held once for the whole organization`}}},

		// spec.from.
		{name: "from does not hold the role", transfer: xfer("billing", "", "bob", "judy", "carol"),
			want: []wantErr{{field: spFrom, typ: invalid, detail: `contact "bob" does not hold role "billing": name the current holder, or omit spec.from for a vacant role (it is held by gina now)`, exact: true}}},
		{name: "a technical holder of site-paris may not hand away site-lisbon's technical role",
			transfer: xfer("technical", "site-lisbon", "dave", "frank", "dave"),
			want:     []wantErr{{field: spFrom, typ: invalid, detail: `contact "dave" does not hold role "technical" in scope "site-lisbon": name the current holder, or omit spec.from for a vacant role (it is held by erin now)`, exact: true}}},
		{name: "from whose assignment lost the race does not hold the role", transfer: xfer("primary", "", "bob", "frank", "carol"),
			want: []wantErr{{field: spFrom, typ: invalid, detail: "(it is held by alice now)"}}},
		{name: "from naming a vacant role", transfer: xfer("renewal", "", "bob", "judy", "carol"),
			want: []wantErr{{field: spFrom, typ: invalid, detail: `contact "bob" does not hold role "renewal": name the current holder, or omit spec.from for a vacant role (it is vacant now)`, exact: true}}},
		{name: "from that is disabled holds nothing", transfer: xfer("shipping", "", "ivan", "bob", "carol"),
			want: []wantErr{{field: spFrom, typ: invalid, detail: `contact "ivan" does not hold role "shipping"`}}},
		{name: "from that does not exist", transfer: xfer("billing", "", "zoe", "bob", "carol"),
			want: []wantErr{{field: spFrom, typ: notFound, detail: `contact "zoe" does not exist in namespace "ns", so it does not hold role "billing"`}}},
		{name: "from omitted for a held role", transfer: xfer("primary", "", "", "bob", "carol"),
			want: []wantErr{{field: spFrom, typ: required, detail: `role "primary" is held by alice: name the current holder in spec.from`, exact: true}}},
		{name: "from omitted for a held scoped role", transfer: xfer("technical", "site-paris", "", "frank", "carol"),
			want: []wantErr{{field: spFrom, typ: required, detail: `role "technical" in scope "site-paris" is held by dave: name the current holder in spec.from`, exact: true}}},
		{name: "from omitted for a full role of several holders", transfer: xfer("technical-secondary", "site-paris", "", "frank", "carol"),
			want: []wantErr{{field: spFrom, typ: required, detail: `role "technical-secondary" in scope "site-paris" is held by sp1, sp2, sp3, sp4, the most it allows (4): name the holder to replace in spec.from`, exact: true}}},

		// spec.to.
		{name: "to does not exist", transfer: xfer("billing", "", "gina", "zoe", "carol"),
			want: []wantErr{{field: spTo, typ: notFound, detail: `contact "zoe" does not exist in namespace "ns": create it, or name an existing contact of organization acme`, exact: true}}},
		{name: "to belongs to another organization", transfer: xfer("billing", "", "gina", "olga", "carol"),
			want: []wantErr{{field: spTo, typ: invalid, detail: `contact "olga" belongs to organization globex, not acme: name a contact of acme`, exact: true}}},
		{name: "to is disabled", transfer: xfer("renewal", "", "", "ivan", "carol"),
			want: []wantErr{{field: spTo, typ: invalid, detail: `contact "ivan" is disabled: name an enabled contact, or enable ivan (spec.disabled: false)`, exact: true}}},
		{name: "to in another namespace does not exist", transfer: xfer("renewal", "", "", "bob", "carol"),
			input: withContact("bob", func(c *v1alpha1.Contact) { c.Namespace = "elsewhere" }),
			want:  []wantErr{{field: spTo, typ: notFound, detail: `contact "bob" does not exist`}}},
		{name: "to already holds the role", transfer: xfer("security-updates", "", "", "frank", "alice"),
			want: []wantErr{{field: spTo, typ: invalid, detail: `contact "frank" already holds role "security-updates": name a contact that does not hold it yet`, exact: true}}},
		{name: "to already holds the role in that scope", transfer: xfer("technical-secondary", "site-paris", "sp1", "sp2", "carol"),
			want: []wantErr{{field: spTo, typ: invalid, detail: `contact "sp2" already holds role "technical-secondary" in scope "site-paris"`}}},
		{name: "to holding the role in another scope is fine", transfer: xfer("technical", "site-lisbon", "erin", "dave", "carol")},
		{name: "to equals from", transfer: xfer("billing", "", "gina", "gina", "carol"),
			want: []wantErr{{field: spTo, typ: invalid, detail: "spec.to must differ from spec.from"}}},
		{name: "to empty", transfer: xfer("renewal", "", "", "", "carol"),
			want: []wantErr{{field: spTo, typ: required, detail: "name the contact who takes the role over"}}},

		// spec.requestedBy.
		{name: "requester without an initiator role", transfer: xfer("technical", "site-lisbon", "erin", "frank", "dave"),
			want: []wantErr{{field: spBy, typ: forbidden, detail: `contact "dave" may not request a change of role "technical": only holders of primary, administrative or the current holder may (or omit spec.requestedBy to let any of them approve)`, exact: true}}},
		{name: "the incoming contact may not nominate itself", transfer: xfer("billing", "", "gina", "bob", "bob"),
			want: []wantErr{{field: spBy, typ: forbidden, detail: `contact "bob" may not request a change of role "billing"`}}},
		{name: "a holder of an initiator role that lost the race may not request", transfer: xfer("billing", "", "gina", "judy", "bob"),
			want: []wantErr{{field: spBy, typ: forbidden, detail: `contact "bob" may not request`}}},
		{name: "a primary holder is no initiator of a role whose initiators are billing", transfer: xfer("renewal", "", "", "bob", "alice"),
			input: renewalByBilling,
			want:  []wantErr{{field: spBy, typ: forbidden, detail: `contact "alice" may not request a change of role "renewal": only holders of billing or the current holder may (or omit spec.requestedBy to let any of them approve)`, exact: true}}},
		{name: "requester does not exist", transfer: xfer("billing", "", "gina", "bob", "zoe"),
			want: []wantErr{{field: spBy, typ: notFound, detail: `contact "zoe" does not exist in namespace "ns"`}}},
		{name: "requester belongs to another organization", transfer: xfer("billing", "", "gina", "bob", "olga"),
			want: []wantErr{{field: spBy, typ: invalid, detail: `contact "olga" belongs to organization globex, not acme`}}},
		{name: "requester is disabled, even when it was the holder", transfer: xfer("administrative", "", "carol", "bob", "carol"),
			input: withContact("carol", disabled),
			want: []wantErr{
				{field: spFrom, typ: invalid, detail: `contact "carol" does not hold role "administrative"`},
				{field: spBy, typ: invalid, detail: `contact "carol" is disabled`},
			}},
		{name: "no requester: any initiator holder approves", transfer: xfer("billing", "", "gina", "bob", "")},

		// Good standing.
		{name: "billing to an Overdue contact", transfer: xfer("billing", "", "gina", "henry", "carol"),
			want: []wantErr{{field: spTo, typ: forbidden, detail: `contact "henry" has unpaid invoices (accountStanding Overdue): settle them before billing moves`, exact: true}}},
		{name: "billing from an Overdue contact", transfer: xfer("billing", "", "gina", "bob", "gina"),
			input: withContact("gina", overdue),
			want:  []wantErr{{field: spFrom, typ: forbidden, detail: `contact "gina" has unpaid invoices (accountStanding Overdue): settle them before billing moves`, exact: true}}},
		{name: "billing between two Overdue contacts", transfer: xfer("billing", "", "gina", "henry", "alice"),
			input: withContact("gina", overdue),
			want: []wantErr{
				{field: spFrom, typ: forbidden, detail: `contact "gina" has unpaid invoices`},
				{field: spTo, typ: forbidden, detail: `contact "henry" has unpaid invoices`},
			}},
		{name: "a custom role requiring good standing", transfer: xfer("renewal", "", "", "henry", "alice"),
			input: func(in *roles.Input) {
				yes := true
				cat, _ := roles.NewCatalogue([]v1alpha1.RoleDefinition{{Name: roles.Renewal, RequiresGoodStanding: &yes}})
				in.Catalogue = cat
			},
			want: []wantErr{{field: spTo, typ: forbidden, detail: "settle them before renewal moves"}}},

		// Several rules at once.
		{name: "every error is reported", transfer: xfer("janitor", "", "", "zoe", "ivan"),
			want: []wantErr{
				{field: spRole, typ: notFound, detail: `role "janitor"`},
				{field: spTo, typ: notFound, detail: `contact "zoe"`},
				{field: spBy, typ: invalid, detail: `contact "ivan" is disabled`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			in := acme()
			if tt.input != nil {
				tt.input(&in)
			}
			errs := Validate(tt.transfer, in)
			g.Expect(errs).To(HaveLen(len(tt.want)), "errors: %v", errs)
			for i, w := range tt.want {
				e := errs[i]
				g.Expect(e.Field).To(Equal(w.field), "error %d: %v", i, e)
				g.Expect(e.Type).To(Equal(w.typ), "error %d: %v", i, e)
				if w.exact {
					g.Expect(e.Detail).To(Equal(w.detail), "error %d", i)
				} else {
					g.Expect(e.Detail).To(ContainSubstring(w.detail), "error %d", i)
				}
			}
		})
	}
}

// TestValidateDoesNotModifyInput guards the admission webhook and the controller, which share the input.
func TestValidateDoesNotModifyInput(t *testing.T) {
	g := NewWithT(t)
	in := acme()
	before := fmt.Sprintf("%#v", in)
	Validate(xfer("billing", "", "gina", "henry", "bob"), in)
	g.Expect(fmt.Sprintf("%#v", in)).To(Equal(before))
	g.Expect(in.Catalogue).To(BeNil())
}

func TestCheckStanding(t *testing.T) {
	billing, _ := roles.BuiltInCatalogue().Get(roles.Billing)
	renewal, _ := roles.BuiltInCatalogue().Get(roles.Renewal)
	people := map[string]*v1alpha1.Contact{}
	for _, c := range []v1alpha1.Contact{contact("alice", good), contact("bob"), contact("henry", overdue), contact("olive", overdue)} {
		people[c.Name] = &c
	}
	tests := []struct {
		name     string
		role     roles.Role
		transfer *v1alpha1.ContactTransfer
		want     []string // fields with errors
	}{
		{name: "Good to empty (counts as Good)", role: billing, transfer: xfer("billing", "", "alice", "bob", "alice")},
		{name: "vacant role to a Good contact", role: billing, transfer: xfer("billing", "", "", "alice", "alice")},
		{name: "to Overdue", role: billing, transfer: xfer("billing", "", "alice", "henry", "alice"), want: []string{"spec.to.name"}},
		{name: "from Overdue", role: billing, transfer: xfer("billing", "", "henry", "bob", "alice"), want: []string{"spec.from.name"}},
		{name: "both Overdue", role: billing, transfer: xfer("billing", "", "olive", "henry", "alice"), want: []string{"spec.from.name", "spec.to.name"}},
		{name: "vacant role to an Overdue contact", role: billing, transfer: xfer("billing", "", "", "henry", "alice"), want: []string{"spec.to.name"}},
		{name: "unknown contacts are not judged here", role: billing, transfer: xfer("billing", "", "zoe", "yann", "alice")},
		{name: "a role that does not require good standing", role: renewal, transfer: xfer("renewal", "", "olive", "henry", "alice")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			errs := CheckStanding(tt.transfer, tt.role, people)
			fields := make([]string, 0, len(errs))
			for _, e := range errs {
				g.Expect(e.Type).To(Equal(field.ErrorTypeForbidden))
				g.Expect(e.Detail).To(ContainSubstring("has unpaid invoices (accountStanding Overdue): settle them before billing moves"))
				fields = append(fields, e.Field)
			}
			if tt.want == nil {
				g.Expect(errs).To(BeEmpty())
			} else {
				g.Expect(fields).To(Equal(tt.want))
			}
		})
	}
}

func TestValidateWithoutRequester(t *testing.T) {
	g := NewWithT(t)
	in := acme()
	// The transfers the operator opens for a Git edit or a reassignment name no requester: any initiator
	// holder approves.
	g.Expect(Validate(xfer(roles.Billing, "", "gina", "judy", ""), in)).To(BeEmpty())
	// A successor named by a disabled contact has no right of its own to ask.
	withContact("ivan", func(c *v1alpha1.Contact) { c.Spec.ReassignTo = &v1alpha1.LocalObjectReference{Name: "judy"} })(&in)
	g.Expect(Validate(xfer(roles.Billing, "", "", "judy", "judy"), in)).To(ContainElement(HaveField("Field", "spec.requestedBy.name")))
}

func TestSelfNomination(t *testing.T) {
	g := NewWithT(t)
	in := acme()
	cat, errs := roles.NewCatalogue([]v1alpha1.RoleDefinition{{Name: "site-user", SelfNomination: ptrTo(true)}})
	g.Expect(errs).To(BeEmpty())
	in.Catalogue = cat
	nomination := xfer("site-user", "site-paris", "", "judy", "judy")
	g.Expect(IsSelfNomination(nomination, mustRole(g, cat, "site-user"))).To(BeTrue())
	g.Expect(Validate(nomination, in)).To(BeEmpty())
	g.Expect(Validate(xfer(roles.Billing, "", "", "judy", "judy"), in)).To(ContainElement(HaveField("Field", "spec.requestedBy.name")),
		"asking for a role that is not self-nominated")
}

func mustRole(g Gomega, cat *roles.Catalogue, name string) roles.Role {
	r, ok := cat.Get(name)
	g.Expect(ok).To(BeTrue())
	return r
}
