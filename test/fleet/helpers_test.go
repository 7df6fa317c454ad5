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

package fleet

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/testsupport"
)

// newNamespace creates a namespace with labels for one spec and deletes it afterwards.
func newNamespace(labels map[string]string) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "fleet-", Labels: labels}}
	Expect(k8sClient.Create(context.Background(), ns)).To(Succeed())
	DeferCleanup(func() { _ = k8sClient.Delete(context.Background(), ns) })
	return ns.Name
}

// rosterOf is one organization as make bench-scale generates it: 2 sites, 10 contacts and 20
// assignments (31 objects) in dependency order, all Ready without approval in the initial roster window.
func rosterOf(ns, org string, window time.Duration) []client.Object {
	o := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: org},
		Spec: v1alpha1.OrganizationSpec{DisplayName: org, Scopes: []v1alpha1.Scope{{Name: "site-a"}, {Name: "site-b"}}}}
	o.Spec.Approval.InitialRosterWindow = &metav1.Duration{Duration: window}
	objs := []client.Object{o}
	c := func(i int) string { return fmt.Sprintf("%s-c%d", org, i) }
	for i := range 10 {
		objs = append(objs, &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: c(i)},
			Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: org}, Email: c(i) + "@" + org + ".example"}})
	}
	for i, a := range []struct {
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
	} {
		objs = append(objs, &v1alpha1.RoleAssignment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-a%02d", org, i)},
			Spec: v1alpha1.RoleAssignmentSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: org}, Role: a.role, Scope: a.scope,
				ContactRef: v1alpha1.LocalObjectReference{Name: c(a.holder)}}})
	}
	return objs
}

// create creates each object and fails the spec on error.
func create(objs ...client.Object) {
	GinkgoHelper()
	for _, o := range objs {
		Expect(k8sClient.Create(context.Background(), o)).To(Succeed(), "create %s", o.GetName())
	}
}

// ready tells whether obj's Ready condition is True for its current generation.
func ready(obj client.Object) func(Gomega) bool {
	return func(g Gomega) bool {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		var conds []metav1.Condition
		switch o := obj.(type) {
		case *v1alpha1.Organization:
			conds = o.Status.Conditions
		case *v1alpha1.Contact:
			conds = o.Status.Conditions
		case *v1alpha1.RoleAssignment:
			conds = o.Status.Conditions
		case *v1alpha1.ContactTransfer:
			conds = o.Status.Conditions
		}
		c := meta.FindStatusCondition(conds, v1alpha1.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.GetGeneration()
	}
}

// allReady waits until every object is Ready.
func allReady(objs []client.Object) {
	GinkgoHelper()
	for _, o := range objs {
		Eventually(ready(o)).Should(BeTrue(), "%T %s", o, o.GetName())
	}
}

var BeStableFor = testsupport.BeStableFor
