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

package rosterctl

import (
	"bytes"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

var (
	now     = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	created = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
)

func at(day, hour int) metav1.Time {
	return metav1.NewTime(time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC))
}

func atp(day, hour int) *metav1.Time {
	t := at(day, hour)
	return &t
}

// render prints t in format f.
func render(t *testing.T, table Table, f string, o PrintOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := Print(&b, f, table, o); err != nil {
		t.Fatalf("Print(%s): %v", f, err)
	}
	return b.String()
}

func golden(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func org(ns, name string, roles []v1alpha1.RoleHolders, history []v1alpha1.HolderChange, conds ...metav1.Condition) v1alpha1.Organization {
	return v1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: created},
		Status:     v1alpha1.OrganizationStatus{Roles: roles, History: history, Conditions: conds},
	}
}

func TestVacant(t *testing.T) {
	vacantPrimary := []v1alpha1.RoleHolders{
		{Role: "primary", Holders: nil, Required: true, Satisfied: false},
		{Role: "billing", Holders: []string{"bob"}, Required: false, Satisfied: true},
		{Role: "renewal", Required: false, Satisfied: true},
	}
	unsatisfied := metav1.Condition{Type: v1alpha1.RolesSatisfiedCondition, Status: metav1.ConditionFalse, LastTransitionTime: at(5, 0)}
	satisfied := metav1.Condition{Type: v1alpha1.RolesSatisfiedCondition, Status: metav1.ConditionTrue, LastTransitionTime: at(6, 0)}
	tests := []struct {
		name string
		orgs []v1alpha1.Organization
		want string
	}{{
		name: "the newest history entry that left the role without a holder",
		orgs: []v1alpha1.Organization{org("ns", "acme", vacantPrimary, []v1alpha1.HolderChange{
			{Role: "primary", Holder: "alice", Since: at(1, 0), How: v1alpha1.HolderChangeInitialRoster},
			{Role: "primary", Previous: "alice", Since: at(8, 12), How: v1alpha1.HolderChangeDeletion},
			{Role: "billing", Previous: "carol", Since: at(9, 0), How: v1alpha1.HolderChangeDeletion},
		}, unsatisfied)},
		want: golden(
			"ORGANIZATION   ROLE      SCOPE    HOLDERS   VACANT SINCE           FOR",
			"acme           primary   <none>   0         2026-03-08T12:00:00Z   2d",
		),
	}, {
		name: "a newest entry that gave a holder does not explain the vacancy: RolesSatisfied does",
		orgs: []v1alpha1.Organization{org("ns", "acme", vacantPrimary, []v1alpha1.HolderChange{
			{Role: "primary", Previous: "alice", Since: at(2, 0), How: v1alpha1.HolderChangeDeletion},
			{Role: "primary", Holder: "dave", Since: at(3, 0), How: v1alpha1.HolderChangeAssignment},
		}, unsatisfied)},
		want: golden(
			"ORGANIZATION   ROLE      SCOPE    HOLDERS   VACANT SINCE           FOR",
			"acme           primary   <none>   0         2026-03-05T00:00:00Z   5d12h",
		),
	}, {
		name: "without history nor RolesSatisfied False: the organization's creation",
		orgs: []v1alpha1.Organization{org("ns", "acme", vacantPrimary, nil, satisfied)},
		want: golden(
			"ORGANIZATION   ROLE      SCOPE    HOLDERS   VACANT SINCE           FOR",
			"acme           primary   <none>   0         2026-01-01T00:00:00Z   68d",
		),
	}, {
		name: "scoped rows are told apart; short of holders counts; organizations sorted",
		orgs: []v1alpha1.Organization{
			org("ns", "zeta", []v1alpha1.RoleHolders{
				{Role: "technical", Scope: "paris", Holders: []string{"erin"}, Required: true, Satisfied: true},
				{Role: "technical", Scope: "lisbon", Holders: []string{"frank"}, Required: true, Satisfied: false},
			}, []v1alpha1.HolderChange{
				{Role: "technical", Scope: "paris", Previous: "erin", Since: at(9, 0), How: v1alpha1.HolderChangeDeletion},
			}),
			org("ns", "acme", []v1alpha1.RoleHolders{{Role: "technical", Scope: "paris", Required: true}}, []v1alpha1.HolderChange{
				{Role: "technical", Scope: "lisbon", Previous: "erin", Since: at(9, 0), How: v1alpha1.HolderChangeDeletion},
				{Role: "technical", Scope: "paris", Previous: "heidi", Since: at(10, 11), How: v1alpha1.HolderChangeExpiry},
			}),
		},
		want: golden(
			"ORGANIZATION   ROLE        SCOPE    HOLDERS   VACANT SINCE           FOR",
			"acme           technical   paris    0         2026-03-10T11:00:00Z   60m",
			"zeta           technical   lisbon   1         2026-01-01T00:00:00Z   68d",
		),
	}, {
		name: "nothing vacant",
		orgs: []v1alpha1.Organization{org("ns", "acme", []v1alpha1.RoleHolders{{Role: "primary", Holders: []string{"a"}, Required: true, Satisfied: true}}, nil)},
		want: "No resources found.\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(t, Vacant(tt.orgs, now), FormatTable, PrintOptions{}); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func transfer(ns, name string, expires *metav1.Time, approvals []v1alpha1.PartyApproval, conds ...metav1.Condition) v1alpha1.ContactTransfer {
	return v1alpha1.ContactTransfer{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.ContactTransferSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Role: "billing",
			From: &v1alpha1.LocalObjectReference{Name: "bob"}, To: v1alpha1.LocalObjectReference{Name: "carol"}},
		Status: v1alpha1.ContactTransferStatus{ExpiresAt: expires, Approvals: approvals, Conditions: conds},
	}
}

func cond(typ, reason string, s metav1.ConditionStatus) metav1.Condition {
	return metav1.Condition{Type: typ, Status: s, Reason: reason}
}

func TestPending(t *testing.T) {
	awaitingBoth := []v1alpha1.PartyApproval{
		{Contact: "carol", As: v1alpha1.PartyIncoming, Decision: v1alpha1.DecisionPending},
		{Contact: "alice", As: v1alpha1.PartyInitiator, Decision: v1alpha1.DecisionPending},
		{Contact: "bob", As: v1alpha1.PartyInitiator, Decision: v1alpha1.DecisionPending},
	}
	initiatorDone := []v1alpha1.PartyApproval{
		{Contact: "carol", As: v1alpha1.PartyIncoming, Decision: v1alpha1.DecisionPending},
		{Contact: "alice", As: v1alpha1.PartyInitiator, Decision: v1alpha1.DecisionApproved},
		{Contact: "bob", As: v1alpha1.PartyInitiator, Decision: v1alpha1.DecisionPending},
	}
	waiting := cond("Ready", v1alpha1.AwaitingApprovalReason, metav1.ConditionFalse)
	// status.awaiting, the operator's summary, wins over the rows when set.
	later := transfer("b", "later", atp(17, 12), awaitingBoth, waiting)
	later.Status.Awaiting = "status says carol, bob"
	transfers := []v1alpha1.ContactTransfer{
		later,
		transfer("a", "sooner", atp(10, 18), initiatorDone, waiting),
		transfer("a", "overdue", atp(10, 11), awaitingBoth, waiting),
		transfer("a", "completed", atp(11, 0), nil, cond(v1alpha1.CompletedCondition, v1alpha1.CompletedReason, metav1.ConditionTrue)),
		transfer("a", "refused", atp(11, 0), nil, cond(v1alpha1.RefusedCondition, v1alpha1.LockedReason, metav1.ConditionTrue)),
		transfer("a", "expired", atp(11, 0), nil, cond(v1alpha1.ExpiredCondition, v1alpha1.ExpiredReason, metav1.ConditionTrue)),
		transfer("a", "new", nil, nil),
	}
	cancelled := transfer("a", "cancelled", atp(11, 0), awaitingBoth, waiting)
	cancelled.DeletionTimestamp = atp(10, 0)
	transfers = append(transfers, cancelled)
	tests := []struct {
		format string
		o      PrintOptions
		want   string
	}{{
		format: FormatTable, o: PrintOptions{AllNamespaces: true},
		want: golden(
			"NAMESPACE   NAME      ORGANIZATION   ROLE      SCOPE    FROM   TO      AWAITING                   STATUS             EXPIRES                EXPIRES IN",
			"a           overdue   acme           billing   <none>   bob    carol   carol, one of alice, bob   AwaitingApproval   2026-03-10T11:00:00Z   expired",
			"a           sooner    acme           billing   <none>   bob    carol   carol                      AwaitingApproval   2026-03-10T18:00:00Z   6h",
			"b           later     acme           billing   <none>   bob    carol   status says carol, bob     AwaitingApproval   2026-03-17T12:00:00Z   7d",
			"a           new       acme           billing   <none>   bob    carol   <none>                     <none>             <none>                 <none>",
		),
	}, {
		format: FormatCSV,
		want: golden(
			"namespace,name,organization,role,scope,from,to,awaiting,status,expiresAt,expiresIn",
			`a,overdue,acme,billing,,bob,carol,"carol, one of alice, bob",AwaitingApproval,2026-03-10T11:00:00Z,expired`,
			"a,sooner,acme,billing,,bob,carol,carol,AwaitingApproval,2026-03-10T18:00:00Z,6h",
			`b,later,acme,billing,,bob,carol,"status says carol, bob",AwaitingApproval,2026-03-17T12:00:00Z,7d`,
			"a,new,acme,billing,,bob,carol,,,,",
		),
	}}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if got := render(t, Pending(transfers, now), tt.format, tt.o); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	o := org("ns", "acme", nil, []v1alpha1.HolderChange{
		{Role: "billing", Holder: "bob", Since: at(1, 0), How: v1alpha1.HolderChangeInitialRoster, Assignment: "acme-billing", User: "admin"},
		{Role: "billing", Holder: "carol", Previous: "bob", Since: at(3, 9), How: v1alpha1.HolderChangeTransfer, Assignment: "acme-billing",
			Transfer: "billing-to-carol", RequestedBy: "alice", User: "alice@corp", Approvals: []v1alpha1.HistoryApproval{
				{Contact: "carol", Via: v1alpha1.DecisionViaLink, DecidedAt: atp(2, 10)},
				{Contact: "alice", Via: v1alpha1.DecisionViaOverride, User: "root", DecidedAt: atp(3, 9)},
			}},
		{Role: "primary", Holder: "alice", Since: at(1, 0), How: v1alpha1.HolderChangeInitialRoster, Assignment: "acme-primary"},
		{Role: "billing", Previous: "carol", Since: at(9, 0), How: v1alpha1.HolderChangeDeletion, Assignment: "acme-billing", User: "=cmd"},
	})
	tests := []struct {
		name   string
		filter HistoryFilter
		format string
		want   string
	}{{
		name: "everything, oldest first", format: FormatTable,
		want: golden(
			"SINCE                  ROLE      SCOPE    HOLDER   PREVIOUS   HOW             APPROVALS                                                                                    REQUESTED BY   USER         TRANSFER           ASSIGNMENT",
			"2026-03-01T00:00:00Z   billing   <none>   bob      <none>     InitialRoster   <none>                                                                                       <none>         admin        <none>             acme-billing",
			"2026-03-01T00:00:00Z   primary   <none>   alice    <none>     InitialRoster   <none>                                                                                       <none>         <none>       <none>             acme-primary",
			"2026-03-03T09:00:00Z   billing   <none>   carol    bob        Transfer        carol via Link at 2026-03-02T10:00:00Z; alice via Override by root at 2026-03-03T09:00:00Z   alice          alice@corp   billing-to-carol   acme-billing",
			"2026-03-09T00:00:00Z   billing   <none>   <none>   carol      Deletion        <none>                                                                                       <none>         =cmd         <none>             acme-billing",
		),
	}, {
		name: "a role since a date, as csv (a user that looks like a formula is defused)", format: FormatCSV,
		filter: HistoryFilter{Role: "billing", Since: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		want: golden(
			"since,role,scope,holder,previous,how,approvals,requestedBy,user,transfer,assignment",
			"2026-03-03T09:00:00Z,billing,,carol,bob,Transfer,carol via Link at 2026-03-02T10:00:00Z; alice via Override by root at 2026-03-03T09:00:00Z,alice,alice@corp,billing-to-carol,acme-billing",
			"2026-03-09T00:00:00Z,billing,,,carol,Deletion,,,'=cmd,,acme-billing",
		),
	}, {
		name: "json keeps the approvals structured", format: FormatJSON,
		filter: HistoryFilter{Role: "billing", Since: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)},
		want: `{
    "items": [
        {
            "role": "billing",
            "holder": "carol",
            "previous": "bob",
            "since": "2026-03-03T09:00:00Z",
            "how": "Transfer",
            "assignment": "acme-billing",
            "transfer": "billing-to-carol",
            "requestedBy": "alice",
            "user": "alice@corp",
            "approvals": [
                {
                    "contact": "carol",
                    "decidedAt": "2026-03-02T10:00:00Z",
                    "via": "Link"
                },
                {
                    "contact": "alice",
                    "decidedAt": "2026-03-03T09:00:00Z",
                    "via": "Override",
                    "user": "root"
                }
            ]
        },
        {
            "role": "billing",
            "previous": "carol",
            "since": "2026-03-09T00:00:00Z",
            "how": "Deletion",
            "assignment": "acme-billing",
            "user": "=cmd"
        }
    ]
}
`,
	}, {
		name: "nothing selected prints an empty list", format: FormatYAML, filter: HistoryFilter{Role: "shipping"},
		want: "items: []\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(t, History(&o, tt.filter), tt.format, PrintOptions{}); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "2026-03-02", want: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{in: "2026-03-02T10:30:00Z", want: time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)},
		{in: "2026-03-02T10:30:00+02:00", want: time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)},
		{in: "03/02/2026", wantErr: true},
		{in: "yesterday", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSince(tt.in)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func contact(ns, name, email string, roles []v1alpha1.HeldRole, mutate ...func(*v1alpha1.Contact)) v1alpha1.Contact {
	c := v1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Email: email, DisplayName: strings.ToUpper(name[:1]) + name[1:]},
		Status:     v1alpha1.ContactStatus{Roles: roles, NormalizedEmail: NormalizeEmail(email)},
	}
	for _, m := range mutate {
		m(&c)
	}
	return c
}

func TestWhois(t *testing.T) {
	contacts := []v1alpha1.Contact{
		contact("zeta", "alice", "Alice@ACME.example", []v1alpha1.HeldRole{{Role: "technical", Scope: "paris"}, {Role: "primary"}}),
		contact("acme", "alice", "alice@acme.example", nil),
	}
	want := golden(
		"NAMESPACE   ORGANIZATION   CONTACT   EMAIL                ROLE        SCOPE",
		"acme        acme           alice     alice@acme.example   <none>      <none>",
		"zeta        acme           alice     Alice@ACME.example   primary     <none>",
		"zeta        acme           alice     Alice@ACME.example   technical   paris",
	)
	if got := render(t, Whois(contacts), FormatTable, PrintOptions{AllNamespaces: true}); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := NormalizeEmail("  Alice@ACME.Example "); got != "alice@acme.example" {
		t.Errorf("NormalizeEmail = %q", got)
	}
}

func TestReport(t *testing.T) {
	verified := func(c *v1alpha1.Contact) {
		c.Status.VerifiedEmail = "bob@acme.example"
		c.Status.ReconfirmedAt = atp(4, 8)
		c.Status.Conditions = []metav1.Condition{
			{Type: v1alpha1.EmailVerifiedCondition, Status: metav1.ConditionTrue, Reason: v1alpha1.EmailVerifiedReason, LastTransitionTime: at(2, 7)},
			{Type: v1alpha1.ReconfirmedCondition, Status: metav1.ConditionTrue, Reason: v1alpha1.ReconfirmedReason, LastTransitionTime: at(4, 8)},
		}
	}
	lapsed := func(c *v1alpha1.Contact) {
		c.Status.Conditions = []metav1.Condition{
			{Type: v1alpha1.EmailVerifiedCondition, Status: metav1.ConditionFalse, Reason: v1alpha1.EmailDeclaredReason, LastTransitionTime: at(1, 0)},
			{Type: v1alpha1.ReconfirmedCondition, Status: metav1.ConditionFalse, Reason: v1alpha1.ReconfirmationLapsedReason, LastTransitionTime: at(9, 0)},
		}
	}
	orgs := []v1alpha1.Organization{
		org("acme", "acme", []v1alpha1.RoleHolders{
			{Role: "primary", Holders: []string{"alice"}, Required: true, Satisfied: true},
			{Role: "billing", Holders: []string{"bob"}, Satisfied: true},
			{Role: "technical", Scope: "paris", Holders: []string{"bob", "ghost"}, Required: true, Satisfied: true},
			{Role: "renewal", Satisfied: true},
		}, nil),
	}
	contacts := []v1alpha1.Contact{
		contact("acme", "alice", "alice@acme.example", nil, lapsed),
		contact("acme", "bob", "Bob@new.example", nil, verified),
		contact("other", "ghost", "ghost@other.example", nil),
	}
	tests := []struct {
		format string
		want   string
	}{{
		format: FormatCSV,
		want: golden(
			"namespace,organization,role,scope,contact,displayName,email,verified,reconfirmed,reconfirmation",
			"acme,acme,primary,,alice,Alice,alice@acme.example,,,ReconfirmationLapsed",
			"acme,acme,billing,,bob,Bob,bob@acme.example,2026-03-02T07:00:00Z,2026-03-04T08:00:00Z,Reconfirmed",
			"acme,acme,technical,paris,bob,Bob,bob@acme.example,2026-03-02T07:00:00Z,2026-03-04T08:00:00Z,Reconfirmed",
			"acme,acme,technical,paris,ghost,,,,,",
		),
	}, {
		format: FormatMarkdown,
		want: golden(
			"| ORGANIZATION | ROLE | SCOPE | CONTACT | DISPLAY NAME | EMAIL | VERIFIED | RECONFIRMED | RECONFIRMATION |",
			"| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
			"| acme | primary |  | alice | Alice | alice@acme.example |  |  | ReconfirmationLapsed |",
			"| acme | billing |  | bob | Bob | bob@acme.example | 2026-03-02T07:00:00Z | 2026-03-04T08:00:00Z | Reconfirmed |",
			"| acme | technical | paris | bob | Bob | bob@acme.example | 2026-03-02T07:00:00Z | 2026-03-04T08:00:00Z | Reconfirmed |",
			"| acme | technical | paris | ghost |  |  |  |  |  |",
		),
	}, {
		format: FormatYAML,
		want: `items:
- contact: alice
  displayName: Alice
  email: alice@acme.example
  namespace: acme
  organization: acme
  reconfirmation: ReconfirmationLapsed
  reconfirmed: null
  role: primary
  scope: ""
  verified: null
- contact: bob
  displayName: Bob
  email: bob@acme.example
  namespace: acme
  organization: acme
  reconfirmation: Reconfirmed
  reconfirmed: "2026-03-04T08:00:00Z"
  role: billing
  scope: ""
  verified: "2026-03-02T07:00:00Z"
- contact: bob
  displayName: Bob
  email: bob@acme.example
  namespace: acme
  organization: acme
  reconfirmation: Reconfirmed
  reconfirmed: "2026-03-04T08:00:00Z"
  role: technical
  scope: paris
  verified: "2026-03-02T07:00:00Z"
- contact: ghost
  displayName: ""
  email: ""
  namespace: acme
  organization: acme
  reconfirmation: ""
  reconfirmed: null
  role: technical
  scope: paris
  verified: null
`,
	}}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if got := render(t, Report(orgs, contacts), tt.format, PrintOptions{}); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
