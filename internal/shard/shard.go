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

// Package shard splits the organizations of a cluster between operator replicas by namespace labels:
// each replica (a shard) reconciles, admits and serves approvals for the namespaces its selector
// matches, and caches only those.
package shard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	ctrlcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// emptyShard is the one namespace a shard that matches none watches: controller-runtime reads an empty
// namespace list as every namespace. Namespace names cannot contain "_", so it never exists.
const emptyShard = "roster_no_namespace_matches"

// Shard is the set of namespaces a replica owns.
type Shard struct {
	// Selector is the label selector of the shard's namespaces.
	Selector labels.Selector
	// Namespaces are the namespaces it matched when the replica started, sorted.
	Namespaces []string
}

// Parse reads a --shard-namespace-selector value; nil (no sharding) when it is empty.
func Parse(selector string) (labels.Selector, error) {
	if strings.TrimSpace(selector) == "" {
		return nil, nil
	}
	s, err := labels.Parse(selector)
	if err != nil {
		return nil, fmt.Errorf("%q is not a label selector (e.g. roster.dev/shard=eu): %w", selector, err)
	}
	if s.Empty() {
		return nil, nil
	}
	return s, nil
}

// Load lists the namespaces selector matches, straight from the apiserver (the cache is not started).
func Load(ctx context.Context, c client.Reader, selector labels.Selector) (*Shard, error) {
	var list corev1.NamespaceList
	if err := c.List(ctx, &list, client.MatchingLabelsSelector{Selector: selector}); err != nil {
		return nil, fmt.Errorf("listing the namespaces of shard %q: %w", selector, err)
	}
	s := &Shard{Selector: selector}
	for _, ns := range list.Items {
		s.Namespaces = append(s.Namespaces, ns.Name)
	}
	slices.Sort(s.Namespaces)
	return s, nil
}

// CacheNamespaces is the cache's DefaultNamespaces for the shard: its namespaces only.
func (s *Shard) CacheNamespaces() map[string]ctrlcache.Config {
	out := map[string]ctrlcache.Config{}
	for _, ns := range s.Namespaces {
		out[ns] = ctrlcache.Config{}
	}
	if len(out) == 0 {
		out[emptyShard] = ctrlcache.Config{}
	}
	return out
}

// LeaderElectionID is the lease name of the shard's replicas: shards elect their leaders apart.
func LeaderElectionID(base string, selector labels.Selector) string {
	if selector == nil {
		return base
	}
	sum := sha256.Sum256([]byte(selector.String()))
	return base + "-shard-" + hex.EncodeToString(sum[:])[:10]
}

// Watcher ends the manager when the namespaces matching the shard's selector are no longer those it
// started with: a replica's cache is scoped at start, so it restarts (its Deployment starts it again,
// the standby leads meanwhile) to watch the new set. Namespaces join or leave shards rarely.
type Watcher struct {
	Shard *Shard
	// Informers gives the namespace informer (the manager's cache; namespaces are cluster-scoped and
	// cached whole).
	Informers ctrlcache.Informers
}

// NeedLeaderElection is false: every replica, leader or standby, must watch the namespaces of its
// shard, since each admits and serves approvals.
func (w *Watcher) NeedLeaderElection() bool { return false }

// Start returns an error, which stops the manager, when the shard's namespaces change.
func (w *Watcher) Start(ctx context.Context) error {
	informer, err := w.Informers.GetInformer(ctx, &corev1.Namespace{})
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, ns := range w.Shard.Namespaces {
		want[ns] = true
	}
	changed := make(chan string, 1)
	check := func(obj any) {
		ns, ok := obj.(*corev1.Namespace)
		if !ok {
			return
		}
		// A namespace being deleted stays: the finalizers of its organizations need this shard.
		if in := w.Shard.Selector.Matches(labels.Set(ns.Labels)); in != want[ns.Name] {
			select {
			case changed <- ns.Name:
			default:
			}
		}
	}
	// A namespace that is gone needs no restart: its objects went with it.
	reg, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    check,
		UpdateFunc: func(_, obj any) { check(obj) },
	})
	if err != nil {
		return err
	}
	defer func() { _ = informer.RemoveEventHandler(reg) }()
	select {
	case <-ctx.Done():
		return nil
	case name := <-changed:
		log.FromContext(ctx).Info("the namespaces of this shard changed: restarting to watch them",
			"namespace", name, "selector", w.Shard.Selector.String(), "namespaces", slices.Collect(maps.Keys(want)))
		return fmt.Errorf("namespace %s joined or left shard %q: restart to watch it", name, w.Shard.Selector)
	}
}
