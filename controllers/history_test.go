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
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/rosterctl"
)

// historyOf reads the organization's status.history.
func historyOf(org *v1alpha1.Organization) func(Gomega) []v1alpha1.HolderChange {
	return func(g Gomega) []v1alpha1.HolderChange {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(org), org)).To(Succeed())
		return org.Status.History
	}
}

// change matches a history entry by role, holder, previous holder and how.
func change(role, holder, previous string, how v1alpha1.HolderChangeKind) OmegaMatcher {
	return And(HaveField("Role", role), HaveField("Holder", holder), HaveField("Previous", previous), HaveField("How", how))
}

// approvedVia matches an entry's approval.
func approvedVia(contact string, via v1alpha1.DecisionChannel, user string) OmegaMatcher {
	return And(HaveField("Contact", contact), HaveField("Via", via), HaveField("User", user), HaveField("DecidedAt", Not(BeNil())))
}

// gone waits until the object no longer exists.
func gone(obj client.Object) {
	GinkgoHelper()
	Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj))
	}).Should(BeTrue(), "%s is still there", obj.GetName())
}

var _ = Describe("Holder history", func() {
	ctx := context.Background()

	It("records a year of changes with their approvers and requesters, across a restart and after the assignment is gone", func() {
		ns := newNamespace()
		// The year starts 365 days ago on the operator's clock and moves forward with each change: a
		// transfer's expiry counts from its creation on the apiserver's clock, always ahead.
		skipAhead(-365 * 24 * time.Hour)
		start := testNow()
		org := organization(ns, "acme")
		create(org)
		for _, name := range []string{"alice", "bob", "carol", "dave", "erin", "frank", "gina"} {
			create(contact(ns, "acme", name))
		}
		create(assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-technical", "technical", "", "dave"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"),
			assignment(ns, "acme", "acme-shipping", "shipping", "", "frank"))
		Eventually(historyOf(org)).Should(ConsistOf(
			change("primary", "alice", "", v1alpha1.HolderChangeInitialRoster), change("technical", "dave", "", v1alpha1.HolderChangeInitialRoster),
			change("billing", "bob", "", v1alpha1.HolderChangeInitialRoster), change("shipping", "frank", "", v1alpha1.HolderChangeInitialRoster)))
		Expect(org.Status.History).To(HaveEach(And(HaveField("User", operatorUsername), HaveField("Assignment", HavePrefix("acme-")))))
		billing, technical := assignment(ns, "acme", "acme-billing", "", "", ""), assignment(ns, "acme", "acme-technical", "", "", "")

		By("two months later an editor asks, for alice, to move billing to carol: alice approves by link, carol by annotation")
		skipAhead(60 * 24 * time.Hour)
		toCarol := transfer(ns, "billing-to-carol", "billing", "", "bob", "carol", "alice")
		Expect(editorIn(ns).Create(ctx, toCarol)).To(Succeed())
		resp, err := http.PostForm(approvalPage.URL+"/approve/"+string(toCarol.UID),
			url.Values{"token": {tokenOf(toCarol, "alice", 1)}, "decision": {"Approved"}})
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		annotate(toCarol, v1alpha1.ApproveAnnotation, approveCode(toCarol, "carol", 1))
		Eventually(holderOf(billing)).Should(Equal("carol"))
		Eventually(historyOf(org)).Should(HaveLen(5), "recorded before the clock moves on")

		By("three months later break-glass moves technical to erin, overriding both parties")
		skipAhead(90 * 24 * time.Hour)
		toErin := transfer(ns, "technical-to-erin", "technical", "", "dave", "erin", "alice")
		create(toErin)
		Eventually(func() []string { return partiesOf(fetch(toErin)) }).Should(ContainElements("alice", "erin"))
		breakglass := breakglassIn(ns)
		Expect(mergePatch(breakglass, toErin, false, `{"metadata":{"annotations":{"roster.dev/override":"alice=Approved"}}}`)).To(Succeed())
		Eventually(decisionOf(toErin, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Expect(mergePatch(breakglass, toErin, false, `{"metadata":{"annotations":{"roster.dev/override":"erin=Approved"}}}`)).To(Succeed())
		Eventually(holderOf(technical)).Should(Equal("erin"))
		Eventually(historyOf(org)).Should(HaveLen(6), "recorded before the clock moves on")

		By("three months later carol is disabled with gina as successor, and the reassignment is approved")
		skipAhead(90 * 24 * time.Hour)
		carol := contact(ns, "acme", "carol")
		edit(carol, func() {
			carol.Spec.Disabled, carol.Spec.ReassignTo = true, &v1alpha1.LocalObjectReference{Name: "gina"}
		})
		reassign := reassignmentOf(ns, "billing")
		annotate(reassign, v1alpha1.ApproveAnnotation, approveCode(reassign, "gina", 1))
		Eventually(decisionOf(reassign, "gina")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		annotate(reassign, v1alpha1.ApproveAnnotation, approveCode(reassign, "alice", 1))
		Eventually(holderOf(billing)).Should(Equal("gina"))
		Eventually(historyOf(org)).Should(HaveLen(7), "recorded before the clock moves on")

		By("two months later mallory deletes the shipping assignment: frank is told, and the deletion is recorded")
		skipAhead(60 * 24 * time.Hour)
		shipping := assignment(ns, "acme", "acme-shipping", "", "", "")
		Expect(fetch(shipping).Finalizers).To(ContainElement(v1alpha1.AssignmentFinalizer), "set at admission")
		Expect(mallory().Delete(ctx, shipping)).To(Succeed())
		gone(shipping)
		Eventually(func() []notify.Notification { return sent.about(ns, "acme", notify.RoleRevoked) }).Should(ContainElement(
			HaveField("Recipients", ContainElement(HaveField("Contact", "frank")))))

		want := []OmegaMatcher{
			change("primary", "alice", "", v1alpha1.HolderChangeInitialRoster), change("technical", "dave", "", v1alpha1.HolderChangeInitialRoster),
			change("billing", "bob", "", v1alpha1.HolderChangeInitialRoster), change("shipping", "frank", "", v1alpha1.HolderChangeInitialRoster),
			And(change("billing", "carol", "bob", v1alpha1.HolderChangeTransfer), HaveField("Transfer", "billing-to-carol"),
				HaveField("RequestedBy", "alice"), HaveField("User", "editor"), HaveField("Assignment", "acme-billing"),
				HaveField("Approvals", ConsistOf(approvedVia("alice", v1alpha1.DecisionViaLink, ""), approvedVia("carol", v1alpha1.DecisionViaAnnotation, "")))),
			And(change("technical", "erin", "dave", v1alpha1.HolderChangeOverride), HaveField("Transfer", "technical-to-erin"),
				HaveField("RequestedBy", "alice"), HaveField("User", operatorUsername),
				HaveField("Approvals", ConsistOf(approvedVia("alice", v1alpha1.DecisionViaOverride, "breakglass"), approvedVia("erin", v1alpha1.DecisionViaOverride, "breakglass")))),
			And(change("billing", "gina", "carol", v1alpha1.HolderChangeReassignment), HaveField("Transfer", reassign.Name), HaveField("User", ""),
				HaveField("Approvals", ConsistOf(approvedVia("gina", v1alpha1.DecisionViaAnnotation, ""), approvedVia("alice", v1alpha1.DecisionViaAnnotation, "")))),
			And(change("shipping", "", "frank", v1alpha1.HolderChangeDeletion), HaveField("User", "mallory"), HaveField("Assignment", "acme-shipping")),
		}
		Eventually(historyOf(org)).Should(HaveExactElements(want))
		recorded := org.Status.History
		for i := 1; i < len(recorded); i++ {
			Expect(recorded[i].Since.Before(&recorded[i-1].Since)).To(BeFalse(), "entry %d is older than the one before it", i)
		}
		Expect(recorded[len(recorded)-1].Since.Sub(start)).To(BeNumerically(">", 290*24*time.Hour))

		By("the operator restarts: the history is neither lost nor repeated")
		restartManager()
		edit(org, func() { org.Annotations = map[string]string{"example.com/touched": "after-restart"} })
		Consistently(historyOf(org)).WithTimeout(3 * time.Second).Should(HaveExactElements(want))

		By("the billing assignment goes too: its changes stay in the history")
		Expect(mallory().Delete(ctx, billing)).To(Succeed())
		gone(billing)
		Eventually(historyOf(org)).Should(HaveExactElements(append(want,
			And(change("billing", "", "gina", v1alpha1.HolderChangeDeletion), HaveField("User", "mallory")))))
		Expect(fetch(toCarol).Status.CompletedAt).NotTo(BeNil(), "the settled transfer stays as an audit record")

		By("kubectl roster history prints each change of billing, with its approvers, requester and user")
		var out bytes.Buffer
		Expect(rosterctl.Print(&out, "csv", rosterctl.History(fetch(org), rosterctl.HistoryFilter{Role: "billing"}), rosterctl.PrintOptions{})).To(Succeed())
		Expect(strings.Split(strings.TrimSpace(out.String()), "\n")).To(HaveExactElements(
			HaveSuffix("since,role,scope,holder,previous,how,approvals,requestedBy,user,transfer,assignment"),
			And(ContainSubstring(",billing,,bob,,InitialRoster,,,"+operatorUsername+",,acme-billing")),
			And(ContainSubstring(",billing,,carol,bob,Transfer,"), ContainSubstring("alice via Link at "), ContainSubstring("carol via Annotation at "),
				HaveSuffix(",alice,editor,billing-to-carol,acme-billing")),
			And(ContainSubstring(",billing,,gina,carol,Reassignment,"), ContainSubstring("gina via Annotation at "), ContainSubstring("alice via Annotation at "),
				HaveSuffix(","+reassign.Name+",acme-billing")),
			HaveSuffix(",billing,,,gina,Deletion,,,mallory,,acme-billing"),
		), out.String())
	})

	It("keeps the settled transfers up to spec.approval.historyLimit, owned by the organization", func() {
		ns := newNamespace()
		org := organization(ns, "acme", func(o *v1alpha1.Organization) { o.Spec.Approval.HistoryLimit = ptr(int32(1)) })
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "carol"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"), assignment(ns, "acme", "acme-billing", "billing", "", "bob"))
		billing := assignment(ns, "acme", "acme-billing", "", "", "")
		Eventually(holderOf(billing)).Should(Equal("bob"))

		move := func(name, from, to string) *v1alpha1.ContactTransfer {
			GinkgoHelper()
			t := transfer(ns, name, "billing", "", from, to, "alice")
			create(t)
			annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
			Eventually(decisionOf(t, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
			annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, to, 1))
			Eventually(holderOf(billing)).Should(Equal(to))
			Eventually(condition(t, v1alpha1.CompletedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
			Expect(fetch(t).OwnerReferences).To(ConsistOf(And(HaveField("Kind", "Organization"), HaveField("Name", "acme"))))
			return t
		}
		first := move("billing-to-carol", "bob", "carol")
		// Completion times have whole seconds: the second transfer completes in a later one.
		skipAhead(2 * time.Second)
		second := move("billing-to-bob", "carol", "bob")
		gone(first)
		Consistently(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(second), second) }).Should(Succeed())
	})

	It("lets a namespace or an organization with 20 assignments go without holding them", func() {
		for _, teardown := range []string{"organization", "namespace"} {
			ns := newNamespace()
			org := organization(ns, "acme")
			create(org, contact(ns, "acme", "alice"), assignment(ns, "acme", "acme-primary", "primary", "", "alice"))
			var all []client.Object
			for i := range 20 {
				name := fmt.Sprintf("c%02d", i)
				create(contact(ns, "acme", name))
				ra := assignment(ns, "acme", "acme-security-"+name, "security-updates", "", name)
				create(ra)
				all = append(all, ra)
			}
			Eventually(func(g Gomega) {
				g.Expect(historyOf(org)(g)).To(HaveLen(21))
				for _, ra := range all {
					g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ra), ra)).To(Succeed())
					g.Expect(ra.GetFinalizers()).To(ContainElement(v1alpha1.AssignmentFinalizer))
				}
			}).Should(Succeed())
			if teardown == "organization" {
				Expect(k8sClient.Delete(ctx, org)).To(Succeed())
				gone(org)
			} else {
				Expect(k8sClient.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
			}
			// Garbage collection (or the namespace controller) deletes the assignments; envtest runs
			// neither, so the test does.
			for _, ra := range append(all, assignment(ns, "acme", "acme-primary", "", "", "")) {
				Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, ra))).To(Succeed())
			}
			for _, ra := range all {
				gone(ra)
			}
			Expect(sent.about(ns, "acme", notify.RoleRevoked)).To(BeEmpty(), "a teardown tells no one of each role: %s", teardown)
		}
	})
})

var _ = Describe("Security: holder history", func() {
	ctx := context.Background()

	It("cannot be forged or erased through Roster's API, even by a cluster-admin", func() {
		ns := newNamespace()
		org := organization(ns, "acme")
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), assignment(ns, "acme", "acme-primary", "primary", "", "alice"))
		Eventually(historyOf(org)).Should(HaveLen(1))

		By("the author of an assignment is the request's user, whatever the client wrote")
		shipping := assignment(ns, "acme", "acme-shipping", "shipping", "", "bob")
		shipping.Annotations = map[string]string{v1alpha1.ChangedByAnnotation: "alice", v1alpha1.DeletedByAnnotation: "alice"}
		Expect(mallory().Create(ctx, shipping)).To(Succeed())
		Expect(fetch(shipping).Annotations).To(And(HaveKeyWithValue(v1alpha1.ChangedByAnnotation, "mallory"), Not(HaveKey(v1alpha1.DeletedByAnnotation))))
		Expect(mergePatch(mallory(), shipping, false, `{"metadata":{"annotations":{"roster.dev/changed-by":"alice","roster.dev/deleted-by":"alice"}}}`)).To(Succeed())
		Expect(fetch(shipping).Annotations).To(And(HaveKeyWithValue(v1alpha1.ChangedByAnnotation, "mallory"), Not(HaveKey(v1alpha1.DeletedByAnnotation))))
		Eventually(historyOf(org)).Should(ContainElement(And(change("shipping", "bob", "", v1alpha1.HolderChangeInitialRoster), HaveField("User", "mallory"))))

		By("status.history is written by the operator only")
		expectForbidden(mergePatch(mallory(), org, true, `{"status":{"history":[]}}`), "organizations.roster.dev", operatorOnly)
		expectForbidden(mergePatch(mallory(), org, true,
			`{"status":{"history":[{"role":"shipping","holder":"alice","since":"2026-01-01T00:00:00Z","how":"InitialRoster"}]}}`), operatorOnly)
		Expect(historyOf(org)(Default)).To(ContainElement(change("shipping", "bob", "", v1alpha1.HolderChangeInitialRoster)))

		By("a dry run of a deletion stamps nobody")
		Expect(mallory().Delete(ctx, shipping, client.DryRunAll)).To(Succeed())
		Expect(fetch(shipping).Annotations).NotTo(HaveKey(v1alpha1.DeletedByAnnotation))
		Expect(shipping.DeletionTimestamp).To(BeNil())

		By("the deleting user is recorded, not a name the client chose")
		Expect(mallory().Delete(ctx, shipping)).To(Succeed())
		gone(shipping)
		Eventually(historyOf(org)).Should(ContainElement(And(change("shipping", "", "bob", v1alpha1.HolderChangeDeletion), HaveField("User", "mallory"))))
	})

	It("takes a transfer for the operator's own only when the operator opened it", func() {
		ns := newNamespace()
		org := organization(ns, "acme")
		billing := assignment(ns, "acme", "acme-billing", "billing", "", "bob")
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "carol"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"), billing)
		Eventually(historyOf(org)).Should(HaveLen(2))
		billing = fetch(billing)

		// Marked as the operator's, a transfer would be bound to the assignment it names, and its entry in
		// the history credited to that assignment's author instead of naming who created it.
		By("a cluster-admin cannot create a transfer with the operator's marks")
		forged := func(mark func(*v1alpha1.ContactTransfer)) *v1alpha1.ContactTransfer {
			t := transfer(ns, "billing-to-carol", "billing", "", "bob", "carol", "alice")
			mark(t)
			return t
		}
		expectForbidden(mallory().Create(ctx, forged(func(t *v1alpha1.ContactTransfer) {
			t.Labels = map[string]string{v1alpha1.PurposeLabel: v1alpha1.HolderChangePurpose}
		})), "metadata.labels[roster.dev/purpose]", `user "mallory"`)
		expectForbidden(mallory().Create(ctx, forged(func(t *v1alpha1.ContactTransfer) {
			t.Annotations = map[string]string{v1alpha1.OpenedForAnnotation: billing.Name, v1alpha1.OpenedForUIDAnnotation: string(billing.UID)}
		})), "metadata.annotations[roster.dev/opened-for-uid]")
		expectForbidden(mallory().Create(ctx, forged(func(t *v1alpha1.ContactTransfer) {
			t.OwnerReferences = []metav1.OwnerReference{{APIVersion: v1alpha1.GroupVersion.String(), Kind: "RoleAssignment",
				Name: billing.Name, UID: billing.UID, Controller: ptr(true)}}
		})), "metadata.ownerReferences")

		By("nor add them later; the same transfer without them is admitted")
		plain := forged(func(*v1alpha1.ContactTransfer) {})
		Expect(mallory().Create(ctx, plain)).To(Succeed())
		expectForbidden(mergePatch(mallory(), plain, false, `{"metadata":{"labels":{"roster.dev/purpose":"holder-change"}}}`),
			"metadata.labels[roster.dev/purpose]")
		Expect(fetch(plain).Spec.Username).To(Equal("mallory"))
	})
})
