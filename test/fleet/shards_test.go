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
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
)

const shardLabel = "roster.dev/shard"

var _ = Describe("Shards", func() {
	It("reconcile, admit and serve approvals only for the organizations of their own namespaces", func() {
		nsA := newNamespace(map[string]string{shardLabel: "a"})
		nsB := newNamespace(map[string]string{shardLabel: "b"})
		portA, portB := testEnv.WebhookInstallOptions.LocalServingPort, freePort()
		// Each shard's webhooks see its namespaces only, as each shard's kustomize overlay sets them.
		shardWebhooks("a", portA, false)
		shardWebhooks("b", portB, true)
		opA := startOperator(operatorOptions{shardSelector: shardLabel + "=a", webhookPort: portA})
		opB := startOperator(operatorOptions{shardSelector: shardLabel + "=b", webhookPort: portB})

		acme, globex := rosterOf(nsA, "acme", time.Hour), rosterOf(nsB, "globex", time.Hour)
		create(acme...)
		create(globex...)
		allReady(acme)
		allReady(globex)
		Expect(opA.writes.namespaces()).To(And(HaveKey(nsA), Not(HaveKey(nsB))))
		Expect(opB.writes.namespaces()).To(And(HaveKey(nsB), Not(HaveKey(nsA))))

		By("each shard's approval page knows its own transfers only")
		inA, inB := pendingTransfer(nsA, "acme"), pendingTransfer(nsB, "globex")
		Expect(approvalPage(opA, inA)).To(Equal(http.StatusOK))
		Expect(approvalPage(opB, inB)).To(Equal(http.StatusOK))
		Expect(approvalPage(opA, inB)).NotTo(Equal(http.StatusOK))
		Expect(approvalPage(opB, inA)).NotTo(Equal(http.StatusOK))

		By("admission of a shard's namespaces goes to that shard only")
		opB.stop()
		create(&v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Namespace: nsA, Name: "late"},
			Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Email: "late@acme.example"}})
		err := k8sClient.Create(context.Background(), &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Namespace: nsB, Name: "late"},
			Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "globex"}, Email: "late@globex.example"}})
		Expect(err).To(MatchError(ContainSubstring("failed calling webhook")), "shard b's webhooks are down, and shard a's do not answer for it")
	})
})

var _ = Describe("Leader election", func() {
	It("lets the standby complete a pending transfer within 20 s when the leader stops", func() {
		withoutWebhooks()
		ns := newNamespace(nil)
		leader := startOperator(operatorOptions{leaderElection: true})
		Eventually(leader.leads).Should(BeTrue())
		standby := startOperator(operatorOptions{leaderElection: true})
		Consistently(standby.leads).WithTimeout(time.Second).Should(BeFalse())

		objs := rosterOf(ns, "acme", time.Hour)
		create(objs...)
		allReady(objs)
		t := pendingTransfer(ns, "acme")
		Expect(standby.writes.namespaces()).NotTo(HaveKey(ns), "a standby writes nothing")

		leader.stop()
		stopped := time.Now()
		completed := func(g Gomega) bool {
			g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(t), t)).To(Succeed())
			return meta.IsStatusConditionTrue(t.Status.Conditions, v1alpha1.CompletedCondition)
		}
		for _, a := range t.DeepCopy().Status.Approvals {
			if completed(Default) {
				break
			}
			patch := []byte(`{"metadata":{"annotations":{"` + v1alpha1.ApproveAnnotation + `":"` +
				keys.Token(t.UID, 1, a.Contact, approval.PurposeApprove) + `"}}}`)
			Expect(k8sClient.Patch(context.Background(), t, client.RawPatch("application/merge-patch+json", patch))).To(Succeed())
			Eventually(func(g Gomega) bool {
				if completed(g) {
					return true
				}
				for _, row := range t.Status.Approvals {
					if row.Contact == a.Contact {
						return row.Decision == v1alpha1.DecisionApproved
					}
				}
				return false
			}).WithTimeout(20*time.Second-time.Since(stopped)).Should(BeTrue(), a.Contact)
		}
		Eventually(completed).WithTimeout(20*time.Second - time.Since(stopped)).Should(BeTrue())
		Expect(standby.leads()).To(BeTrue())
		GinkgoWriter.Printf("completed %v after the leader stopped\n", time.Since(stopped))
	})
})

// pendingTransfer asks for the billing role of org to move from its holder (contact 2) to contact 3, on
// the primary contact's request, and waits until the operator has listed the parties.
func pendingTransfer(ns, org string) *v1alpha1.ContactTransfer {
	GinkgoHelper()
	t := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: org + "-billing"},
		Spec: v1alpha1.ContactTransferSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: org}, Role: "billing",
			From: &v1alpha1.LocalObjectReference{Name: org + "-c2"}, To: v1alpha1.LocalObjectReference{Name: org + "-c3"},
			RequestedBy: &v1alpha1.LocalObjectReference{Name: org + "-c0"}, Reason: "the billing contact leaves"}}
	create(t)
	Eventually(func(g Gomega) []v1alpha1.PartyApproval {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(t), t)).To(Succeed())
		return t.Status.Approvals
	}).ShouldNot(BeEmpty())
	return t
}

// approvalPage returns the status of op's approval page for the incoming contact's link to t.
func approvalPage(op *operator, t *v1alpha1.ContactTransfer) int {
	GinkgoHelper()
	token := keys.Token(t.UID, 1, t.Spec.To.Name, approval.PurposeLink)
	resp, err := http.Get(approval.Link(op.page.URL, t.UID, token))
	Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	return resp.StatusCode
}

// shardWebhooks points the webhooks at one shard's server for the namespaces labelled with its name:
// the installed configurations become shard a's (restored after the spec); copies serve other shards.
func shardWebhooks(name string, port int, copy bool) {
	GinkgoHelper()
	ctx := context.Background()
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{shardLabel: name}}
	retarget := func(cc *admissionregistrationv1.WebhookClientConfig) {
		if cc.URL != nil {
			host, path, _ := strings.Cut(strings.TrimPrefix(*cc.URL, "https://"), "/")
			h, _, _ := strings.Cut(host, ":")
			url := "https://" + h + ":" + strconv.Itoa(port) + "/" + path
			cc.URL = &url
		}
	}
	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Name: "mutating-webhook-configuration"}, mutating)).To(Succeed())
	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Name: "validating-webhook-configuration"}, validating)).To(Succeed())
	if !copy {
		savedM, savedV := mutating.DeepCopy(), validating.DeepCopy()
		DeferCleanup(func() { restore(savedM, savedV) })
	}
	for i := range mutating.Webhooks {
		mutating.Webhooks[i].NamespaceSelector = selector
		retarget(&mutating.Webhooks[i].ClientConfig)
	}
	for i := range validating.Webhooks {
		validating.Webhooks[i].NamespaceSelector = selector
		retarget(&validating.Webhooks[i].ClientConfig)
	}
	if !copy {
		Expect(k8sClient.Update(ctx, mutating)).To(Succeed())
		Expect(k8sClient.Update(ctx, validating)).To(Succeed())
		return
	}
	for _, obj := range []client.Object{mutating, validating} {
		obj.SetName(obj.GetName() + "-shard-" + name)
		obj.SetResourceVersion("")
		obj.SetUID("")
		Expect(k8sClient.Create(ctx, obj)).To(Succeed())
		DeferCleanup(func() { _ = k8sClient.Delete(context.Background(), obj) })
	}
}

// withoutWebhooks removes the webhook configurations for one spec, whose operators serve none.
func withoutWebhooks() {
	GinkgoHelper()
	ctx := context.Background()
	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Name: "mutating-webhook-configuration"}, mutating)).To(Succeed())
	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Name: "validating-webhook-configuration"}, validating)).To(Succeed())
	Expect(k8sClient.Delete(ctx, mutating)).To(Succeed())
	Expect(k8sClient.Delete(ctx, validating)).To(Succeed())
	DeferCleanup(func() {
		for _, obj := range []client.Object{mutating, validating} {
			obj.SetResourceVersion("")
			obj.SetUID("")
			Expect(k8sClient.Create(context.Background(), obj)).To(Succeed())
		}
	})
}

// restore puts back the installed webhook configurations.
func restore(mutating *admissionregistrationv1.MutatingWebhookConfiguration, validating *admissionregistrationv1.ValidatingWebhookConfiguration) {
	ctx := context.Background()
	current := &admissionregistrationv1.MutatingWebhookConfiguration{}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(mutating), current)).To(Succeed())
	current.Webhooks = mutating.Webhooks
	Expect(k8sClient.Update(ctx, current)).To(Succeed())
	currentV := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(validating), currentV)).To(Succeed())
	currentV.Webhooks = validating.Webhooks
	Expect(k8sClient.Update(ctx, currentV)).To(Succeed())
}
