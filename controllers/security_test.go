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
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
)

// These specs play the attacks of docs/security.md: each proves that an attempt to give a two-party role
// to someone without two approvals is refused, or waits for the approvals.
var _ = Describe("Security: one rule for every path to a two-party role", func() {
	ctx := context.Background()
	var ns string
	var org *v1alpha1.Organization

	// acme after its initial roster: alice primary, carol administrative, bob billing, dave technical;
	// frank and mallory hold nothing, olga is Overdue.
	setup := func(mutate ...func(*v1alpha1.Organization)) {
		ns = newNamespace()
		org = organization(ns, "acme", append([]func(*v1alpha1.Organization){initialRosterWindow(3 * time.Second)}, mutate...)...)
		create(org,
			contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "carol"), contact(ns, "acme", "dave"),
			contact(ns, "acme", "frank"), contact(ns, "acme", "mallory"),
			contact(ns, "acme", "olga", func(c *v1alpha1.Contact) { c.Spec.AccountStanding = v1alpha1.AccountStandingOverdue }),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-admin", "administrative", "", "carol"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"),
			assignment(ns, "acme", "acme-technical", "technical", "", "dave"))
		for _, name := range []string{"acme-primary", "acme-admin", "acme-billing", "acme-technical"} {
			Eventually(condition(assignment(ns, "acme", name, "", "", ""), v1alpha1.ReadyCondition)).Should(
				haveStatus(metav1.ConditionTrue, v1alpha1.InitialRosterReason))
		}
		afterInitialRoster(org)
	}

	// gatedTransferOf waits for the transfer the operator opens for an assignment and returns it.
	gatedTransferOf := func(ra *v1alpha1.RoleAssignment) *v1alpha1.ContactTransfer {
		GinkgoHelper()
		Eventually(func() string { return fetch(ra).Status.Transfer }).ShouldNot(BeEmpty())
		return &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ra.Status.Transfer}}
	}

	It("Security #1: a deleted and recreated assignment of a two-party role waits for two approvals", func() {
		setup()
		billing := assignment(ns, "acme", "acme-billing", "", "", "")
		Expect(k8sClient.Delete(ctx, billing)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(billing), billing))
		}).Should(BeTrue())

		grab := assignment(ns, "acme", "acme-billing", "billing", "", "mallory")
		create(grab)
		Eventually(condition(grab, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		t := gatedTransferOf(grab)
		Eventually(func() []v1alpha1.PartyApproval { return fetch(t).Status.Approvals }).Should(ConsistOf(
			And(HaveField("Contact", "mallory"), HaveField("As", v1alpha1.PartyIncoming)),
			And(HaveField("Contact", "alice"), HaveField("As", v1alpha1.PartyInitiator)),
			And(HaveField("Contact", "carol"), HaveField("As", v1alpha1.PartyInitiator))))

		// mallory's own approval is not enough.
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "mallory", 1))
		Eventually(decisionOf(t, "mallory")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Consistently(holderOf(grab)).WithTimeout(2 * time.Second).Should(BeEmpty())
		Expect(fetch(org).Status.Roles).To(ContainElement(And(HaveField("Role", "billing"), HaveField("Holders", BeEmpty()))))

		// An initiator's approval completes it.
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "carol", 1))
		Eventually(holderOf(grab)).Should(Equal("mallory"))
		Eventually(condition(grab, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.TransferCompletedReason))
	})

	It("Security #1: a new assignment for a vacant two-party place checks good standing", func() {
		setup()
		billing := assignment(ns, "acme", "acme-billing", "", "", "")
		Expect(k8sClient.Delete(ctx, billing)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(billing), billing))
		}).Should(BeTrue())

		overdue := assignment(ns, "acme", "acme-billing-olga", "billing", "", "olga")
		create(overdue)
		Eventually(condition(overdue, v1alpha1.ReadyCondition)).Should(And(
			haveStatus(metav1.ConditionFalse, v1alpha1.TransferRefusedReason), HaveField("Message", ContainSubstring("unpaid invoices"))))
		Consistently(holderOf(overdue)).Should(BeEmpty())
	})

	It("Security #2: disabling the primary with a successor, then repointing it, still needs the disabled holder", func() {
		setup()
		alice := contact(ns, "acme", "alice")
		edit(alice, func() { alice.Spec.Disabled, alice.Spec.ReassignTo = true, &v1alpha1.LocalObjectReference{Name: "bob"} })

		primary := assignment(ns, "acme", "acme-primary", "", "", "")
		Eventually(condition(primary, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		Expect(primary.Status.Holder).To(Equal("alice"), "the disabled holder keeps the role until its reassignment is approved")

		edit(primary, func() { primary.Spec.ContactRef.Name = "mallory" })
		t := gatedTransferOf(primary)
		Expect(fetch(t).Spec.From.Name).To(Equal("alice"))
		Eventually(func() []string { return partiesOf(fetch(t)) }).Should(ConsistOf("mallory", "alice", "carol"))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "mallory", 1))
		Eventually(decisionOf(t, "mallory")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Consistently(holderOf(primary)).WithTimeout(2 * time.Second).Should(Equal("alice"))
	})

	It("Security #3: a reassignment on disable needs the successor and an initiator, never the successor alone", func() {
		setup()
		bob := contact(ns, "acme", "bob")
		edit(bob, func() { bob.Spec.Disabled, bob.Spec.ReassignTo = true, &v1alpha1.LocalObjectReference{Name: "mallory"} })

		billing := assignment(ns, "acme", "acme-billing", "", "", "")
		t := reassignmentOf(ns, "billing")
		Eventually(func() []string { return partiesOf(fetch(t)) }).Should(ConsistOf("mallory", "alice", "bob", "carol"))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "mallory", 1))
		Eventually(decisionOf(t, "mallory")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Consistently(holderOf(billing)).WithTimeout(2 * time.Second).Should(Equal("bob"))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
		Eventually(holderOf(billing)).Should(Equal("mallory"))
	})

	It("Security: disabling the only initiator with a successor still needs the disabled holder's approval", func() {
		ns = newNamespace()
		org = organization(ns, "solo", initialRosterWindow(3*time.Second))
		create(org, contact(ns, "solo", "alice"), contact(ns, "solo", "bob"),
			assignment(ns, "solo", "solo-primary", "primary", "", "alice"))
		primary := assignment(ns, "solo", "solo-primary", "", "", "")
		Eventually(holderOf(primary)).Should(Equal("alice"))
		afterInitialRoster(org)

		alice := contact(ns, "solo", "alice")
		edit(alice, func() { alice.Spec.Disabled, alice.Spec.ReassignTo = true, &v1alpha1.LocalObjectReference{Name: "bob"} })
		t := reassignmentOf(ns, "primary")
		Eventually(func() []string { return partiesOf(fetch(t)) }).Should(ConsistOf("bob", "alice"))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "bob", 1))
		Eventually(decisionOf(t, "bob")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Consistently(holderOf(primary)).WithTimeout(2 * time.Second).Should(Equal("alice"))
		// The disabled holder still gets its code, and its approval completes the move.
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
		Eventually(holderOf(primary)).Should(Equal("bob"))
	})

	It("Security: an initiator cannot approve its own promotion", func() {
		setup()
		// carol, the administrative contact, asks for billing for herself.
		t := transfer(ns, "carol-takes-billing", "billing", "", "bob", "carol", "carol")
		create(t)
		Eventually(func() []string { return partiesOf(fetch(t)) }).Should(ConsistOf("carol", "alice", "bob"))
		Expect(t.Status.Approvals).To(ContainElement(And(HaveField("Contact", "carol"), HaveField("As", v1alpha1.PartyIncoming))))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "carol", 1))
		Eventually(decisionOf(t, "carol")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Consistently(condition(t, v1alpha1.ApprovedCondition)).WithTimeout(2 * time.Second).ShouldNot(haveStatus(metav1.ConditionTrue, ""))
		Expect(holderOf(assignment(ns, "acme", "acme-billing", "", "", ""))(Default)).To(Equal("bob"))
	})

	It("Security #4: a completed transfer approves no later change, and an Overdue contact blocks a hand-made repoint", func() {
		setup()
		billing := assignment(ns, "acme", "acme-billing", "", "", "")
		// bob -> frank, approved and completed.
		first := transfer(ns, "to-frank", "billing", "", "bob", "frank", "alice")
		create(first)
		annotate(first, v1alpha1.ApproveAnnotation, approveCode(first, "alice", 1))
		Eventually(decisionOf(first, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		annotate(first, v1alpha1.ApproveAnnotation, approveCode(first, "frank", 1))
		Eventually(condition(first, v1alpha1.CompletedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		// frank -> bob, approved and completed.
		back := transfer(ns, "back-to-bob", "billing", "", "frank", "bob", "alice")
		create(back)
		annotate(back, v1alpha1.ApproveAnnotation, approveCode(back, "alice", 1))
		Eventually(decisionOf(back, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		annotate(back, v1alpha1.ApproveAnnotation, approveCode(back, "bob", 1))
		Eventually(holderOf(billing)).Should(Equal("bob"))

		// Pointing the assignment at frank again is a new change: the old approval of bob -> frank does not count.
		edit(billing, func() { billing.Spec.ContactRef.Name = "frank" })
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		Consistently(holderOf(billing)).WithTimeout(2 * time.Second).Should(Equal("bob"))
		edit(billing, func() { billing.Spec.ContactRef.Name = "bob" })
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))

		// bob -> mallory, approved by alice, but mallory turns Overdue before it moves: the transfer stops,
		// and repointing the assignment by hand does not move the role either (an approved transfer waiting
		// on an Overdue account is proved in package roles: TestSecurityOneRuleForEveryPath).
		third := transfer(ns, "to-mallory", "billing", "", "bob", "mallory", "alice")
		create(third)
		annotate(third, v1alpha1.ApproveAnnotation, approveCode(third, "alice", 1))
		Eventually(decisionOf(third, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		mallory := contact(ns, "acme", "mallory")
		edit(mallory, func() { mallory.Spec.AccountStanding = v1alpha1.AccountStandingOverdue })
		annotate(third, v1alpha1.ApproveAnnotation, approveCode(third, "mallory", 1))
		Eventually(condition(third, v1alpha1.ReadyCondition)).Should(And(haveStatus(metav1.ConditionFalse, v1alpha1.InvalidTransferReason),
			HaveField("Message", ContainSubstring("unpaid invoices"))))
		edit(billing, func() { billing.Spec.ContactRef.Name = "mallory" })
		Consistently(holderOf(billing)).WithTimeout(2 * time.Second).Should(Equal("bob"))
	})

	It("Security #5: the operator keeps no token Secret, and never touches one named like a transfer's", func() {
		setup()
		// The SHA-256 of "planted-secret", where the operator once looked for alice's token hash.
		planted := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "registry-tokens"},
			StringData: map[string]string{"hash.alice": "0101796e082e85a7acb098392550a36dcae559684bab7633d509868b9c5b6a88", "round": "1"}}
		create(planted)
		t := transfer(ns, "registry", "billing", "", "bob", "frank", "alice")
		create(t)
		tokenOf(t, "alice", 1)
		// The string whose hash was planted approves nothing: it is a wrong code.
		annotate(t, v1alpha1.ApproveAnnotation, "planted-secret")
		Eventually(func() int32 { return fetch(t).Status.FailedAttempts }).Should(BeEquivalentTo(1))
		Expect(decisionOf(t, "alice")(Default).Decision).To(Equal(v1alpha1.DecisionPending))
		Expect(k8sClient.Delete(ctx, t)).To(Succeed())
		Eventually(func() bool { return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(t), t)) }).Should(BeTrue())

		var secrets corev1.SecretList
		Expect(k8sClient.List(ctx, &secrets, client.InNamespace(ns))).To(Succeed())
		Expect(secrets.Items).To(ConsistOf(HaveField("Name", "registry-tokens")), "the operator made no Secret")
		Expect(fetch(planted).ResourceVersion).To(Equal(planted.ResourceVersion), "nor changed the planted one")
	})

	It("Security #8: a code seen in an annotation cannot make the other decision, nor serve on the page", func() {
		setup()
		t := transfer(ns, "codes", "billing", "", "bob", "frank", "alice")
		create(t)
		approve := approveCode(t, "alice", 1)
		// A view user who read alice's approval code tries to refuse with it ...
		annotate(t, v1alpha1.RefuseAnnotation, approve)
		Eventually(func() int32 { return fetch(t).Status.FailedAttempts }).Should(BeEquivalentTo(1))
		Expect(decisionOf(t, "alice")(Default).Decision).To(Equal(v1alpha1.DecisionPending))
		// ... or to use it on the page.
		resp, err := http.PostForm(approvalPage.URL+"/approve/"+string(fetch(t).UID), url.Values{"token": {approve}, "decision": {"Refused"}})
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
		Expect(decisionOf(t, "alice")(Default).Decision).To(Equal(v1alpha1.DecisionPending))
		// It still approves, as alice meant.
		annotate(t, v1alpha1.ApproveAnnotation, approve)
		Eventually(decisionOf(t, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
	})

	It("Security #9: the page takes no decision on GET, counts only wrong POSTs, and tells nothing about unknown transfers", func() {
		setup(func(o *v1alpha1.Organization) { o.Spec.Approval.MaxAttempts = ptr(int32(3)) })
		t := transfer(ns, "page", "billing", "", "bob", "frank", "alice")
		create(t)
		uid := string(fetch(t).UID)
		get := func(path string) int {
			resp, err := http.Get(approvalPage.URL + path)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			return resp.StatusCode
		}
		post := func(path, token string) int {
			resp, err := http.PostForm(approvalPage.URL+path, url.Values{"token": {token}, "decision": {"Approved"}})
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			return resp.StatusCode
		}
		// Five GETs with wrong tokens lock nothing and count nothing.
		for range 5 {
			Expect(get("/approve/" + uid + "?token=guess")).To(Equal(http.StatusNotFound))
		}
		Consistently(func() int32 { return fetch(t).Status.FailedAttempts }).WithTimeout(time.Second).Should(BeZero())
		// A right link shown by GET decides nothing.
		Expect(get("/approve/" + uid + "?token=" + tokenOf(t, "alice", 1))).To(Equal(http.StatusOK))
		Expect(decisionOf(t, "alice")(Default).Decision).To(Equal(v1alpha1.DecisionPending))
		// Names are not links; an unknown UID and a real one with a wrong token answer alike.
		Expect(get("/approve/" + ns + "/page?token=" + tokenOf(t, "alice", 1))).To(Equal(http.StatusNotFound))
		Expect(post("/approve/00000000-0000-4000-8000-000000000000", "guess")).To(Equal(http.StatusNotFound))
		Expect(post("/approve/"+uid, "guess")).To(Equal(http.StatusNotFound))
		Eventually(func() int32 { return fetch(t).Status.FailedAttempts }).Should(BeEquivalentTo(1))
	})

	It("Security #10: a code annotated while the operator consumes another is not deleted unread", func() {
		setup()
		t := transfer(ns, "concurrent", "billing", "", "bob", "frank", "alice")
		create(t)
		frankCode := approveCode(t, "frank", 1)
		frank := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: t.Name}} // frank's own copy
		name := t.Name
		var once sync.Once
		hook := func(obj client.Object) {
			if obj.GetName() != name || obj.GetNamespace() != ns {
				return
			}
			// frank annotates his code just before the operator removes alice's.
			once.Do(func() { annotate(frank, v1alpha1.ApproveAnnotation, frankCode) })
		}
		beforeOperatorPatch.Store(&hook)
		DeferCleanup(func() { beforeOperatorPatch.Store(nil) })
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
		Eventually(decisionOf(t, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Eventually(decisionOf(t, "frank")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Eventually(condition(t, v1alpha1.CompletedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
	})

	It("Security: a holder that comes back needs the approvals again", func() {
		setup()
		billing := assignment(ns, "acme", "acme-billing", "", "", "")
		bob := contact(ns, "acme", "bob")
		// Disabled without a successor, bob holds nothing; enabled again, he is a new holder.
		edit(bob, func() { bob.Spec.Disabled = true })
		Eventually(holderOf(billing)).Should(BeEmpty())
		edit(bob, func() { bob.Spec.Disabled = false })
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		Consistently(holderOf(billing)).WithTimeout(2 * time.Second).Should(BeEmpty())
		Expect(billing.Status.Grant).To(Equal(v1alpha1.GrantInitialRoster), "how the last holder got it stays")

		// A holder is a Contact, not a name: one created again under the same name is a new person
		// (the unit test TestSecurityAHolderThatComesBackTakesNoShortcut plays that race).
		technical := assignment(ns, "acme", "acme-technical", "", "", "")
		Expect(fetch(technical).Status.HolderUID).To(Equal(string(fetch(contact(ns, "acme", "dave")).UID)))
	})

	It("Security #11: a transfer with many initiators is written, with bounded approval rows", func() {
		ns = newNamespace()
		const auditors = 2 * v1alpha1.MaxApprovers
		org = organization(ns, "wide", initialRosterWindow(3*time.Second), func(o *v1alpha1.Organization) {
			o.Spec.Roles = []v1alpha1.RoleDefinition{{Name: "auditor"},
				{Name: "site-user", SelfNomination: ptr(true), Initiators: []string{"auditor"}}}
		})
		objs := []client.Object{org, contact(ns, "wide", "nominee")}
		for i := range auditors {
			name := fmt.Sprintf("auditor-%02d", i)
			objs = append(objs, contact(ns, "wide", name), assignment(ns, "wide", name, "auditor", "", name))
		}
		create(objs...)
		Eventually(holderOf(assignment(ns, "wide", fmt.Sprintf("auditor-%02d", auditors-1), "", "", ""))).ShouldNot(BeEmpty())
		afterInitialRoster(org)

		nomination := assignment(ns, "wide", "nominee-site-user", "site-user", "", "nominee")
		create(nomination)
		t := gatedTransferOf(nomination)
		Eventually(func() []v1alpha1.PartyApproval { return fetch(t).Status.Approvals }).Should(HaveLen(v1alpha1.MaxApprovers))
		Expect(t.Status.Awaiting).To(HavePrefix("nominee, one of auditor-00, "))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "auditor-03", 1))
		Eventually(decisionOf(t, "auditor-03")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "nominee", 1))
		Eventually(holderOf(nomination)).Should(Equal("nominee"))
	})
})

var _ = Describe("Security: the initial roster", func() {
	It("takes a whole organization applied at once in any order as declared, with no approval asked", func() {
		ns := newNamespace()
		objs := samples(ns)
		rand.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
		applyRetrying(objs)
		for _, o := range objs {
			Eventually(condition(o, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""), "%T %s", o, o.GetName())
			if ra, ok := o.(*v1alpha1.RoleAssignment); ok && twoParty(ra.Spec.Role) {
				Expect(fetched(ra, v1alpha1.ReadyCondition).Reason).To(Equal(v1alpha1.InitialRosterReason), ra.Name)
				Expect(fetch(ra).Status.Grant).To(Equal(v1alpha1.GrantInitialRoster))
			}
		}
		var transfers v1alpha1.ContactTransferList
		Expect(k8sClient.List(context.Background(), &transfers, client.InNamespace(ns))).To(Succeed())
		Expect(transfers.Items).To(BeEmpty(), "no approval was asked")
		for _, o := range objs {
			Expect(sent.about(ns, o.GetName(), notify.TransferRequested)).To(BeEmpty())
		}
	})
})

// twoParty tells the built-in roles whose changes need two approvals.
func twoParty(role string) bool {
	return strings.Contains(" primary administrative technical billing ", " "+role+" ")
}

// partiesOf lists the contacts of a transfer's approval rows.
func partiesOf(t *v1alpha1.ContactTransfer) []string {
	var out []string
	for _, a := range t.Status.Approvals {
		out = append(out, a.Contact)
	}
	return out
}

// reassignmentOf waits for the reassignment transfer of a role in ns.
func reassignmentOf(ns, role string) *v1alpha1.ContactTransfer {
	GinkgoHelper()
	var t *v1alpha1.ContactTransfer
	Eventually(func(g Gomega) {
		var list v1alpha1.ContactTransferList
		g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(ns),
			client.MatchingLabels{v1alpha1.PurposeLabel: v1alpha1.ReassignmentPurpose})).To(Succeed())
		for i := range list.Items {
			if list.Items[i].Spec.Role == role {
				t = &list.Items[i]
			}
		}
		g.Expect(t).NotTo(BeNil())
	}).Should(Succeed())
	return t
}

// edit reads obj, changes it and writes it back, again when the operator wrote it meanwhile.
func edit(obj client.Object, change func()) {
	GinkgoHelper()
	Expect(tryEdit(obj, change)).To(Succeed())
}

// tryEdit is edit that returns the error of the write, for a write that admission should refuse.
func tryEdit(obj client.Object, change func()) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		change()
		return k8sClient.Update(context.Background(), obj)
	})
}
