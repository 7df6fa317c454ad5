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

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// orgsPerNamespace is how many organizations share a namespace.
const orgsPerNamespace = 10

// assignmentsOf are the 20 assignments of each organization: role, scope, holder (contact index). Every
// one is Ready without approval inside the initial roster window.
var assignmentsOf = []struct {
	role, scope string
	holder      int
}{
	{"primary", "", 0}, {"administrative", "", 1}, {"billing", "", 2}, {"renewal", "", 3}, {"shipping", "", 4},
	{"technical", "site-a", 5}, {"technical", "site-b", 6},
	{"technical-secondary", "site-a", 7}, {"technical-secondary", "site-a", 8},
	{"technical-secondary", "site-b", 9}, {"technical-secondary", "site-b", 0},
	{"unpaid-invoices", "", 2}, {"unpaid-invoices", "", 0}, {"new-quotes", "", 3}, {"new-quotes", "", 4},
	{"security-updates", "", 5}, {"security-updates", "", 6}, {"security-updates", "", 8}, {"security-updates", "", 9},
	{"data-protection", "", 1},
}

// files is a generated set of manifests: the namespaces, then one document list per kind, in the order
// they are applied.
type files struct {
	namespaces []string
	kinds      []string // file names, in apply order
	docs       map[string][]string
}

func (f files) objects() int {
	n := 0
	for _, k := range f.kinds {
		n += len(f.docs[k])
	}
	return n
}

// generate builds the roster of orgs organizations, 10 per namespace prefix-N: 2 sites, 10 contacts and
// 20 assignments each, no notification channel, and an initial roster window long enough for the apply.
func generate(orgs int, prefix string) files {
	f := files{kinds: []string{"organizations", "contacts", "roleassignments"}, docs: map[string][]string{}}
	for i := range orgs {
		ns := fmt.Sprintf("%s-%d", prefix, i/orgsPerNamespace)
		if i%orgsPerNamespace == 0 {
			f.namespaces = append(f.namespaces, ns)
		}
		org := fmt.Sprintf("org-%d", i)
		f.docs["organizations"] = append(f.docs["organizations"], fmt.Sprintf(`apiVersion: roster.dev/v1alpha1
kind: Organization
metadata: {name: %s, namespace: %s}
spec:
  displayName: Organization %d
  scopes: [{name: site-a}, {name: site-b}]
  approval: {initialRosterWindow: 24h}
`, org, ns, i))
		for c := range 10 {
			f.docs["contacts"] = append(f.docs["contacts"], fmt.Sprintf(`apiVersion: roster.dev/v1alpha1
kind: Contact
metadata: {name: %s-c%d, namespace: %s}
spec: {organizationRef: {name: %s}, displayName: Contact %d of %s, email: c%d@%s.example}
`, org, c, ns, org, c, org, c, org))
		}
		for a, as := range assignmentsOf {
			f.docs["roleassignments"] = append(f.docs["roleassignments"], fmt.Sprintf(`apiVersion: roster.dev/v1alpha1
kind: RoleAssignment
metadata: {name: %s-a%02d, namespace: %s}
spec: {organizationRef: {name: %s}, role: %s, scope: %q, contactRef: {name: %s-c%d}}
`, org, a, ns, org, as.role, as.scope, org, as.holder))
		}
	}
	return f
}

// baselineOf is as many ConfigMaps as f has objects, in files of the same sizes, in namespaces of their own.
func baselineOf(f files, prefix string) files {
	b := files{kinds: f.kinds, docs: map[string][]string{}}
	for i := range f.namespaces {
		b.namespaces = append(b.namespaces, fmt.Sprintf("%s-%d", prefix, i))
	}
	for _, k := range f.kinds {
		for i := range f.docs[k] {
			ns := b.namespaces[i*len(b.namespaces)/len(f.docs[k])]
			b.docs[k] = append(b.docs[k], fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: %s-%d, namespace: %s}
data: {role: technical-secondary, scope: site-a, contact: contact-%d, organization: org-%d}
`, k, i, ns, i, i))
		}
	}
	return b
}

// write writes the namespaces and each kind to files under dir, and returns them in apply order.
func (f files) write(dir, name string) ([]string, error) {
	var out []string
	var ns []string
	for _, n := range f.namespaces {
		ns = append(ns, fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n", n))
	}
	path := filepath.Join(dir, name+"-namespaces.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(ns, "---\n")), 0o644); err != nil {
		return nil, err
	}
	out = append(out, path)
	for _, k := range f.kinds {
		path := filepath.Join(dir, name+"-"+k+".yaml")
		if err := os.WriteFile(path, []byte(strings.Join(f.docs[k], "---\n")), 0o644); err != nil {
			return nil, err
		}
		out = append(out, path)
	}
	return out, nil
}
