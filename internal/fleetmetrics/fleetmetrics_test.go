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
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/fleetmetrics"
	"roster.dev/roster/internal/index"
)

var now = time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)

func cond(typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason}
}

func holder(name string, conds ...metav1.Condition) v1alpha1.Contact {
	c := v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Name: name}}
	c.Status.Roles = []v1alpha1.HeldRole{{Role: "primary"}}
	c.Status.Conditions = conds
	return c
}

func pendingTransfer(expiresIn time.Duration, settled ...string) v1alpha1.ContactTransfer {
	t := v1alpha1.ContactTransfer{}
	at := metav1.NewTime(now.Add(expiresIn))
	t.Status.ExpiresAt = &at
	for _, typ := range settled {
		t.Status.Conditions = append(t.Status.Conditions, cond(typ, metav1.ConditionTrue, typ))
	}
	return t
}

func failing(channel string, attempts int32, state v1alpha1.DeliveryState) []v1alpha1.Delivery {
	return []v1alpha1.Delivery{{ID: channel, Channel: channel, State: state, Attempts: attempts}}
}

func TestCompute(t *testing.T) {
	verified := cond(v1alpha1.EmailVerifiedCondition, metav1.ConditionTrue, v1alpha1.EmailVerifiedReason)
	declared := cond(v1alpha1.EmailVerifiedCondition, metav1.ConditionFalse, v1alpha1.EmailDeclaredReason)
	lapsed := cond(v1alpha1.ReconfirmedCondition, metav1.ConditionFalse, v1alpha1.ReconfirmationLapsedReason)
	awaiting := cond(v1alpha1.ReconfirmedCondition, metav1.ConditionUnknown, v1alpha1.AwaitingReconfirmationReason)
	notHolder := holder("nobody", declared, lapsed)
	notHolder.Status.Roles = nil
	withOutbox := holder("webhooked", verified)
	withOutbox.Status.Outbox = failing("webhook/audit", 3, v1alpha1.DeliveryPending)

	for _, tt := range []struct {
		name        string
		rows        []v1alpha1.RoleHolders
		contacts    []v1alpha1.Contact
		transfers   []v1alpha1.ContactTransfer
		assignments []v1alpha1.RoleAssignment
		orgOutbox   []v1alpha1.Delivery
		want        fleetmetrics.Gauges
	}{
		{name: "nothing", want: fleetmetrics.Gauges{Failing: map[string]int{}}},
		{name: "a required row without holders is vacant; satisfied and optional rows are not",
			rows: []v1alpha1.RoleHolders{
				{Role: "primary", Required: true},
				{Role: "technical", Scope: "eu", Required: true},
				{Role: "technical", Scope: "us", Required: true, Satisfied: true, Holders: []string{"a"}},
				{Role: "billing", Required: false, Satisfied: true},
			},
			want: fleetmetrics.Gauges{Vacant: 2, Failing: map[string]int{}}},
		{name: "a required row over its maximum is not vacant",
			rows: []v1alpha1.RoleHolders{{Role: "primary", Required: true, Holders: []string{"a", "b"}}},
			want: fleetmetrics.Gauges{Failing: map[string]int{}}},
		{name: "pending transfers, the ones expiring within 24 hours, settled ones not counted",
			transfers: []v1alpha1.ContactTransfer{
				pendingTransfer(2 * time.Hour), pendingTransfer(24 * time.Hour), pendingTransfer(-time.Minute),
				pendingTransfer(25 * time.Hour), {},
				pendingTransfer(time.Hour, v1alpha1.CompletedCondition), pendingTransfer(time.Hour, v1alpha1.RefusedCondition),
				pendingTransfer(time.Hour, v1alpha1.ExpiredCondition), pendingTransfer(time.Hour, v1alpha1.StalledCondition),
			},
			want: fleetmetrics.Gauges{Pending: 5, ExpiringSoon: 3, Failing: map[string]int{}}},
		{name: "holders: unverified unless EmailVerified is True, unconfirmed when lapsed; non-holders not counted",
			contacts: []v1alpha1.Contact{holder("a", verified), holder("b", declared), holder("c"), holder("d", verified, lapsed),
				holder("e", declared, awaiting), notHolder},
			want: fleetmetrics.Gauges{Unverified: 3, Unconfirmed: 1, Failing: map[string]int{}}},
		{name: "failing deliveries of every kind of object, by channel kind",
			orgOutbox: append(failing("email", 3, v1alpha1.DeliveryPending), failing("webhook/x", 2, v1alpha1.DeliveryPending)...),
			contacts:  []v1alpha1.Contact{withOutbox},
			transfers: []v1alpha1.ContactTransfer{{Status: v1alpha1.ContactTransferStatus{Outbox: failing("email", 5, v1alpha1.DeliveryPending)}}},
			assignments: []v1alpha1.RoleAssignment{{Status: v1alpha1.RoleAssignmentStatus{
				Outbox: failing("email", 4, v1alpha1.DeliverySent)}}},
			want: fleetmetrics.Gauges{Pending: 1, Failing: map[string]int{"email": 2, "webhook": 1}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			org := &v1alpha1.Organization{}
			org.Spec.Roles = []v1alpha1.RoleDefinition{{Name: "primary"}}
			org.Status.Roles = tt.rows
			org.Status.Outbox = tt.orgOutbox
			got := fleetmetrics.Compute(org, tt.contacts, tt.assignments, tt.transfers, now)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Compute() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestCollectorLabels proves one series per organization and gauge, whatever the number of contacts.
func TestCollectorLabels(t *testing.T) {
	f := newFleet(3, 50)
	c := &fleetmetrics.Collector{Reader: f, Now: func() time.Time { return now }, Log: logr.Discard()}
	if err := testutil.CollectAndCompare(c, bytes.NewBufferString(`
# HELP roster_transfers_expiring_soon Pending ContactTransfers of the organization that expire within 24 hours.
# TYPE roster_transfers_expiring_soon gauge
roster_transfers_expiring_soon{namespace="ns-0",organization="org-0"} 1
roster_transfers_expiring_soon{namespace="ns-1",organization="org-1"} 1
roster_transfers_expiring_soon{namespace="ns-2",organization="org-2"} 1
`), "roster_transfers_expiring_soon"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c); n != 3*5 { // five gauges each; no channel, no failing series
		t.Errorf("%d series for 3 organizations of 50 contacts, want %d", n, 3*5)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// BenchmarkScrape measures a whole scrape of the fleet's gauges (reads, computation and the text
// exposition) at 1,000 organizations of 10 contacts each.
func BenchmarkScrape(b *testing.B) {
	f := newFleet(1000, 10)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(&fleetmetrics.Collector{Reader: f, Now: func() time.Time { return now }, Log: logr.Discard()})
	var buf bytes.Buffer
	for b.Loop() {
		families, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range families {
			if err := enc.Encode(mf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/scrape")
}

// fleet is an in-memory stand-in for the manager's cache: List by namespace and the ByOrganization
// index returns shallow copies, as the cache does with UnsafeDisableDeepCopy.
type fleet struct {
	orgs        []v1alpha1.Organization
	contacts    map[string][]v1alpha1.Contact
	assignments map[string][]v1alpha1.RoleAssignment
	transfers   map[string][]v1alpha1.ContactTransfer
}

func newFleet(orgs, contactsEach int) *fleet {
	f := &fleet{contacts: map[string][]v1alpha1.Contact{}, assignments: map[string][]v1alpha1.RoleAssignment{},
		transfers: map[string][]v1alpha1.ContactTransfer{}}
	for i := range orgs {
		ns, name := fmt.Sprintf("ns-%d", i), fmt.Sprintf("org-%d", i)
		key := ns + "/" + name
		org := v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		org.Status.Roles = []v1alpha1.RoleHolders{
			{Role: "primary", Required: true, Satisfied: true, Holders: []string{"c-0"}},
			{Role: "administrative", Satisfied: true, Holders: []string{"c-1"}},
			{Role: "technical", Required: true},
			{Role: "billing", Satisfied: true, Holders: []string{"c-2"}},
		}
		f.orgs = append(f.orgs, org)
		for j := range contactsEach {
			c := v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("c-%d", j)}}
			c.Spec.OrganizationRef.Name = name
			if j < 3 {
				c.Status.Roles = []v1alpha1.HeldRole{{Role: "primary"}}
			}
			c.Status.Conditions = []metav1.Condition{cond(v1alpha1.ReadyCondition, metav1.ConditionTrue, "Ready"),
				cond(v1alpha1.EmailVerifiedCondition, metav1.ConditionFalse, v1alpha1.EmailDeclaredReason)}
			for k := range 4 {
				c.Status.Outbox = append(c.Status.Outbox, v1alpha1.Delivery{ID: fmt.Sprintf("d-%d", k), Channel: "email",
					State: v1alpha1.DeliverySent})
			}
			f.contacts[key] = append(f.contacts[key], c)
		}
		for j := range 3 {
			f.assignments[key] = append(f.assignments[key], v1alpha1.RoleAssignment{ObjectMeta: metav1.ObjectMeta{
				Namespace: ns, Name: fmt.Sprintf("a-%d", j)}})
		}
		f.transfers[key] = []v1alpha1.ContactTransfer{pendingTransfer(time.Hour), pendingTransfer(time.Hour, v1alpha1.CompletedCondition)}
	}
	return f
}

func (f *fleet) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return fmt.Errorf("not used")
}

func (f *fleet) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	key := ""
	if lo.FieldSelector != nil {
		org, ok := lo.FieldSelector.RequiresExactMatch(index.ByOrganization)
		if !ok {
			return fmt.Errorf("unexpected selector %s", lo.FieldSelector)
		}
		key = lo.Namespace + "/" + org
	} else if _, ok := list.(*v1alpha1.OrganizationList); !ok {
		return fmt.Errorf("%T listed without the ByOrganization index", list)
	}
	switch l := list.(type) {
	case *v1alpha1.OrganizationList:
		l.Items = append([]v1alpha1.Organization(nil), f.orgs...)
	case *v1alpha1.ContactList:
		l.Items = append([]v1alpha1.Contact(nil), f.contacts[key]...)
	case *v1alpha1.RoleAssignmentList:
		l.Items = append([]v1alpha1.RoleAssignment(nil), f.assignments[key]...)
	case *v1alpha1.ContactTransferList:
		l.Items = append([]v1alpha1.ContactTransfer(nil), f.transfers[key]...)
	default:
		return fmt.Errorf("unexpected list %T", list)
	}
	return nil
}

// TestRunnables proves that the managers of one process export each organization once, and nothing once
// they stop.
func TestRunnables(t *testing.T) {
	count := func() int {
		n, err := testutil.GatherAndCount(metrics.Registry, "roster_transfers_pending")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	for _, orgs := range []int{3, 5} { // the second manager sees the first's 3 organizations too
		r := &fleetmetrics.Runnable{Collector: &fleetmetrics.Collector{Reader: newFleet(orgs, 2), Log: logr.Discard()}}
		if !r.NeedLeaderElection() {
			t.Error("the fleet gauges must be exported by the leader only")
		}
		go func() {
			if err := r.Start(ctx); err != nil {
				t.Error(err)
			}
			done <- struct{}{}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for count() != 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := count(); n != 5 {
		t.Errorf("%d series of roster_transfers_pending for 5 organizations", n)
	}
	cancel()
	<-done
	<-done
	if n := count(); n != 0 {
		t.Errorf("%d series once the managers stopped, want 0", n)
	}
}

// countingReader counts the lists of organizations: one per computation of the gauges.
type countingReader struct {
	*fleet
	orgLists int
}

func (r *countingReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if _, ok := list.(*v1alpha1.OrganizationList); ok {
		r.orgLists++
	}
	return r.fleet.List(ctx, list, opts...)
}

// TestMaxAge proves that scrapes within MaxAge reuse the gauges, and that without it each scrape reads
// the cache.
func TestMaxAge(t *testing.T) {
	for _, tt := range []struct {
		name     string
		maxAge   time.Duration
		scrapes  int
		computed int
	}{
		{name: "every scrape computes", maxAge: 0, scrapes: 3, computed: 3},
		{name: "scrapes within MaxAge reuse", maxAge: time.Hour, scrapes: 3, computed: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &countingReader{fleet: newFleet(4, 2)}
			c := &fleetmetrics.Collector{Reader: r, Log: logr.Discard(), MaxAge: tt.maxAge}
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(c)
			for range tt.scrapes {
				if n, err := testutil.GatherAndCount(reg, "roster_required_roles_vacant"); err != nil || n != 4 {
					t.Fatalf("%d series of roster_required_roles_vacant for 4 organizations (%v)", n, err)
				}
			}
			if r.orgLists != tt.computed {
				t.Errorf("gauges computed %d times for %d scrapes, want %d", r.orgLists, tt.scrapes, tt.computed)
			}
		})
	}
}
