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
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
)

func TestRosterShape(t *testing.T) {
	for _, orgs := range []int{1, 10, 25, 100} {
		r := generateRoster("dep", orgs)
		if got, want := r.count(), orgs*objectsPerOrg; got != want {
			t.Errorf("orgs=%d: %d objects, want %d (31 per organization)", orgs, got, want)
		}
		if got, want := len(r.Namespaces), max(1, (orgs+9)/10); got != want {
			t.Errorf("orgs=%d: %d namespaces, want %d", orgs, got, want)
		}
		for kind, want := range map[string]int{kindOrganization: orgs, kindContact: 10 * orgs, kindRoleAssignment: 20 * orgs} {
			if got := len(r.ByKind[kind]); got != want {
				t.Errorf("orgs=%d: %d %s, want %d", orgs, got, kind, want)
			}
		}
		perNS := map[string]int{}
		for _, o := range r.ByKind[kindOrganization] {
			perNS[o.GetNamespace()]++
		}
		for ns, n := range perNS {
			if n > orgsPerNamespace || (n < orgsPerNamespace && ns != r.Namespaces[len(r.Namespaces)-1]) {
				t.Errorf("orgs=%d: namespace %s has %d organizations, want 10 (fewer only in the last)", orgs, ns, n)
			}
		}
		seen := map[string]bool{}
		for _, o := range r.objects() {
			key := o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
			if seen[key] {
				t.Errorf("orgs=%d: %s twice", orgs, key)
			}
			seen[key] = true
			if errs := validation.IsDNS1123Subdomain(o.GetName()); len(errs) > 0 {
				t.Errorf("%s: bad name: %v", key, errs)
			}
			if !slices.Contains(r.Namespaces, o.GetNamespace()) {
				t.Errorf("%s: namespace not in the roster's", key)
			}
		}
	}
}

// TestRosterFitsTheCatalogue evaluates each generated organization with the operator's own rules: every
// assignment takes effect (as the initial roster), no required role is vacant, emails are unique.
func TestRosterFitsTheCatalogue(t *testing.T) {
	r := generateRoster("dep", 12)
	created := metav1.NewTime(time.Now())
	for _, u := range r.ByKind[kindOrganization] {
		var org v1alpha1.Organization
		fromUnstructured(t, u, &org)
		org.CreationTimestamp = created
		in := roles.Input{Organization: &org}
		emails := map[string]bool{}
		for _, cu := range r.ByKind[kindContact] {
			var c v1alpha1.Contact
			fromUnstructured(t, cu, &c)
			if c.Namespace != org.Namespace || c.Spec.OrganizationRef.Name != org.Name {
				continue
			}
			if emails[strings.ToLower(c.Spec.Email)] {
				t.Errorf("%s: email %s used twice", c.Name, c.Spec.Email)
			}
			emails[strings.ToLower(c.Spec.Email)] = true
			in.Contacts = append(in.Contacts, c)
		}
		for _, au := range r.ByKind[kindRoleAssignment] {
			var ra v1alpha1.RoleAssignment
			fromUnstructured(t, au, &ra)
			if ra.Namespace != org.Namespace || ra.Spec.OrganizationRef.Name != org.Name {
				continue
			}
			ra.Generation, ra.CreationTimestamp = 1, metav1.NewTime(created.Add(time.Minute))
			in.Assignments = append(in.Assignments, ra)
		}
		if len(in.Contacts) != contactsPerOrg || len(in.Assignments) != assignmentsPer {
			t.Fatalf("%s: %d contacts and %d assignments, want 10 and 20", org.Name, len(in.Contacts), len(in.Assignments))
		}
		ev := roles.Evaluate(in)
		for name, res := range ev.Assignments {
			if !res.Effective {
				t.Errorf("%s/%s: not effective: %s: %s", org.Name, name, res.Reason, res.Message)
			}
		}
		if v := ev.Vacant(); len(v) > 0 {
			t.Errorf("%s: required roles vacant: %+v", org.Name, v)
		}
	}
}

func fromUnstructured(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

func TestConfigMapBaseline(t *testing.T) {
	r := generateRoster("dep", 15)
	cms := configMapBaseline(r, "base")
	if cms.count() != r.count() {
		t.Fatalf("%d ConfigMaps for %d objects", cms.count(), r.count())
	}
	if !slices.Equal(cms.Namespaces, []string{"base-000", "base-001"}) {
		t.Errorf("namespaces %v", cms.Namespaces)
	}
	for _, k := range dependencyOrder {
		for i, cm := range cms.ByKind[k] {
			if cm.GetKind() != "ConfigMap" || cm.GetName() != r.ByKind[k][i].GetName() ||
				!strings.HasPrefix(cm.GetNamespace(), "base-") {
				t.Errorf("%s %d: %s %s/%s", k, i, cm.GetKind(), cm.GetNamespace(), cm.GetName())
			}
		}
	}
}

func TestShuffledKindsIsNeverTheDependencyOrder(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, seed))
		order := shuffledKinds(rng)
		if slices.Equal(order, dependencyOrder) {
			t.Fatalf("seed %d: dependency order", seed)
		}
		sorted := slices.Sorted(slices.Values(order))
		if !slices.Equal(sorted, slices.Sorted(slices.Values(dependencyOrder))) {
			t.Fatalf("seed %d: %v is not a permutation of the kinds", seed, order)
		}
	}
}

func TestWriteYAML(t *testing.T) {
	r := generateRoster("dep", 1)
	path := filepath.Join(t.TempDir(), "x", "contacts.yaml")
	if err := writeYAML(path, r.ByKind[kindContact]); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if docs := strings.Count(string(b), "\n---\n") + 1; docs != contactsPerOrg {
		t.Errorf("%d documents, want %d", docs, contactsPerOrg)
	}
	if strings.Contains(string(b), "status") || strings.Contains(string(b), "creationTimestamp") {
		t.Errorf("the files should hold only what a user writes:\n%s", b)
	}
}
