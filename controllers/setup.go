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

// Package controllers holds the reconcilers of the four roster.dev kinds.
package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/cachetrim"
	"roster.dev/roster/internal/fleetmetrics"
	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/shard"
)

// Options tune the controllers.
type Options struct {
	// MaxConcurrentReconciles is how many objects of one kind are reconciled in parallel.
	MaxConcurrentReconciles int
	// Keys derives the approval tokens.
	Keys *approval.Keyring
	// Notifier, when set, receives every notification besides the organization's own channels.
	Notifier notify.Notifier
	// ApprovalBaseURL is the external URL of the approval page, for the links in messages.
	ApprovalBaseURL string
	// Destinations says where notifications may be sent; nil allows public addresses only.
	Destinations *notify.Destinations
	// Now is the clock of expiries and decisions; time.Now when nil. Tests move it.
	Now func() time.Time
	// ArrivalWait is the most a contact created with its organization's roster waits for its
	// assignments before its first status, so that it is written once (0: it does not wait).
	ArrivalWait time.Duration
	// FleetMetricsMaxAge is how long scrapes reuse the fleet gauges a scrape computed (0: each scrape
	// computes them).
	FleetMetricsMaxAge time.Duration
}

// DefaultFleetMetricsMaxAge is how long the manager's fleet gauges serve the scrapes that follow the one
// that computed them.
const DefaultFleetMetricsMaxAge = 10 * time.Second

// DefaultArrivalWait is --arrival-wait's default.
const DefaultArrivalWait = 5 * time.Second

// Setup registers the cache indexes and every reconciler with the manager. main and the tests share it.
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) error {
	if err := index.Setup(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if o.Keys == nil {
		return errors.New("controllers.Setup: Options.Keys is required")
	}
	deliverer := NewDeliverer(mgr, o)
	deliverer.engine = newDeliveryEngine(deliverer, mgr.GetClient())
	if err := mgr.Add(deliverer.engine); err != nil {
		return err
	}
	// The fleet's gauges are computed from the cache when Prometheus scrapes (docs/operations.md).
	if err := mgr.Add(&fleetmetrics.Runnable{Collector: &fleetmetrics.Collector{Reader: mgr.GetCache(), Now: o.Now,
		Log: ctrl.Log.WithName("fleet-metrics"), MaxAge: o.FleetMetricsMaxAge}}); err != nil {
		return err
	}
	opts := controller.Options{MaxConcurrentReconciles: o.MaxConcurrentReconciles}
	c := mgr.GetClient()
	for _, r := range []interface {
		SetupWithManager(ctrl.Manager, controller.Options) error
	}{
		&OrganizationReconciler{Client: c, Recorder: recorderFor(mgr, "organization-controller"), Deliverer: deliverer},
		&ContactReconciler{Client: c, Recorder: recorderFor(mgr, "contact-controller"), Reassign: ReassignThroughTransfer(c),
			Deliverer: deliverer, ArrivalWait: o.ArrivalWait},
		&RoleAssignmentReconciler{Client: c, Recorder: recorderFor(mgr, "roleassignment-controller"), Deliverer: deliverer},
		&ContactTransferReconciler{Client: c, Recorder: recorderFor(mgr, "contacttransfer-controller"),
			Keys: o.Keys, Deliverer: deliverer, Now: o.Now},
	} {
		if err := r.SetupWithManager(mgr, opts); err != nil {
			return err
		}
	}
	return nil
}

// ScopeCache sets what the manager caches: the Roster kinds without their managedFields (nothing reads
// them; they are a third or more of each object) and with their repeated strings shared, in the shard's namespaces only when sharded (nil:
// every namespace), and never Secrets, which are read when needed: a cluster's Secrets are not the
// operator's to hold in memory.
func ScopeCache(o *ctrl.Options, owned *shard.Shard) {
	o.Cache.DefaultTransform = cachetrim.Transform(cachetrim.NewStrings(cachetrim.MaxStrings))
	if owned != nil {
		o.Cache.DefaultNamespaces = owned.CacheNamespaces()
	}
	if o.Client.Cache == nil {
		o.Client.Cache = &client.CacheOptions{}
	}
	o.Client.Cache.DisableFor = append(o.Client.Cache.DisableFor, &corev1.Secret{})
}

// NewDeliverer builds the notification deliverer the controllers and the approval page share.
func NewDeliverer(mgr ctrl.Manager, o Options) *Deliverer {
	return &Deliverer{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Keys: o.Keys,
		ApprovalBaseURL: o.ApprovalBaseURL, Notifier: o.Notifier, Now: o.Now, Destinations: o.Destinations, Recorder: recorderFor(mgr, "roster-notifications")}
}

// olderObject orders objects as the rules settle races: oldest creationTimestamp first, then name.
func olderObject(a, b client.Object) bool { return roles.OlderFirst(a, b) < 0 }

// boundedName joins parts with "-" into an object name that stays under 200 characters, ending in a
// short hash of the whole when it had to be cut.
func boundedName(parts ...string) string {
	name := strings.Join(parts, "-")
	if len(name) <= 200 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(name[:190], "-.") + "-" + hex.EncodeToString(sum[:])[:8]
}
