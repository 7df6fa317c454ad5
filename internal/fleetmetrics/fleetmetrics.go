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

// Package fleetmetrics exports the fleet's gauges (vacant required roles, pending and expiring transfers,
// unverified and unconfirmed holders, failing notifications), one series per organization, computed when
// Prometheus scrapes from the manager's cache.
package fleetmetrics

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
)

// ExpiringWithin is how close to its expiry a pending transfer counts in roster_transfers_expiring_soon.
const ExpiringWithin = 24 * time.Hour

// ScrapeTimeout bounds the reads of one scrape.
const ScrapeTimeout = 10 * time.Second

// The gauges. Each has the labels namespace and organization (and channel for the failing
// notifications): one series per organization, however many contacts it has.
var (
	RequiredRolesVacant = prometheus.NewDesc("roster_required_roles_vacant",
		"Required (role, scope) rows of the organization with fewer holders than the role needs.",
		[]string{"namespace", "organization"}, nil)
	TransfersPending = prometheus.NewDesc("roster_transfers_pending",
		"ContactTransfers of the organization not settled yet (not completed, refused, expired or stalled).",
		[]string{"namespace", "organization"}, nil)
	TransfersExpiringSoon = prometheus.NewDesc("roster_transfers_expiring_soon",
		"Pending ContactTransfers of the organization that expire within 24 hours.",
		[]string{"namespace", "organization"}, nil)
	HoldersUnverified = prometheus.NewDesc("roster_holders_unverified",
		"Contacts of the organization holding a role whose EmailVerified condition is not True.",
		[]string{"namespace", "organization"}, nil)
	HoldersUnconfirmed = prometheus.NewDesc("roster_holders_unconfirmed",
		"Contacts of the organization holding a role whose re-confirmation lapsed (Reconfirmed False, ReconfirmationLapsed).",
		[]string{"namespace", "organization"}, nil)
	NotificationsFailing = prometheus.NewDesc("roster_notifications_failing",
		"Notifications about the organization and its objects still unsent after 3 or more failed attempts, by channel (email, webhook).",
		[]string{"namespace", "organization", "channel"}, nil)
)

// Collector computes the fleet's gauges at scrape time. It reads the manager's cache: the organizations,
// then each organization's contacts, assignments and transfers through the ByOrganization index.
type Collector struct {
	// Reader is the manager's cache.
	Reader client.Reader
	// Now is the clock of expiries; time.Now when nil.
	Now func() time.Time
	// Log receives the errors of a scrape (which then exports what it could read).
	Log logr.Logger
	// MaxAge lets a scrape reuse the gauges another scrape computed less than MaxAge ago: their cost grows
	// with the fleet, and each Prometheus of an HA pair, or anything else reading /metrics, scrapes at its
	// own pace. 0 computes them on every scrape.
	MaxAge time.Duration

	mu         sync.Mutex
	computedAt time.Time
	computed   []orgSamples
}

// orgSamples are the samples of one organization's gauges.
type orgSamples struct {
	key     types.NamespacedName
	metrics []prometheus.Metric
}

var _ prometheus.Collector = &Collector{}

// Describe sends the descriptors of every gauge.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range Descs() {
		ch <- d
	}
}

// Descs lists the descriptors of the gauges.
func Descs() []*prometheus.Desc {
	return []*prometheus.Desc{RequiredRolesVacant, TransfersPending, TransfersExpiringSoon, HoldersUnverified,
		HoldersUnconfirmed, NotificationsFailing}
}

// Collect reads the cache and sends one sample of each gauge per organization.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.collect(ch, map[types.NamespacedName]bool{})
}

// collect sends the gauges of each organization not in seen, and adds it there.
func (c *Collector) collect(ch chan<- prometheus.Metric, seen map[types.NamespacedName]bool) {
	for _, s := range c.samples() {
		if seen[s.key] {
			continue
		}
		seen[s.key] = true
		for _, m := range s.metrics {
			ch <- m
		}
	}
}

// samples returns the gauges computed less than MaxAge ago, or computes them.
func (c *Collector) samples() []orgSamples {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.MaxAge > 0 && c.computed != nil && time.Since(c.computedAt) < c.MaxAge {
		return c.computed
	}
	samples, ok := c.compute()
	if ok {
		c.computed, c.computedAt = samples, time.Now()
	}
	return samples
}

// compute reads the cache and makes each organization's samples; ok is false when the organizations
// could not be listed.
func (c *Collector) compute() (out []orgSamples, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
	defer cancel()
	var orgs v1alpha1.OrganizationList
	// The objects are only read: the cache's own copies are used, not deep copies.
	if err := c.Reader.List(ctx, &orgs, client.UnsafeDisableDeepCopy); err != nil {
		c.Log.Error(err, "fleet metrics: cannot list organizations")
		return nil, false
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	out = make([]orgSamples, 0, len(orgs.Items))
	for i := range orgs.Items {
		org := &orgs.Items[i]
		g, err := c.gauges(ctx, org, now)
		if err != nil {
			c.Log.Error(err, "fleet metrics: cannot read an organization's objects", "namespace", org.Namespace, "organization", org.Name)
			continue
		}
		labels := []string{org.Namespace, org.Name}
		s := orgSamples{key: types.NamespacedName{Namespace: org.Namespace, Name: org.Name}, metrics: []prometheus.Metric{
			prometheus.MustNewConstMetric(RequiredRolesVacant, prometheus.GaugeValue, float64(g.Vacant), labels...),
			prometheus.MustNewConstMetric(TransfersPending, prometheus.GaugeValue, float64(g.Pending), labels...),
			prometheus.MustNewConstMetric(TransfersExpiringSoon, prometheus.GaugeValue, float64(g.ExpiringSoon), labels...),
			prometheus.MustNewConstMetric(HoldersUnverified, prometheus.GaugeValue, float64(g.Unverified), labels...),
			prometheus.MustNewConstMetric(HoldersUnconfirmed, prometheus.GaugeValue, float64(g.Unconfirmed), labels...),
		}}
		for _, channel := range channelsOf(org, g.Failing) {
			s.metrics = append(s.metrics, prometheus.MustNewConstMetric(NotificationsFailing, prometheus.GaugeValue,
				float64(g.Failing[channel]), org.Namespace, org.Name, channel))
		}
		out = append(out, s)
	}
	return out, true
}

// gauges reads one organization's objects from the cache and computes its gauges.
func (c *Collector) gauges(ctx context.Context, org *v1alpha1.Organization, now time.Time) (Gauges, error) {
	in := []client.ListOption{client.InNamespace(org.Namespace), client.MatchingFields{index.ByOrganization: org.Name},
		client.UnsafeDisableDeepCopy}
	var contacts v1alpha1.ContactList
	if err := c.Reader.List(ctx, &contacts, in...); err != nil {
		return Gauges{}, err
	}
	var transfers v1alpha1.ContactTransferList
	if err := c.Reader.List(ctx, &transfers, in...); err != nil {
		return Gauges{}, err
	}
	var assignments v1alpha1.RoleAssignmentList
	if err := c.Reader.List(ctx, &assignments, in...); err != nil {
		return Gauges{}, err
	}
	return Compute(org, contacts.Items, assignments.Items, transfers.Items, now), nil
}

// Gauges are one organization's values.
type Gauges struct {
	Vacant, Pending, ExpiringSoon, Unverified, Unconfirmed int
	// Failing counts the failing deliveries by channel kind (email, webhook).
	Failing map[string]int
}

// Compute derives an organization's gauges from its objects.
func Compute(org *v1alpha1.Organization, contacts []v1alpha1.Contact, assignments []v1alpha1.RoleAssignment,
	transfers []v1alpha1.ContactTransfer, now time.Time) Gauges {
	g := Gauges{Vacant: Vacant(org), Failing: map[string]int{}}
	countFailing(g.Failing, org.Status.Outbox)
	for i := range transfers {
		t := &transfers[i]
		countFailing(g.Failing, t.Status.Outbox)
		if approval.Settled(t) {
			continue
		}
		g.Pending++
		if t.Status.ExpiresAt != nil && t.Status.ExpiresAt.Sub(now) <= ExpiringWithin {
			g.ExpiringSoon++
		}
	}
	for i := range assignments {
		countFailing(g.Failing, assignments[i].Status.Outbox)
	}
	for i := range contacts {
		ct := &contacts[i]
		countFailing(g.Failing, ct.Status.Outbox)
		if len(ct.Status.Roles) == 0 {
			continue // not a holder
		}
		if !isTrue(ct.Status.Conditions, v1alpha1.EmailVerifiedCondition) {
			g.Unverified++
		}
		if Lapsed(ct) {
			g.Unconfirmed++
		}
	}
	return g
}

// Vacant counts the organization's required (role, scope) rows with fewer holders than the role needs:
// required and not satisfied, and not because of too many holders.
func Vacant(org *v1alpha1.Organization) int {
	var cat *roles.Catalogue // built only for a required row that has holders and is not satisfied
	n := 0
	for _, row := range org.Status.Roles {
		if !row.Required || row.Satisfied {
			continue
		}
		if len(row.Holders) > 0 {
			if cat == nil {
				var errs field.ErrorList
				if cat, errs = roles.NewCatalogue(org.Spec.Roles); len(errs) > 0 {
					continue
				}
			}
			if r, ok := cat.Get(row.Role); ok && r.MaxHolders > 0 && int32(len(row.Holders)) > r.MaxHolders {
				continue // over-filled, not vacant
			}
		}
		n++
	}
	return n
}

// Lapsed reports whether the contact's re-confirmation lapsed.
func Lapsed(c *v1alpha1.Contact) bool {
	cond := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ReconfirmedCondition)
	return cond != nil && cond.Status == metav1.ConditionFalse && cond.Reason == v1alpha1.ReconfirmationLapsedReason
}

func isTrue(conds []metav1.Condition, typ string) bool {
	return meta.IsStatusConditionTrue(conds, typ)
}

// countFailing adds the outbox's failing deliveries by channel kind.
func countFailing(out map[string]int, outbox []v1alpha1.Delivery) {
	for _, d := range notify.Failing(outbox) {
		out[notify.ChannelKind(d.Channel)]++
	}
}

// channelsOf lists the channel kinds of the organization's failing series: those it configures (a 0
// shows they work) and those that fail.
func channelsOf(org *v1alpha1.Organization, failing map[string]int) []string {
	var out []string
	add := func(kind string) {
		for _, k := range out {
			if k == kind {
				return
			}
		}
		out = append(out, kind)
	}
	if n := org.Spec.Notifications; n != nil {
		if n.Email != nil {
			add("email")
		}
		if len(n.Webhooks) > 0 {
			add("webhook")
		}
	}
	for kind := range failing {
		add(kind)
	}
	return out
}

// Runnable exports its collector's gauges while the manager runs, on the leader only (the standby
// replicas would export the same series), and stops when the manager stops. One process-wide collector is
// registered with controller-runtime's registry: it exports the organizations of every running manager of
// the process once each (tests run several managers, and restart them, in one process).
type Runnable struct {
	Collector *Collector
}

var (
	registerOnce sync.Once
	registerErr  error
	activeMu     sync.Mutex
	active       []*Collector
)

// process is the process-wide collector: the union of the active collectors.
type process struct{}

func (process) Describe(ch chan<- *prometheus.Desc) { (&Collector{}).Describe(ch) }

func (process) Collect(ch chan<- prometheus.Metric) {
	activeMu.Lock()
	collectors := slices.Clone(active)
	activeMu.Unlock()
	seen := map[types.NamespacedName]bool{}
	for _, c := range collectors {
		c.collect(ch, seen)
	}
}

// NeedLeaderElection is true: one replica (per shard) exports the fleet.
func (r *Runnable) NeedLeaderElection() bool { return true }

// Start exports the collector's gauges until ctx ends.
func (r *Runnable) Start(ctx context.Context) error {
	registerOnce.Do(func() { registerErr = metrics.Registry.Register(process{}) })
	if registerErr != nil {
		return registerErr
	}
	activeMu.Lock()
	active = append(active, r.Collector)
	activeMu.Unlock()
	<-ctx.Done()
	activeMu.Lock()
	active = slices.DeleteFunc(active, func(c *Collector) bool { return c == r.Collector })
	activeMu.Unlock()
	return nil
}
