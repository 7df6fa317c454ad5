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
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/notify"
)

// transfer builds a ContactTransfer of the acme organization.
func transfer(ns, name, role, scope, from, to, requestedBy string) *v1alpha1.ContactTransfer {
	t := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.ContactTransferSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Role: role, Scope: scope,
			To: v1alpha1.LocalObjectReference{Name: to}, Reason: "Bob leaves the company"}}
	if requestedBy != "" {
		t.Spec.RequestedBy = &v1alpha1.LocalObjectReference{Name: requestedBy}
	}
	if from != "" {
		t.Spec.From = &v1alpha1.LocalObjectReference{Name: from}
	}
	return t
}

// tokenOf waits for the TransferRequested notification of a round and returns the contact's link token.
func tokenOf(t *v1alpha1.ContactTransfer, contact string, round int) string {
	GinkgoHelper()
	return secretOf(t, contact, round, func(r notify.Recipient) string { return r.Token })
}

// approveCode and refuseCode return the contact's codes for kubectl annotate, from its email.
func approveCode(t *v1alpha1.ContactTransfer, contact string, round int) string {
	GinkgoHelper()
	return secretOf(t, contact, round, func(r notify.Recipient) string { return r.ApproveCode })
}

func refuseCode(t *v1alpha1.ContactTransfer, contact string, round int) string {
	GinkgoHelper()
	return secretOf(t, contact, round, func(r notify.Recipient) string { return r.RefuseCode })
}

// secretOf waits for the TransferRequested notification of a round and returns one of the contact's secrets.
func secretOf(t *v1alpha1.ContactTransfer, contact string, round int, pick func(notify.Recipient) string) string {
	GinkgoHelper()
	var token string
	Eventually(func(g Gomega) {
		found := false
		for _, n := range sent.about(t.Namespace, t.Name, notify.TransferRequested) {
			if !strings.HasSuffix(n.Key, "/round-"+string(rune('0'+round))) {
				continue
			}
			for _, r := range n.Recipients {
				if r.Contact == contact && pick(r) != "" {
					token, found = pick(r), true
				}
			}
		}
		g.Expect(found).To(BeTrue(), "no round %d token for %s yet", round, contact)
	}).Should(Succeed())
	return token
}

// annotate sets an annotation on the transfer, as kubectl annotate does.
func annotate(t *v1alpha1.ContactTransfer, key, value string) {
	GinkgoHelper()
	patch := []byte(`{"metadata":{"annotations":{"` + key + `":"` + value + `"}}}`)
	Expect(k8sClient.Patch(context.Background(), t, client.RawPatch("application/merge-patch+json", patch))).To(Succeed())
}

// fetch reads the object's current state.
func fetch[T client.Object](obj T) T {
	GinkgoHelper()
	Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	return obj
}

// decisionOf is a party's recorded decision.
func decisionOf(t *v1alpha1.ContactTransfer, contact string) func(Gomega) v1alpha1.PartyApproval {
	return func(g Gomega) v1alpha1.PartyApproval {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(t), t)).To(Succeed())
		for _, a := range t.Status.Approvals {
			if a.Contact == contact {
				return a
			}
		}
		return v1alpha1.PartyApproval{}
	}
}

func holderOf(ra *v1alpha1.RoleAssignment) func(Gomega) string {
	return func(g Gomega) string {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(ra), ra)).To(Succeed())
		return ra.Status.Holder
	}
}

var _ = Describe("ContactTransfer approval", func() {
	ctx := context.Background()
	var ns string
	var billing *v1alpha1.RoleAssignment

	// acme: alice is primary, carol administrative, bob billing, dave and erin technical of two sites.
	setup := func(mutate ...func(*v1alpha1.Organization)) {
		ns = newNamespace()
		create(organization(ns, "acme", append([]func(*v1alpha1.Organization){withScopes("site-paris", "site-lisbon")}, mutate...)...),
			contact(ns, "acme", "alice", func(c *v1alpha1.Contact) { c.Spec.Locale = v1alpha1.LocaleFrench }),
			contact(ns, "acme", "bob"), contact(ns, "acme", "carol"), contact(ns, "acme", "dave"), contact(ns, "acme", "erin"),
			contact(ns, "acme", "frank"),
			contact(ns, "acme", "olga", func(c *v1alpha1.Contact) { c.Spec.AccountStanding = v1alpha1.AccountStandingOverdue }),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-admin", "administrative", "", "carol"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"),
			assignment(ns, "acme", "tech-paris", "technical", "site-paris", "dave"),
			assignment(ns, "acme", "tech-lisbon", "technical", "site-lisbon", "erin"))
		billing = assignment(ns, "acme", "acme-billing", "", "", "")
		Eventually(condition(organization(ns, "acme"), v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Eventually(holderOf(billing)).Should(Equal("bob"))
	}

	It("moves the role when both parties approve by annotation, and keeps the audit trail", func() {
		setup()
		t := transfer(ns, "billing-to-frank", "billing", "", "bob", "frank", "alice")
		create(t)
		Eventually(condition(t, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		Expect(t.Spec.Username).NotTo(BeEmpty(), "the requesting Kubernetes user is recorded")
		Expect(t.Status.ExpiresAt).NotTo(BeNil())

		// Each approver gets its own token; the outgoing holder is told, without one.
		aliceToken, frankToken := tokenOf(t, "alice", 1), tokenOf(t, "frank", 1)
		Expect(aliceToken).NotTo(Equal(frankToken))
		Expect(len(aliceToken)).To(BeNumerically(">=", 22), "at least 128 bits")
		requested := sent.about(ns, t.Name, notify.TransferRequested)
		Expect(requested).To(HaveLen(1))
		Expect(requested[0].Recipients).To(ContainElement(And(HaveField("Contact", "bob"), HaveField("Token", ""))))

		Expect(approveCode(t, "alice", 1)).NotTo(Equal(refuseCode(t, "alice", 1)), "one code per decision")
		Expect(approveCode(t, "alice", 1)).NotTo(Equal(aliceToken), "the link's token is not a code")
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
		Eventually(decisionOf(t, "alice")).Should(And(HaveField("Decision", v1alpha1.DecisionApproved),
			HaveField("Via", v1alpha1.DecisionViaAnnotation), HaveField("DecidedAt", Not(BeNil()))))
		Eventually(func() map[string]string { return fetch(t).Annotations }).ShouldNot(HaveKey(v1alpha1.ApproveAnnotation))
		Expect(holderOf(billing)(Default)).To(Equal("bob"), "nothing moves before every party approved")

		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "frank", 1))
		Eventually(condition(t, v1alpha1.CompletedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.CompletedReason))
		Expect(t.Status.CompletedAt).NotTo(BeNil())
		Expect(t.Status.Assignment).To(Equal(&v1alpha1.AssignmentBinding{Name: billing.Name, UID: string(fetch(billing).UID)}))
		Expect(fetched(t, v1alpha1.ApprovedCondition).Status).To(Equal(metav1.ConditionTrue))
		Expect(fetched(t, v1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		Expect(fetch(billing).Status.Holder).To(Equal("frank"))
		Expect(billing.Spec.ContactRef.Name).To(Equal("frank"), "a transfer made by hand updates spec.contactRef")
		Expect(billing.Status.Grant).To(Equal(v1alpha1.GrantTransfer))
		Expect(billing.Status.Transfer).To(Equal(t.Name))
		Expect(fetched(billing, v1alpha1.ReadyCondition).Reason).To(Equal(v1alpha1.TransferCompletedReason))
		Eventually(func() []notify.Notification { return sent.about(ns, t.Name, notify.TransferCompleted) }).Should(ContainElement(
			HaveField("Recipients", ContainElements(HaveField("Contact", "alice"), HaveField("Contact", "frank"), HaveField("Contact", "bob")))))
		Eventually(kstatusOf(t)).Should(Equal(statusCurrent))
	})

	It("records a decision made through the link in the email", func() {
		setup()
		t := transfer(ns, "billing-by-link", "billing", "", "bob", "frank", "alice")
		create(t)
		token := tokenOf(t, "alice", 1)
		link := ""
		for _, r := range sent.about(ns, t.Name, notify.TransferRequested)[0].Recipients {
			if r.Contact == "alice" {
				link = r.Link
			}
		}
		Expect(link).To(Equal(approvalPage.URL + "/approve/" + string(fetch(t).UID) + "?token=" + token))

		resp, err := http.Get(link)
		Expect(err).NotTo(HaveOccurred())
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(resp.Header.Get("Referrer-Policy")).To(Equal("no-referrer"))
		Expect(string(page)).To(And(ContainSubstring("billing"), ContainSubstring("frank"), ContainSubstring(`value="Approved"`),
			ContainSubstring(`value="Refused"`)))

		resp, err = http.PostForm(approvalPage.URL+"/approve/"+string(t.UID),
			url.Values{"token": {token}, "decision": {"Approved"}})
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Eventually(decisionOf(t, "alice")).Should(And(HaveField("Decision", v1alpha1.DecisionApproved),
			HaveField("Via", v1alpha1.DecisionViaLink)))
		// The other parties are told, as for a decision by annotation.
		Eventually(func() []notify.Notification { return sent.about(ns, t.Name, notify.TransferApproved) }).Should(ContainElement(
			HaveField("Recipients", ContainElement(HaveField("Contact", "frank")))))

		// The link is single-use.
		resp, err = http.Get(link)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	})

	It("stops when a party refuses, and nothing moves", func() {
		setup()
		t := transfer(ns, "refused", "billing", "", "bob", "frank", "alice")
		create(t)
		annotate(t, v1alpha1.RefuseAnnotation, refuseCode(t, "frank", 1))
		Eventually(condition(t, v1alpha1.RefusedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.RefusedReason))
		Expect(fetched(t, v1alpha1.StalledCondition).Status).To(Equal(metav1.ConditionTrue))
		Consistently(holderOf(billing)).Should(Equal("bob"))
		Eventually(func() []notify.Notification { return sent.about(ns, t.Name, notify.TransferRefused) }).Should(HaveLen(1))
		// Refused is one-way: a later approval changes nothing.
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
		Consistently(condition(t, v1alpha1.ApprovedCondition)).ShouldNot(haveStatus(metav1.ConditionTrue, ""))
	})

	It("expires after the organization's tokenTTL", func() {
		setup(func(o *v1alpha1.Organization) { o.Spec.Approval.TokenTTL = &metav1.Duration{Duration: time.Minute} })
		t := transfer(ns, "too-slow", "billing", "", "bob", "frank", "alice")
		create(t)
		Eventually(condition(t, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		skipAhead(2 * time.Minute)
		annotate(t, "test.roster.dev/poke", "1") // any change makes the operator look at it again
		Eventually(condition(t, v1alpha1.ExpiredCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.ExpiredReason))
		Expect(holderOf(billing)(Default)).To(Equal("bob"))
		Eventually(func() []notify.Notification { return sent.about(ns, t.Name, notify.TransferExpired) }).Should(HaveLen(1))
	})

	It("refuses a replayed token, and locks the transfer after maxAttempts wrong tokens", func() {
		setup(func(o *v1alpha1.Organization) { o.Spec.Approval.MaxAttempts = ptr(int32(2)) })
		t := transfer(ns, "guessed", "billing", "", "bob", "frank", "alice")
		create(t)
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
		Eventually(decisionOf(t, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Eventually(func() map[string]string { return fetch(t).Annotations }).ShouldNot(HaveKey(v1alpha1.ApproveAnnotation))

		// A party that decided changes nothing with its other code: alice's refusal is not recorded, nor
		// counted as a guess.
		annotate(t, v1alpha1.RefuseAnnotation, refuseCode(t, "alice", 1))
		Eventually(func() map[string]string { return fetch(t).Annotations }).ShouldNot(HaveKey(v1alpha1.RefuseAnnotation))
		Expect(decisionOf(t, "alice")(Default).Decision).To(Equal(v1alpha1.DecisionApproved))
		Expect(t.Status.FailedAttempts).To(BeZero())

		annotate(t, v1alpha1.ApproveAnnotation, "not-a-token-at-all")
		Eventually(func() int32 { return fetch(t).Status.FailedAttempts }).Should(BeEquivalentTo(1))
		Expect(fetched(t, v1alpha1.RefusedCondition)).To(BeNil())
		annotate(t, v1alpha1.ApproveAnnotation, "still-not-a-token")
		Eventually(condition(t, v1alpha1.RefusedCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.LockedReason))
		Expect(holderOf(billing)(Default)).To(Equal("bob"))
		Eventually(func() []notify.Notification { return sent.about(ns, t.Name, notify.TransferLocked) }).Should(HaveLen(1))
	})

	It("issues new tokens on resend, and the old ones stop working", func() {
		setup()
		t := transfer(ns, "resent", "billing", "", "bob", "frank", "alice")
		create(t)
		old := approveCode(t, "frank", 1)

		By("a resend asked at once waits for its time: a transfer issues at most one round every ResendInterval")
		annotate(t, v1alpha1.ResendAnnotation, "")
		Eventually(condition(t, v1alpha1.ResendLimitedCondition)).Should(And(haveStatus(metav1.ConditionTrue, v1alpha1.ResendTooSoonReason),
			HaveField("Message", ContainSubstring("at most one round every 2m0s"))))
		Expect(fetch(t).Status.Round).To(BeEquivalentTo(1))
		Expect(t.Annotations).To(HaveKey(v1alpha1.ResendAnnotation), "kept until its time")

		skipAhead(approval.ResendInterval)
		annotate(t, "test.roster.dev/poke", "1") // what the scheduled requeue does once the real clock gets there
		fresh := approveCode(t, "frank", 2)
		Expect(fresh).NotTo(Equal(old))
		Expect(fetch(t).Status.Round).To(BeEquivalentTo(2))
		Eventually(condition(t, v1alpha1.ResendLimitedCondition)).Should(BeNil())

		// An old round's code decides nothing; it is no guess either.
		annotate(t, v1alpha1.ApproveAnnotation, old)
		Eventually(func() map[string]string { return fetch(t).Annotations }).ShouldNot(HaveKey(v1alpha1.ApproveAnnotation))
		Expect(decisionOf(t, "frank")(Default).Decision).To(Equal(v1alpha1.DecisionPending))
		Expect(t.Status.FailedAttempts).To(BeZero())
		annotate(t, v1alpha1.ApproveAnnotation, fresh)
		Eventually(decisionOf(t, "frank")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
	})

	It("cancels a pending transfer that is deleted, and tells the parties", func() {
		setup()
		t := transfer(ns, "changed-mind", "billing", "", "bob", "frank", "alice")
		create(t)
		tokenOf(t, "alice", 1)
		Expect(k8sClient.Delete(ctx, t)).To(Succeed())
		Eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(t), t) }).Should(MatchError(ContainSubstring("not found")))
		Expect(sent.about(ns, t.Name, notify.TransferCancelled)).To(ContainElement(
			HaveField("Recipients", ContainElements(HaveField("Contact", "alice"), HaveField("Contact", "frank"), HaveField("Contact", "bob")))))
		Consistently(holderOf(billing)).Should(Equal("bob"))
	})

	It("refuses a holder handing away a role it does not hold, and an Overdue billing contact", func() {
		setup()
		expectRefused(k8sClient.Create(ctx, transfer(ns, "grab", "technical", "site-lisbon", "erin", "frank", "dave")),
			"spec.requestedBy.name", `"dave" may not request`)
		expectRefused(k8sClient.Create(ctx, transfer(ns, "overdue", "billing", "", "bob", "olga", "alice")),
			"spec.to.name", "unpaid invoices")
		// The current holder may name its own successor.
		create(transfer(ns, "own-successor", "technical", "site-lisbon", "erin", "frank", "erin"))
	})

	It("keeps the old holder when Git changes contactRef of an approval role, until both approve", func() {
		setup()
		edit(billing, func() {
			billing.Spec.ContactRef.Name = "frank"
		})

		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason))
		Expect(billing.Status.Holder).To(Equal("bob"))
		Expect(billing.Status.Transfer).NotTo(BeEmpty())
		t := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: billing.Status.Transfer}}
		Expect(fetch(t).Spec.From.Name).To(Equal("bob"))
		Expect(t.Annotations).To(HaveKeyWithValue(v1alpha1.OpenedForUIDAnnotation, string(billing.UID)))
		Expect(t.OwnerReferences).To(ConsistOf(HaveField("Kind", "Organization")), "an audit record outlives the assignment")
		Consistently(holderOf(billing)).WithTimeout(time.Second).Should(Equal("bob"))

		Expect(t.Spec.RequestedBy).To(BeNil(), "a Git edit names no requester")
		Expect(fetch(t).Status.Approvals).To(ConsistOf(
			And(HaveField("Contact", "frank"), HaveField("As", v1alpha1.PartyIncoming)),
			And(HaveField("Contact", "alice"), HaveField("As", v1alpha1.PartyInitiator)),
			And(HaveField("Contact", "bob"), HaveField("As", v1alpha1.PartyInitiator)),
			And(HaveField("Contact", "carol"), HaveField("As", v1alpha1.PartyInitiator))))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "bob", 1))
		Eventually(decisionOf(t, "bob")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "frank", 1))
		Eventually(holderOf(billing)).Should(Equal("frank"))
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Eventually(condition(t, v1alpha1.CompletedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
	})

	It("shows a refused GitOps change on the assignment", func() {
		setup()
		edit(billing, func() {
			billing.Spec.ContactRef.Name = "frank"
		})
		Eventually(func() string { return fetch(billing).Status.Transfer }).ShouldNot(BeEmpty())
		t := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: billing.Status.Transfer}}
		annotate(t, v1alpha1.RefuseAnnotation, refuseCode(t, "frank", 1))
		Eventually(condition(billing, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.TransferRefusedReason))
		Expect(billing.Status.Holder).To(Equal("bob"))
	})

	It("loses nothing when the operator restarts in the middle of an approval", func() {
		setup()
		t := transfer(ns, "across-restart", "billing", "", "bob", "frank", "alice")
		create(t)
		aliceCode, frankCode := approveCode(t, "alice", 1), approveCode(t, "frank", 1)
		annotate(t, v1alpha1.ApproveAnnotation, aliceCode)
		Eventually(decisionOf(t, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		// The tokens went out before the restart (delivery is asynchronous: approveCode needs no mail).
		Eventually(func() []notify.Notification { return sent.about(ns, t.Name, notify.TransferRequested) }).Should(HaveLen(1))

		restartManager()

		annotate(t, v1alpha1.ApproveAnnotation, frankCode)
		Eventually(condition(t, v1alpha1.CompletedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Expect(fetch(billing).Status.Holder).To(Equal("frank"))
		Eventually(func() []notify.Notification { return sent.about(ns, t.Name, notify.TransferCompleted) }).ShouldNot(BeEmpty())
		Consistently(func() []notify.Notification { return sent.about(ns, t.Name, notify.TransferRequested) }).
			WithTimeout(2*time.Second).Should(HaveLen(1), "the tokens were not sent twice")
	})

	It("never shows a token in a status, an Event or a log line", func() {
		setup()
		t := transfer(ns, "secrets", "billing", "", "bob", "frank", "alice")
		create(t)
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
		Eventually(decisionOf(t, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		annotate(t, v1alpha1.RefuseAnnotation, "wrong-"+refuseCode(t, "frank", 1))
		Eventually(func() int32 { return fetch(t).Status.FailedAttempts }).Should(BeEquivalentTo(1))

		var transfers v1alpha1.ContactTransferList
		Expect(k8sClient.List(ctx, &transfers)).To(Succeed())
		var all []v1alpha1.ContactTransferStatus
		for _, item := range transfers.Items {
			all = append(all, item.Status)
		}
		statuses, err := json.Marshal(all)
		Expect(err).NotTo(HaveOccurred())
		var evs eventsv1.EventList
		Expect(k8sClient.List(ctx, &evs)).To(Succeed())
		events, err := json.Marshal(evs.Items)
		Expect(err).NotTo(HaveOccurred())
		tokens := sent.tokens()
		Expect(tokens).NotTo(BeEmpty())
		for _, token := range tokens {
			Expect(string(statuses)).NotTo(ContainSubstring(token))
			Expect(string(events)).NotTo(ContainSubstring(token))
			Expect(logs.String()).NotTo(ContainSubstring(token))
		}
	})
})

var _ = Describe("Self-nomination", func() {
	It("keeps a contact's own assignment pending until the nominee and an initiator approve it", func() {
		ns := newNamespace()
		org := organization(ns, "acme", initialRosterWindow(3*time.Second), func(o *v1alpha1.Organization) {
			o.Spec.Roles = []v1alpha1.RoleDefinition{{Name: "site-user", SelfNomination: ptr(true)}}
		})
		create(org, contact(ns, "acme", "alice"), contact(ns, "acme", "frank"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"))
		Eventually(holderOf(assignment(ns, "acme", "acme-primary", "", "", ""))).Should(Equal("alice"))
		afterInitialRoster(org)

		nomination := assignment(ns, "acme", "frank-site-user", "site-user", "", "frank")
		create(nomination)
		Eventually(condition(nomination, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason), func() string { return fmt.Sprint(nomination.Status.Conditions) })
		Expect(nomination.Status.Holder).To(BeEmpty())
		Eventually(func() string { return fetch(nomination).Status.Transfer }).ShouldNot(BeEmpty())
		t := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: nomination.Status.Transfer}}

		// The nominee consents and the primary contact approves, each with its own code.
		Eventually(func() []v1alpha1.PartyApproval { return fetch(t).Status.Approvals }).Should(ConsistOf(
			And(HaveField("Contact", "frank"), HaveField("As", v1alpha1.PartyIncoming)),
			And(HaveField("Contact", "alice"), HaveField("As", v1alpha1.PartyInitiator))))
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "alice", 1))
		Eventually(decisionOf(t, "alice")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		Consistently(holderOf(nomination)).WithTimeout(time.Second).Should(BeEmpty())
		annotate(t, v1alpha1.ApproveAnnotation, approveCode(t, "frank", 1))
		Eventually(holderOf(nomination)).Should(Equal("frank"))
		Eventually(condition(nomination, v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.TransferCompletedReason))
		Eventually(condition(t, v1alpha1.CompletedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
	})
})
