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
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
)

// pageSize is how many objects a list asks for at a time.
const pageSize = 500

// NormalizedEmailField is the selectable field of Contacts that whois selects on.
const NormalizedEmailField = "status.normalizedEmail"

// ContactsByEmail lists the Contacts whose address is address whatever its case, in namespace ("" for
// all), with a field selector: the API server returns only them.
func ContactsByEmail(ctx context.Context, c client.Reader, namespace, address string) ([]v1alpha1.Contact, error) {
	var out []v1alpha1.Contact
	err := listPages(ctx, c, func() *v1alpha1.ContactList { return &v1alpha1.ContactList{} }, func(l *v1alpha1.ContactList) { out = append(out, l.Items...) },
		client.InNamespace(namespace), client.MatchingFields{NormalizedEmailField: NormalizeEmail(address)})
	return out, err
}

// Organizations lists the Organizations of namespace ("" for all).
func Organizations(ctx context.Context, c client.Reader, namespace string) ([]v1alpha1.Organization, error) {
	var out []v1alpha1.Organization
	err := listPages(ctx, c, func() *v1alpha1.OrganizationList { return &v1alpha1.OrganizationList{} }, func(l *v1alpha1.OrganizationList) { out = append(out, l.Items...) },
		client.InNamespace(namespace))
	return out, err
}

// Contacts lists the Contacts of namespace ("" for all).
func Contacts(ctx context.Context, c client.Reader, namespace string) ([]v1alpha1.Contact, error) {
	var out []v1alpha1.Contact
	err := listPages(ctx, c, func() *v1alpha1.ContactList { return &v1alpha1.ContactList{} }, func(l *v1alpha1.ContactList) { out = append(out, l.Items...) },
		client.InNamespace(namespace))
	return out, err
}

// Transfers lists the ContactTransfers of namespace ("" for all).
func Transfers(ctx context.Context, c client.Reader, namespace string) ([]v1alpha1.ContactTransfer, error) {
	var out []v1alpha1.ContactTransfer
	err := listPages(ctx, c, func() *v1alpha1.ContactTransferList { return &v1alpha1.ContactTransferList{} }, func(l *v1alpha1.ContactTransferList) { out = append(out, l.Items...) },
		client.InNamespace(namespace))
	return out, err
}

// listPages lists in pages of pageSize, each into a new list, handing each page to add.
func listPages[L client.ObjectList](ctx context.Context, c client.Reader, newList func() L, add func(L), opts ...client.ListOption) error {
	cont := ""
	for {
		list := newList()
		o := append([]client.ListOption{client.Limit(pageSize), client.Continue(cont)}, opts...)
		if err := c.List(ctx, list, o...); err != nil {
			return err
		}
		add(list)
		if cont = list.GetContinue(); cont == "" {
			return nil
		}
	}
}
