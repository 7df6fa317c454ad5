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
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// The shape of one generated organization.
const (
	orgsPerNamespace = 10
	scopesPerOrg     = 2
	contactsPerOrg   = 10
	assignmentsPer   = 20
	objectsPerOrg    = 1 + contactsPerOrg + assignmentsPer // 31
)

const rosterAPIVersion = "roster.dev/v1alpha1"

// The kinds a roster is made of, in dependency order (each names only kinds before it).
const (
	kindOrganization   = "Organization"
	kindContact        = "Contact"
	kindRoleAssignment = "RoleAssignment"
)

var dependencyOrder = []string{kindOrganization, kindContact, kindRoleAssignment}

// resources maps each kind to its REST resource.
var resources = map[string]schema.GroupVersionResource{
	kindOrganization:   {Group: "roster.dev", Version: "v1alpha1", Resource: "organizations"},
	kindContact:        {Group: "roster.dev", Version: "v1alpha1", Resource: "contacts"},
	kindRoleAssignment: {Group: "roster.dev", Version: "v1alpha1", Resource: "roleassignments"},
	"ConfigMap":        {Version: "v1", Resource: "configmaps"},
}

// fileNames are the names of the files each kind is written to.
var fileNames = map[string]string{
	kindOrganization:   "organizations.yaml",
	kindContact:        "contacts.yaml",
	kindRoleAssignment: "assignments.yaml",
}

// scopeNames are the sites of every organization.
var scopeNames = [scopesPerOrg]string{"site-a", "site-b"}

// plannedAssignment is one of the 20 role assignments of an organization: a role, a scope ("" for an
// unscoped role) and the index of the contact that holds it.
type plannedAssignment struct {
	role, scope string
	contact     int
}

// assignmentPlan fits the built-in catalogue (internal/roles): primary and technical (one per site) are
// required and filled; two-party roles (primary, administrative, technical, billing) have one holder each,
// taken as declared with the initial roster; technical-secondary has at most 4 per site; renewal and
// shipping at most 1; the notification-only roles are unbounded. Every contact is in good standing, so
// billing's rule holds. No self-nomination role (site-user) is used: it would wait for approval.
var assignmentPlan = [assignmentsPer]plannedAssignment{
	{"primary", "", 0},
	{"administrative", "", 1},
	{"billing", "", 2},
	{"technical", "site-a", 3},
	{"technical", "site-b", 4},
	{"technical-secondary", "site-a", 5},
	{"technical-secondary", "site-a", 6},
	{"technical-secondary", "site-b", 7},
	{"technical-secondary", "site-b", 8},
	{"renewal", "", 9},
	{"shipping", "", 5},
	{"unpaid-invoices", "", 2},
	{"unpaid-invoices", "", 9},
	{"new-quotes", "", 6},
	{"new-quotes", "", 7},
	{"security-updates", "", 3},
	{"security-updates", "", 4},
	{"security-updates", "", 8},
	{"data-protection", "", 0},
	{"data-protection", "", 1},
}

var locales = []string{"en", "fr", "pt"}

// roster is a generated set of organizations with their contacts and assignments, by kind.
type roster struct {
	Namespaces []string
	ByKind     map[string][]*unstructured.Unstructured
}

// objects returns every object of the roster in dependency order.
func (r *roster) objects() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, k := range dependencyOrder {
		out = append(out, r.ByKind[k]...)
	}
	return out
}

// count is the number of objects of the roster.
func (r *roster) count() int { return len(r.objects()) }

// keys are the tracker keys of every object of the roster.
func (r *roster) keys() []string {
	objs := r.objects()
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = objectKey(o.GetKind(), o.GetNamespace(), o.GetName())
	}
	return out
}

// listed is what each Organization and Contact of the roster lists once the operator is done with it:
// an organization's holders (one per assignment), a contact's roles.
func (r *roster) listed() map[string]int {
	out := map[string]int{}
	for _, o := range r.ByKind[kindOrganization] {
		out[objectKey(kindOrganization, o.GetNamespace(), o.GetName())] = 0
	}
	for _, a := range r.ByKind[kindRoleAssignment] {
		ns := a.GetNamespace()
		org, _, _ := unstructured.NestedString(a.Object, "spec", "organizationRef", "name")
		contact, _, _ := unstructured.NestedString(a.Object, "spec", "contactRef", "name")
		out[objectKey(kindOrganization, ns, org)]++
		out[objectKey(kindContact, ns, contact)]++
	}
	return out
}

// namespaceCount is how many namespaces orgs organizations take, 10 per namespace, at least one.
func namespaceCount(orgs int) int { return max(1, (orgs+orgsPerNamespace-1)/orgsPerNamespace) }

// namespaceName names the i-th namespace of a roster.
func namespaceName(prefix string, i int) string { return fmt.Sprintf("%s-%03d", prefix, i) }

// orgName names the i-th organization of a roster (unique within the roster).
func orgName(i int) string { return fmt.Sprintf("org-%04d", i) }

// contactName names the c-th contact of organization org.
func contactName(org string, c int) string { return fmt.Sprintf("%s-c%d", org, c) }

// assignmentName names an assignment after its organization, role, scope and contact, so that it is
// unique within the namespace.
func assignmentName(org string, a plannedAssignment) string {
	name := org + "-" + a.role
	if a.scope != "" {
		name += "-" + a.scope
	}
	return fmt.Sprintf("%s-c%d", name, a.contact)
}

// generateRoster builds orgs organizations in namespaces named prefix-NNN, 10 per namespace, each with
// 2 sites, 10 contacts and 20 assignments, and an initial roster window of 24h so that every assignment
// takes effect as declared.
func generateRoster(prefix string, orgs int) *roster {
	r := &roster{ByKind: map[string][]*unstructured.Unstructured{}}
	for i := range namespaceCount(orgs) {
		r.Namespaces = append(r.Namespaces, namespaceName(prefix, i))
	}
	for i := range orgs {
		ns, org := r.Namespaces[i/orgsPerNamespace], orgName(i)
		scopes := make([]any, 0, scopesPerOrg)
		for _, s := range scopeNames {
			scopes = append(scopes, map[string]any{"name": s})
		}
		r.ByKind[kindOrganization] = append(r.ByKind[kindOrganization], newObject(kindOrganization, ns, org, map[string]any{
			"displayName": fmt.Sprintf("Organization %04d", i),
			"scopes":      scopes,
			"approval":    map[string]any{"initialRosterWindow": "24h"},
		}))
		for c := range contactsPerOrg {
			r.ByKind[kindContact] = append(r.ByKind[kindContact], newContact(ns, org, c, contactName(org, c)))
		}
		for _, a := range assignmentPlan {
			r.ByKind[kindRoleAssignment] = append(r.ByKind[kindRoleAssignment], newObject(kindRoleAssignment, ns,
				assignmentName(org, a), map[string]any{
					"organizationRef": map[string]any{"name": org},
					"role":            a.role,
					"scope":           a.scope,
					"contactRef":      map[string]any{"name": contactName(org, a.contact)},
				}))
		}
	}
	return r
}

// newContact builds the c-th contact of organization org, named name, in good standing.
func newContact(ns, org string, c int, name string) *unstructured.Unstructured {
	return newObject(kindContact, ns, name, map[string]any{
		"organizationRef": map[string]any{"name": org},
		"displayName":     fmt.Sprintf("Contact %d of %s", c, org),
		"email":           fmt.Sprintf("%s@%s.example.com", name, org),
		"locale":          locales[c%len(locales)],
		"accountStanding": "Good",
	})
}

func newObject(kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": rosterAPIVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       spec,
	}}
}

// configMapBaseline builds one ConfigMap per object of r, in namespaces named prefix-NNN, holding the
// object's spec as YAML, so that each kind's file is about the size of the roster's file of that kind.
func configMapBaseline(r *roster, prefix string) *roster {
	out := &roster{ByKind: map[string][]*unstructured.Unstructured{}}
	nsMap := map[string]string{}
	for i, ns := range r.Namespaces {
		nsMap[ns] = namespaceName(prefix, i)
		out.Namespaces = append(out.Namespaces, nsMap[ns])
	}
	for _, k := range dependencyOrder {
		for _, o := range r.ByKind[k] {
			spec, _ := yaml.Marshal(o.Object["spec"])
			out.ByKind[k] = append(out.ByKind[k], &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "v1",
				"kind":       "ConfigMap",
				"metadata":   map[string]any{"name": o.GetName(), "namespace": nsMap[o.GetNamespace()]},
				"data":       map[string]any{"kind": k, "spec": string(spec)},
			}})
		}
	}
	return out
}

// shuffled returns a copy of objs in an order drawn from rng.
func shuffled(objs []*unstructured.Unstructured, rng *rand.Rand) []*unstructured.Unstructured {
	out := append([]*unstructured.Unstructured(nil), objs...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// shuffledKinds draws an order of the three kinds that is not the dependency order.
func shuffledKinds(rng *rand.Rand) []string {
	for {
		order := append([]string(nil), dependencyOrder...)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		if order[0] != dependencyOrder[0] || order[1] != dependencyOrder[1] {
			return order
		}
	}
}

// writeYAML writes objs to path as a multi-document YAML file.
func writeYAML(path string, objs []*unstructured.Unstructured) error {
	var buf bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			buf.WriteString("---\n")
		}
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
