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

// Package index names the field indexes the operator keeps on its cache, and registers them. Controllers,
// admission webhooks and tests all look neighbours up through these names, never by listing a namespace.
package index

import (
	"context"
	"fmt"
	"strings"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
)

const (
	// ByOrganization indexes Contacts, RoleAssignments and ContactTransfers by spec.organizationRef.name.
	ByOrganization = "spec.organizationRef.name"
	// ByContact indexes RoleAssignments by every contact they concern: spec.contactRef.name and
	// status.holder.
	ByContact = "roster.dev/contact"
	// ByRoleScope indexes RoleAssignments and ContactTransfers by RoleScopeKey(organization, role, scope).
	ByRoleScope = "roster.dev/role-scope"
	// ByEmail indexes Contacts by EmailKey(organization, email): case-insensitive uniqueness checks.
	ByEmail = "roster.dev/email"
	// ByParty indexes ContactTransfers by every contact they concern: from, to, requestedBy and the
	// parties of status.approvals.
	ByParty = "roster.dev/party"
	// ByUID indexes ContactTransfers and Contacts by metadata.uid, across namespaces: approval and
	// confirmation links name their object by UID.
	ByUID = "metadata.uid"
)

// RoleScopeKey is the ByRoleScope value of a (organization, role, scope).
func RoleScopeKey(organization, role, scope string) string {
	return organization + "/" + role + "/" + scope
}

// EmailKey is the ByEmail value of an organization's contact email.
func EmailKey(organization, email string) string {
	return organization + "/" + strings.ToLower(strings.TrimSpace(email))
}

// Setup registers every index on the manager's cache.
func Setup(ctx context.Context, indexer client.FieldIndexer) error {
	for _, ix := range []struct {
		obj   client.Object
		field string
		fn    client.IndexerFunc
	}{
		{&v1alpha1.Contact{}, ByOrganization, func(o client.Object) []string {
			return []string{o.(*v1alpha1.Contact).Spec.OrganizationRef.Name}
		}},
		{&v1alpha1.Contact{}, ByEmail, func(o client.Object) []string {
			c := o.(*v1alpha1.Contact)
			return []string{EmailKey(c.Spec.OrganizationRef.Name, c.Spec.Email)}
		}},
		{&v1alpha1.RoleAssignment{}, ByOrganization, func(o client.Object) []string {
			return []string{o.(*v1alpha1.RoleAssignment).Spec.OrganizationRef.Name}
		}},
		{&v1alpha1.RoleAssignment{}, ByContact, assignmentContacts},
		{&v1alpha1.RoleAssignment{}, ByRoleScope, func(o client.Object) []string {
			ra := o.(*v1alpha1.RoleAssignment)
			return []string{RoleScopeKey(ra.Spec.OrganizationRef.Name, ra.Spec.Role, ra.Spec.Scope)}
		}},
		{&v1alpha1.ContactTransfer{}, ByOrganization, func(o client.Object) []string {
			return []string{o.(*v1alpha1.ContactTransfer).Spec.OrganizationRef.Name}
		}},
		{&v1alpha1.ContactTransfer{}, ByRoleScope, func(o client.Object) []string {
			t := o.(*v1alpha1.ContactTransfer)
			return []string{RoleScopeKey(t.Spec.OrganizationRef.Name, t.Spec.Role, t.Spec.Scope)}
		}},
		{&v1alpha1.ContactTransfer{}, ByParty, transferParties},
		{&v1alpha1.ContactTransfer{}, ByUID, byUID},
		{&v1alpha1.Contact{}, ByUID, byUID},
	} {
		if err := register(ctx, indexer, ix.obj, ix.field, ix.fn); err != nil {
			return err
		}
	}
	return nil
}

// informers is what register needs of the manager's cache.
type informers interface {
	GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error)
}

// The names and keys controller-runtime's cache reader looks up (sigs.k8s.io/controller-runtime
// pkg/cache/internal: FieldIndexName, KeyToNamespacedKey); the controllers' envtest suite reads every
// index through them.
const (
	fieldIndexPrefix  = "field:"
	allNamespacesKey  = "__all_namespaces/"
	namespacedKeySep  = "/"
	clusterWideLookup = ByUID // the only index read across namespaces: links name their object by UID
)

// register adds an index to the cache's informer for obj. controller-runtime's IndexField keys each
// value twice, in the object's namespace and across namespaces, and the indexes were a quarter of the
// live heap: every lookup of Roster is either in one namespace or, for ByUID only, across them, so
// each value is kept once. Other indexers (the fake client's) get IndexField.
func register(ctx context.Context, indexer client.FieldIndexer, obj client.Object, field string, fn client.IndexerFunc) error {
	inf, ok := indexer.(informers)
	if !ok {
		return indexer.IndexField(ctx, obj, field, fn)
	}
	informer, err := inf.GetInformer(ctx, obj)
	if err != nil {
		return err
	}
	return informer.AddIndexers(toolscache.Indexers{fieldIndexPrefix + field: func(raw any) ([]string, error) {
		o, ok := raw.(client.Object)
		if !ok {
			return nil, fmt.Errorf("index %s: %T is not an object", field, raw)
		}
		vals := fn(o)
		for i, v := range vals {
			if field == clusterWideLookup {
				vals[i] = allNamespacesKey + v
			} else {
				vals[i] = o.GetNamespace() + namespacedKeySep + v
			}
		}
		return vals, nil
	}})
}

func byUID(o client.Object) []string { return []string{string(o.GetUID())} }

func assignmentContacts(o client.Object) []string {
	ra := o.(*v1alpha1.RoleAssignment)
	return distinct(ra.Spec.ContactRef.Name, ra.Status.Holder)
}

func transferParties(o client.Object) []string {
	t := o.(*v1alpha1.ContactTransfer)
	from := ""
	if t.Spec.From != nil {
		from = t.Spec.From.Name
	}
	requestedBy := ""
	if t.Spec.RequestedBy != nil {
		requestedBy = t.Spec.RequestedBy.Name
	}
	names := []string{from, t.Spec.To.Name, requestedBy}
	for _, a := range t.Status.Approvals {
		names = append(names, a.Contact)
	}
	return distinct(names...)
}

// distinct returns the non-empty names, each once.
func distinct(names ...string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n == "" {
			continue
		}
		seen := false
		for _, o := range out {
			seen = seen || o == n
		}
		if !seen {
			out = append(out, n)
		}
	}
	return out
}
