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

// Package state reads what the role rules need to know about an organization from the manager's cache,
// through the named indexes of package index. Controllers and admission webhooks share it.
package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/roles"
)

// Load reads, through the cache indexes, what the role rules need to know about one organization:
// its catalogue, its contacts, its assignments and its transfers, to be judged at now. A catalogue that does not validate is returned as an
// error wrapping its field errors.
func Load(ctx context.Context, c client.Reader, org *v1alpha1.Organization, now time.Time) (roles.Input, error) {
	cat, errs := roles.NewCatalogue(org.Spec.Roles)
	if len(errs) > 0 {
		return roles.Input{}, &InvalidCatalogueError{Errs: errs.ToAggregate().Error()}
	}
	inOrg := []client.ListOption{client.InNamespace(org.Namespace), client.MatchingFields{index.ByOrganization: org.Name}}
	var contacts v1alpha1.ContactList
	if err := c.List(ctx, &contacts, inOrg...); err != nil {
		return roles.Input{}, fmt.Errorf("listing contacts of organization %s: %w", org.Name, err)
	}
	var assignments v1alpha1.RoleAssignmentList
	if err := c.List(ctx, &assignments, inOrg...); err != nil {
		return roles.Input{}, fmt.Errorf("listing role assignments of organization %s: %w", org.Name, err)
	}
	var transfers v1alpha1.ContactTransferList
	if err := c.List(ctx, &transfers, inOrg...); err != nil {
		return roles.Input{}, fmt.Errorf("listing contact transfers of organization %s: %w", org.Name, err)
	}
	return roles.Input{Organization: org, Catalogue: cat, Contacts: contacts.Items, Assignments: assignments.Items,
		Transfers: transfers.Items, Now: now}, nil
}

// InvalidCatalogueError reports an Organization whose spec.roles do not form a valid catalogue.
type InvalidCatalogueError struct{ Errs string }

func (e *InvalidCatalogueError) Error() string { return "invalid role catalogue: " + e.Errs }

// IgnoreInvalidCatalogue drops an InvalidCatalogueError, which the Organization reports.
func IgnoreInvalidCatalogue(err error) error {
	if invalid := (*InvalidCatalogueError)(nil); errors.As(err, &invalid) {
		return nil
	}
	return err
}
