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

package controllers_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/testsupport"
)

// Builders for the objects of one test namespace.

func organization(ns, name string, mutate ...func(*v1alpha1.Organization)) *v1alpha1.Organization {
	o := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.OrganizationSpec{DisplayName: name}}
	for _, m := range mutate {
		m(o)
	}
	return o
}

// initialRosterWindow sets spec.approval.initialRosterWindow: what the test creates at once is the
// initial roster, and afterInitialRoster waits until later creations are not.
func initialRosterWindow(d time.Duration) func(*v1alpha1.Organization) {
	return func(o *v1alpha1.Organization) { o.Spec.Approval.InitialRosterWindow = &metav1.Duration{Duration: d} }
}

// afterInitialRoster waits until the apiserver's clock (read from the creationTimestamp of probe objects)
// is past the organization's initial roster window, so that what the test creates next needs approval.
func afterInitialRoster(org *v1alpha1.Organization) {
	GinkgoHelper()
	ctx := context.Background()
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(org), org)).To(Succeed())
	end := org.CreationTimestamp.Add(org.Spec.Approval.InitialRosterWindow.Duration)
	Eventually(func(g Gomega) {
		probe := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: org.Namespace, GenerateName: "clock-"}}
		g.Expect(k8sClient.Create(ctx, probe)).To(Succeed())
		g.Expect(probe.CreationTimestamp.After(end)).To(BeTrue(), "the apiserver's clock is not past %s yet", end)
	}).WithPolling(500 * time.Millisecond).Should(Succeed())
}

func withScopes(names ...string) func(*v1alpha1.Organization) {
	return func(o *v1alpha1.Organization) {
		for _, n := range names {
			o.Spec.Scopes = append(o.Spec.Scopes, v1alpha1.Scope{Name: n})
		}
	}
}

func contact(ns, org, name string, mutate ...func(*v1alpha1.Contact)) *v1alpha1.Contact {
	c := &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: org}, Email: name + "@" + org + ".example"}}
	for _, m := range mutate {
		m(c)
	}
	return c
}

func assignment(ns, org, name, role, scope, holder string) *v1alpha1.RoleAssignment {
	return &v1alpha1.RoleAssignment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.RoleAssignmentSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: org}, Role: role, Scope: scope,
			ContactRef: v1alpha1.LocalObjectReference{Name: holder}}}
}

// create creates each object and fails the test on error.
func create(objs ...client.Object) {
	for _, o := range objs {
		ExpectWithOffset(1, k8sClient.Create(context.Background(), o)).To(Succeed(), "create %s", o.GetName())
	}
}

// conditionsOf returns the conditions of any Roster object.
func conditionsOf(obj client.Object) []metav1.Condition {
	switch o := obj.(type) {
	case *v1alpha1.Organization:
		return o.Status.Conditions
	case *v1alpha1.Contact:
		return o.Status.Conditions
	case *v1alpha1.RoleAssignment:
		return o.Status.Conditions
	case *v1alpha1.ContactTransfer:
		return o.Status.Conditions
	}
	return nil
}

// condition fetches obj and returns its condition of the given type (nil when absent), for Eventually.
func condition(obj client.Object, typ string) func(Gomega) *metav1.Condition {
	return func(g Gomega) *metav1.Condition {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		c := meta.FindStatusCondition(conditionsOf(obj), typ)
		if c != nil {
			// A condition is only current when it speaks of the object's current generation.
			g.Expect(c.ObservedGeneration).To(Equal(obj.GetGeneration()), "condition %s is stale", typ)
		}
		return c
	}
}

// haveStatus matches a condition with the given status and reason ("" for any reason).
func haveStatus(s metav1.ConditionStatus, reason string) OmegaMatcher {
	m := []OmegaMatcher{Not(BeNil()), HaveField("Status", s)}
	if reason != "" {
		m = append(m, HaveField("Reason", reason))
	}
	return And(m...)
}

// kstatusOf computes the kstatus of obj as Flux and Argo CD health checks do.
func kstatusOf(obj client.Object) func(Gomega) status.Status {
	return func(g Gomega) status.Status {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		g.Expect(err).NotTo(HaveOccurred())
		res, err := status.Compute(&unstructured.Unstructured{Object: raw})
		g.Expect(err).NotTo(HaveOccurred())
		return res.Status
	}
}

// samples reads config/samples/ into typed objects placed in ns.
func samples(ns string) []client.Object {
	var out []client.Object
	files, err := filepath.Glob(filepath.Join("..", "config", "samples", "*.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(files).NotTo(BeEmpty())
	for _, f := range files {
		data, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); err != nil {
				break
			}
			if len(u.Object) == 0 {
				continue
			}
			obj, err := scheme.New(u.GroupVersionKind())
			Expect(err).NotTo(HaveOccurred())
			Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj)).To(Succeed())
			co := obj.(client.Object)
			co.SetNamespace(ns)
			out = append(out, co)
		}
	}
	return out
}

func isAlreadyExists(err error) bool { return apierrors.IsAlreadyExists(err) }

func ptr[T any](v T) *T { return &v }

// BeStableFor succeeds when a polled value has not changed for the given duration.
var BeStableFor = testsupport.BeStableFor

// capturedNotifications is the Notifier of the tests: it keeps every notification, tokens included.
type capturedNotifications struct {
	mu   sync.Mutex
	list []notify.Notification
}

func (c *capturedNotifications) Notify(_ context.Context, n notify.Notification) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, n)
	return nil
}

// about returns the notifications of one type about one object.
func (c *capturedNotifications) about(namespace, name string, typ notify.Type) []notify.Notification {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []notify.Notification
	for _, n := range c.list {
		if n.Object.Namespace == namespace && n.Object.Name == name && n.Type == typ {
			out = append(out, n)
		}
	}
	return out
}

// tokens returns every token and code handed out so far.
func (c *capturedNotifications) tokens() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, n := range c.list {
		for _, r := range n.Recipients {
			for _, secret := range []string{r.Token, r.ApproveCode, r.RefuseCode} {
				if secret != "" {
					out = append(out, secret)
				}
			}
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fetched returns a condition of obj as last read (nil when absent).
func fetched(obj client.Object, typ string) *metav1.Condition {
	return meta.FindStatusCondition(conditionsOf(obj), typ)
}

const statusCurrent = status.CurrentStatus
