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
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
)

// The fixture fleet: 50 organizations, 10 in each of 5 namespaces, written with their statuses. Every
// organization i has the roles primary (required; vacant when i%7 == 3), billing, renewal (no
// holder, not required), technical in paris and in lisbon (required; lisbon vacant when i%11 == 5).
// The first organization of each namespace has alice as its primary, with her address in another case
// in each namespace. Organizations i%5 == 1 have a transfer awaiting its incoming contact, expiring
// in 50-i hours; i%5 == 2 a completed one, i%5 == 3 an expired one.
const (
	fleetNamespaces = 5
	fleetOrgs       = 50
)

var (
	fleetNow    = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	aliceEmails = []string{"alice@acme.example", "Alice@Acme.Example", "ALICE@ACME.EXAMPLE", "alice@ACME.example", "Alice@acme.EXAMPLE"}
)

type fleetOrg struct {
	i         int
	namespace string
	name      string
}

func fleet() []fleetOrg {
	var out []fleetOrg
	for i := range fleetOrgs {
		out = append(out, fleetOrg{i: i, namespace: fmt.Sprintf("fleet-%d", i/10), name: fmt.Sprintf("org-%02d", i)})
	}
	return out
}

func (o fleetOrg) primary() string {
	if o.i%10 == 0 {
		return "alice"
	}
	return o.name + "-primary"
}
func (o fleetOrg) billing() string     { return o.name + "-billing" }
func (o fleetOrg) primaryVacant() bool { return o.i%7 == 3 }
func (o fleetOrg) lisbonVacant() bool  { return o.i%11 == 5 }
func (o fleetOrg) email(contact string) string {
	if contact == "alice" {
		return aliceEmails[o.i/10]
	}
	return contact + "@" + o.namespace + ".example"
}

// primaryVacantSince and lisbonVacantSince are when the history says each vacancy started.
func (o fleetOrg) primaryVacantSince() time.Time {
	return fleetNow.Add(-time.Duration(o.i+1) * time.Hour)
}
func (o fleetOrg) lisbonVacantSince() time.Time {
	return fleetNow.Add(-time.Duration(o.i*24) * time.Hour)
}

// verified: contacts of even organizations verified their address 30 days ago.
func (o fleetOrg) verified() bool { return o.i%2 == 0 }

func (o fleetOrg) expiresAt() time.Time { return fleetNow.Add(time.Duration(50-o.i) * time.Hour) }

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func mt(t time.Time) metav1.Time { return metav1.NewTime(t) }

func ptr[T any](v T) *T { return &v }

func condition(typ string, status metav1.ConditionStatus, reason string, at time.Time) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: reason, LastTransitionTime: mt(at)}
}

func createFleet(ctx context.Context) {
	GinkgoHelper()
	for n := range fleetNamespaces {
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("fleet-%d", n)}})).To(Succeed())
	}
	for _, o := range fleet() {
		org := &v1alpha1.Organization{
			ObjectMeta: metav1.ObjectMeta{Namespace: o.namespace, Name: o.name},
			Spec:       v1alpha1.OrganizationSpec{DisplayName: "Org " + o.name, Scopes: []v1alpha1.Scope{{Name: "paris"}, {Name: "lisbon"}}},
		}
		Expect(k8sClient.Create(ctx, org)).To(Succeed())
		primary := v1alpha1.RoleHolders{Role: "primary", Holders: []string{o.primary()}, Required: true, Satisfied: true}
		lisbon := v1alpha1.RoleHolders{Role: "technical", Scope: "lisbon", Holders: []string{o.billing()}, Required: true, Satisfied: true}
		history := []v1alpha1.HolderChange{
			{Role: "primary", Holder: o.primary(), Since: mt(fleetNow.AddDate(0, -6, 0)), How: v1alpha1.HolderChangeInitialRoster},
			{Role: "technical", Scope: "lisbon", Holder: o.billing(), Since: mt(fleetNow.AddDate(0, -6, 0)), How: v1alpha1.HolderChangeInitialRoster},
		}
		satisfied := condition(v1alpha1.RolesSatisfiedCondition, metav1.ConditionTrue, "RolesSatisfied", fleetNow.AddDate(0, -6, 0))
		if o.primaryVacant() {
			primary.Holders, primary.Satisfied = nil, false
			history = append(history, v1alpha1.HolderChange{Role: "primary", Previous: o.primary(), Since: mt(o.primaryVacantSince()),
				How: v1alpha1.HolderChangeDeletion, Assignment: o.name + "-primary", User: "admin"})
			satisfied = condition(v1alpha1.RolesSatisfiedCondition, metav1.ConditionFalse, "RoleVacant", o.primaryVacantSince())
		}
		if o.lisbonVacant() {
			lisbon.Holders, lisbon.Satisfied = nil, false
			history = append(history, v1alpha1.HolderChange{Role: "technical", Scope: "lisbon", Previous: o.billing(),
				Since: mt(o.lisbonVacantSince()), How: v1alpha1.HolderChangeExpiry, Assignment: o.name + "-lisbon"})
			satisfied = condition(v1alpha1.RolesSatisfiedCondition, metav1.ConditionFalse, "RoleVacant", o.lisbonVacantSince())
		}
		org.Status = v1alpha1.OrganizationStatus{
			Roles: []v1alpha1.RoleHolders{
				primary,
				{Role: "billing", Holders: []string{o.billing()}, Satisfied: true},
				{Role: "renewal", Satisfied: true},
				{Role: "technical", Scope: "paris", Holders: []string{o.primary()}, Required: true, Satisfied: true},
				lisbon,
			},
			History:    history,
			Conditions: []metav1.Condition{satisfied},
		}
		Expect(k8sClient.Status().Update(ctx, org)).To(Succeed())

		held := map[string][]v1alpha1.HeldRole{
			o.primary(): {{Role: "technical", Scope: "paris"}},
			o.billing(): {{Role: "billing"}},
		}
		if !o.primaryVacant() {
			held[o.primary()] = append([]v1alpha1.HeldRole{{Role: "primary"}}, held[o.primary()]...)
		}
		if !o.lisbonVacant() {
			held[o.billing()] = append(held[o.billing()], v1alpha1.HeldRole{Role: "technical", Scope: "lisbon"})
		}
		for _, name := range []string{o.primary(), o.billing()} {
			createContact(ctx, o, name, o.email(name), held[name])
		}
		createTransfers(ctx, o)
	}
	// Addresses close to alice's that whois must not find.
	createContact(ctx, fleet()[1], "alicia", "alicia@acme.example", nil)
	createContact(ctx, fleet()[11], "alice-org", "alice@acme.example.org", nil)
}

func createContact(ctx context.Context, o fleetOrg, name, email string, roles []v1alpha1.HeldRole) {
	GinkgoHelper()
	c := &v1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.namespace, Name: name},
		Spec:       v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: o.name}, Email: email, DisplayName: "Name of " + name},
	}
	Expect(k8sClient.Create(ctx, c)).To(Succeed())
	c.Status = v1alpha1.ContactStatus{Roles: roles, NormalizedEmail: strings.ToLower(email)}
	if o.verified() {
		c.Status.VerifiedEmail = strings.ToLower(email)
		c.Status.Conditions = append(c.Status.Conditions,
			condition(v1alpha1.EmailVerifiedCondition, metav1.ConditionTrue, v1alpha1.EmailVerifiedReason, fleetNow.AddDate(0, 0, -30)))
	} else {
		c.Status.Conditions = append(c.Status.Conditions,
			condition(v1alpha1.EmailVerifiedCondition, metav1.ConditionFalse, v1alpha1.EmailDeclaredReason, fleetNow.AddDate(0, -6, 0)))
	}
	switch o.i % 3 {
	case 0:
		c.Status.ReconfirmedAt = ptr(mt(fleetNow.AddDate(0, 0, -10)))
		c.Status.Conditions = append(c.Status.Conditions,
			condition(v1alpha1.ReconfirmedCondition, metav1.ConditionTrue, v1alpha1.ReconfirmedReason, fleetNow.AddDate(0, 0, -10)))
	case 1:
		c.Status.Conditions = append(c.Status.Conditions,
			condition(v1alpha1.ReconfirmedCondition, metav1.ConditionFalse, v1alpha1.ReconfirmationLapsedReason, fleetNow.AddDate(0, 0, -2)))
	}
	Expect(k8sClient.Status().Update(ctx, c)).To(Succeed())
}

func createTransfers(ctx context.Context, o fleetOrg) {
	GinkgoHelper()
	t := &v1alpha1.ContactTransfer{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.namespace, Name: o.name + "-billing"},
		Spec: v1alpha1.ContactTransferSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: o.name}, Role: "billing",
			From: &v1alpha1.LocalObjectReference{Name: o.billing()}, To: v1alpha1.LocalObjectReference{Name: o.primary()}},
	}
	var status v1alpha1.ContactTransferStatus
	switch o.i % 5 {
	case 1:
		status = v1alpha1.ContactTransferStatus{
			Approvals: []v1alpha1.PartyApproval{
				{Contact: o.primary(), As: v1alpha1.PartyIncoming, Decision: v1alpha1.DecisionPending},
				{Contact: o.billing(), As: v1alpha1.PartyInitiator, Decision: v1alpha1.DecisionApproved,
					DecidedAt: ptr(mt(fleetNow.Add(-time.Hour))), Via: v1alpha1.DecisionViaLink},
			},
			Awaiting:   o.primary(),
			ExpiresAt:  ptr(mt(o.expiresAt())),
			Conditions: []metav1.Condition{condition("Ready", metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, fleetNow.Add(-2*time.Hour))},
		}
	case 2:
		status = v1alpha1.ContactTransferStatus{
			ExpiresAt: ptr(mt(o.expiresAt())),
			Conditions: []metav1.Condition{
				condition(v1alpha1.ApprovedCondition, metav1.ConditionTrue, v1alpha1.ApprovedReason, fleetNow.Add(-time.Hour)),
				condition(v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, fleetNow.Add(-time.Hour)),
			},
		}
	case 3:
		status = v1alpha1.ContactTransferStatus{
			ExpiresAt:  ptr(mt(fleetNow.Add(-time.Hour))),
			Conditions: []metav1.Condition{condition(v1alpha1.ExpiredCondition, metav1.ConditionTrue, v1alpha1.ExpiredReason, fleetNow.Add(-time.Hour))},
		}
	default:
		return
	}
	Expect(k8sClient.Create(ctx, t)).To(Succeed())
	t.Status = status
	Expect(k8sClient.Status().Update(ctx, t)).To(Succeed())
}

var _ = Describe("kubectl roster on a fleet of 50 organizations", Ordered, func() {
	BeforeAll(func(ctx SpecContext) {
		createFleet(ctx)
	})

	It("whois ALICE@ACME.EXAMPLE finds alice in every namespace, with a field selector, and nothing else", func() {
		r := run(fleetNow, nil, "whois", "ALICE@ACME.EXAMPLE", "-o", "csv")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		want := []string{"namespace,organization,contact,email,role,scope"}
		for n := range fleetNamespaces {
			o := fleet()[n*10]
			if !o.primaryVacant() {
				want = append(want, fmt.Sprintf("%s,%s,alice,%s,primary,", o.namespace, o.name, aliceEmails[n]))
			}
			want = append(want, fmt.Sprintf("%s,%s,alice,%s,technical,paris", o.namespace, o.name, aliceEmails[n]))
		}
		Expect(want).To(HaveLen(1 + 2*fleetNamespaces - 1))
		Expect(lines(r.out)).To(Equal(want))

		By("listing across namespaces with a field selector on status.normalizedEmail, in lowercase")
		Expect(r.queries).To(ContainElement(SatisfyAll(
			HavePrefix("/apis/roster.dev/v1alpha1/contacts?"),
			ContainSubstring("fieldSelector="+url.QueryEscape("status.normalizedEmail=alice@acme.example")))))
		for _, q := range r.queries {
			if strings.HasPrefix(q, "/apis/roster.dev/") {
				Expect(q).To(ContainSubstring("fieldSelector="), "whois lists nothing without its field selector")
			}
		}

		By("with -n, in that namespace only")
		r = run(fleetNow, nil, "whois", " Alice@Acme.Example ", "-n", "fleet-3")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(r.out).To(Equal(
			"ORGANIZATION   CONTACT   EMAIL                ROLE        SCOPE\n" +
				"org-30         alice     alice@ACME.example   primary     <none>\n" +
				"org-30         alice     alice@ACME.example   technical   paris\n"))

		By("an address no one has")
		r = run(fleetNow, nil, "whois", "nobody@acme.example")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(r.out).To(Equal("No resources found.\n"))
	})

	It("vacant -A lists every required role or scope without its holders, since the change that left it vacant", func() {
		r := run(fleetNow, nil, "vacant", "-A", "-o", "csv")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		want := []string{"namespace,organization,role,scope,holders,vacantSince,for"}
		for _, o := range fleet() {
			if o.primaryVacant() {
				want = append(want, fmt.Sprintf("%s,%s,primary,,0,%s,%s", o.namespace, o.name, ts(o.primaryVacantSince()),
					duration.HumanDuration(fleetNow.Sub(o.primaryVacantSince()))))
			}
			if o.lisbonVacant() {
				want = append(want, fmt.Sprintf("%s,%s,technical,lisbon,0,%s,%s", o.namespace, o.name, ts(o.lisbonVacantSince()),
					duration.HumanDuration(fleetNow.Sub(o.lisbonVacantSince()))))
			}
		}
		Expect(want).To(HaveLen(1 + 7 + 5))
		Expect(lines(r.out)).To(Equal(want))

		By("the table of one namespace, as kubectl prints it")
		r = run(fleetNow, nil, "vacant", "-n", "fleet-0")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(r.out).To(Equal(
			"ORGANIZATION   ROLE        SCOPE    HOLDERS   VACANT SINCE           FOR\n" +
				"org-03         primary     <none>   0         2026-06-01T08:00:00Z   4h\n" +
				"org-05         technical   lisbon   0         2026-05-27T12:00:00Z   5d\n"))

		By("-n of the kubeconfig's context when no flag is given")
		r = run(fleetNow, nil, "vacant")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(r.out).To(Equal("No resources found.\n"))
	})

	It("pending -A lists the transfers not settled, whom they await and when they expire, the soonest first", func() {
		r := run(fleetNow, nil, "pending", "-A", "-o", "csv")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		want := []string{"namespace,name,organization,role,scope,from,to,awaiting,status,expiresAt,expiresIn"}
		for i := fleetOrgs - 1; i >= 0; i-- {
			o := fleet()[i]
			if o.i%5 != 1 {
				continue
			}
			want = append(want, fmt.Sprintf("%s,%s-billing,%s,billing,,%s,%s,%s,AwaitingApproval,%s,%s", o.namespace, o.name, o.name,
				o.billing(), o.primary(), o.primary(), ts(o.expiresAt()), duration.HumanDuration(o.expiresAt().Sub(fleetNow))))
		}
		Expect(want).To(HaveLen(1 + 10))
		// The fleet's rows; the specs of approve and refuse may have left a transfer in their namespace.
		got := slices.DeleteFunc(lines(r.out), func(l string) bool { return strings.HasPrefix(l, "deciding,") })
		Expect(got).To(Equal(want))

		By("in JSON, the same rows")
		r = run(fleetNow, nil, "pending", "-n", "fleet-4", "-o", "json")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(r.out).To(ContainSubstring(`"name": "org-46-billing"`))
		Expect(r.out).To(ContainSubstring(`"expiresAt": "2026-06-01T16:00:00Z"`))
		Expect(r.out).NotTo(ContainSubstring("org-47-billing"))
	})

	It("report -A -o csv lists who holds what, with the verified and re-confirmed dates", func() {
		r := run(fleetNow, nil, "report", "-A", "-o", "csv")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		want := []string{"namespace,organization,role,scope,contact,displayName,email,verified,reconfirmed,reconfirmation"}
		for _, o := range fleet() {
			row := func(role, scope, contact string) string {
				verified, reconfirmed, reconfirmation := "", "", ""
				email := o.email(contact)
				if o.verified() {
					verified, email = ts(fleetNow.AddDate(0, 0, -30)), strings.ToLower(email)
				}
				switch o.i % 3 {
				case 0:
					reconfirmed, reconfirmation = ts(fleetNow.AddDate(0, 0, -10)), "Reconfirmed"
				case 1:
					reconfirmation = "ReconfirmationLapsed"
				}
				return strings.Join([]string{o.namespace, o.name, role, scope, contact, "Name of " + contact, email,
					verified, reconfirmed, reconfirmation}, ",")
			}
			if !o.primaryVacant() {
				want = append(want, row("primary", "", o.primary()))
			}
			want = append(want, row("billing", "", o.billing()), row("technical", "paris", o.primary()))
			if !o.lisbonVacant() {
				want = append(want, row("technical", "lisbon", o.billing()))
			}
		}
		Expect(want).To(HaveLen(1 + 4*50 - 7 - 5))
		Expect(lines(r.out)).To(Equal(want))

		By("as markdown for one namespace, without the namespace column")
		r = run(fleetNow, nil, "report", "-n", "fleet-0", "-o", "markdown")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(lines(r.out)[0]).To(Equal("| ORGANIZATION | ROLE | SCOPE | CONTACT | DISPLAY NAME | EMAIL | VERIFIED | RECONFIRMED | RECONFIRMATION |"))
		Expect(lines(r.out)[2]).To(Equal("| org-00 | primary |  | alice | Name of alice | alice@acme.example | 2026-05-02T12:00:00Z | 2026-05-22T12:00:00Z | Reconfirmed |"))

		By("an unknown format is refused before anything is listed")
		r = run(fleetNow, nil, "report", "-A", "-o", "xml")
		Expect(r.err).To(MatchError(ContainSubstring(`unknown output format "xml"`)))
		Expect(r.queries).To(BeEmpty())
	})

	It("history lists an organization's changes with approvers, requester and user, filtered by role and date", func(ctx SpecContext) {
		org := &v1alpha1.Organization{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: "fleet-0", Name: "org-01"}, org)).To(Succeed())
		org.Status.History = append(org.Status.History,
			v1alpha1.HolderChange{Role: "billing", Holder: "org-01-primary", Previous: "org-01-billing", Since: mt(fleetNow.Add(-48 * time.Hour)),
				How: v1alpha1.HolderChangeTransfer, Assignment: "org-01-billing", Transfer: "billing-move", RequestedBy: "org-01-billing",
				User: "jane@corp.example", Approvals: []v1alpha1.HistoryApproval{
					{Contact: "org-01-primary", Via: v1alpha1.DecisionViaAnnotation, DecidedAt: ptr(mt(fleetNow.Add(-50 * time.Hour)))},
					{Contact: "org-01-billing", Via: v1alpha1.DecisionViaLink, DecidedAt: ptr(mt(fleetNow.Add(-49 * time.Hour)))},
				}},
			v1alpha1.HolderChange{Role: "billing", Previous: "org-01-primary", Since: mt(fleetNow.Add(-time.Hour)),
				How: v1alpha1.HolderChangeDeletion, Assignment: "org-01-billing", User: "system:serviceaccount:flux-system:kustomize-controller"})
		Expect(k8sClient.Status().Update(ctx, org)).To(Succeed())

		r := run(fleetNow, nil, "history", "org-01", "-n", "fleet-0", "--role", "billing", "--since", "2026-05-30", "-o", "csv")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(lines(r.out)).To(Equal([]string{
			"since,role,scope,holder,previous,how,approvals,requestedBy,user,transfer,assignment",
			"2026-05-30T12:00:00Z,billing,,org-01-primary,org-01-billing,Transfer," +
				"org-01-primary via Annotation at 2026-05-30T10:00:00Z; org-01-billing via Link at 2026-05-30T11:00:00Z," +
				"org-01-billing,jane@corp.example,billing-move,org-01-billing",
			"2026-06-01T11:00:00Z,billing,,,org-01-primary,Deletion,,,system:serviceaccount:flux-system:kustomize-controller,,org-01-billing",
		}))

		By("--since as RFC 3339 leaves out what came before")
		r = run(fleetNow, nil, "history", "org-01", "-n", "fleet-0", "--since", "2026-06-01T00:00:00Z", "--no-headers")
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(lines(r.out)).To(HaveLen(1))
		Expect(r.out).To(HavePrefix("2026-06-01T11:00:00Z   billing"))

		By("a date that is not one")
		r = run(fleetNow, nil, "history", "org-01", "-n", "fleet-0", "--since", "last week")
		Expect(r.err).To(MatchError(ContainSubstring("2006-01-02")))

		By("an organization that does not exist")
		r = run(fleetNow, nil, "history", "org-01", "-n", "fleet-1")
		Expect(r.err).To(MatchError(ContainSubstring("not found")))
	})
})

var _ = Describe("kubectl roster approve and refuse", Ordered, func() {
	const ns = "deciding"
	var pending, completed *v1alpha1.ContactTransfer

	annotations := func(ctx context.Context, t *v1alpha1.ContactTransfer) map[string]string {
		GinkgoHelper()
		got := &v1alpha1.ContactTransfer{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(t), got)).To(Succeed())
		return got.Annotations
	}

	BeforeAll(func(ctx SpecContext) {
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		newTransfer := func(name string, conds ...metav1.Condition) *v1alpha1.ContactTransfer {
			t := &v1alpha1.ContactTransfer{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Spec: v1alpha1.ContactTransferSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Role: "billing",
					From: &v1alpha1.LocalObjectReference{Name: "bob"}, To: v1alpha1.LocalObjectReference{Name: "carol"}},
			}
			Expect(k8sClient.Create(ctx, t)).To(Succeed())
			t.Status = v1alpha1.ContactTransferStatus{Conditions: conds,
				Approvals: []v1alpha1.PartyApproval{{Contact: "carol", As: v1alpha1.PartyIncoming, Decision: v1alpha1.DecisionPending}}}
			Expect(k8sClient.Status().Update(ctx, t)).To(Succeed())
			return t
		}
		pending = newTransfer("billing-to-carol", condition("Ready", metav1.ConditionFalse, v1alpha1.AwaitingApprovalReason, fleetNow))
		completed = newTransfer("done", condition(v1alpha1.CompletedCondition, metav1.ConditionTrue, v1alpha1.CompletedReason, fleetNow))
	})

	const code = "hV3q-9_Zs2mKp0aXbT7yWcLrN4dE6fGjUiOo1QeRtYu"

	It("takes no code from argv: neither an argument nor a flag", func(ctx SpecContext) {
		for _, verb := range []string{"approve", "refuse"} {
			r := run(fleetNow, strings.NewReader(""), verb, pending.Name, code, "-n", ns)
			Expect(r.err).To(MatchError(ContainSubstring("accepts 1 arg(s), received 2")))
			for _, flag := range []string{"--code", "--approve-code", "--secret", "-c"} {
				r = run(fleetNow, strings.NewReader(""), verb, pending.Name, flag+"="+code, "-n", ns)
				Expect(r.err).To(MatchError(ContainSubstring("unknown")), flag)
			}
			cmd := newRootCommand(genericiooptions.IOStreams{}, time.Now)
			sub, _, err := cmd.Find([]string{verb})
			Expect(err).NotTo(HaveOccurred())
			var local []string
			sub.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) { local = append(local, f.Name) })
			Expect(local).To(BeEmpty(), "approve and refuse have flags of their own")
		}
		Expect(annotations(ctx, pending)).NotTo(HaveKey(v1alpha1.ApproveAnnotation))
		Expect(annotations(ctx, pending)).NotTo(HaveKey(v1alpha1.RefuseAnnotation))
	})

	It("refuses an empty stdin or what is not a code, and annotates nothing", func(ctx SpecContext) {
		r := run(fleetNow, strings.NewReader(""), "approve", pending.Name, "-n", ns)
		Expect(r.err).To(MatchError(ContainSubstring("no code given")))
		r = run(fleetNow, strings.NewReader("roster.dev/approve="+code+"\n"), "approve", pending.Name, "-n", ns)
		Expect(r.err).To(MatchError(ContainSubstring("paste only the code")))
		Expect(annotations(ctx, pending)).NotTo(HaveKey(v1alpha1.ApproveAnnotation))
	})

	It("reads the code from stdin and annotates the transfer with it", func(ctx SpecContext) {
		r := run(fleetNow, strings.NewReader(code+"\n"), "approve", pending.Name, "-n", ns)
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(r.out).To(ContainSubstring("contacttransfer.roster.dev/billing-to-carol annotated with roster.dev/approve"))
		Expect(r.out+r.errOut).NotTo(ContainSubstring(code), "the code is never printed")
		Expect(annotations(ctx, pending)).To(HaveKeyWithValue(v1alpha1.ApproveAnnotation, code))

		r = run(fleetNow, strings.NewReader(code), "refuse", pending.Name, "-n", ns)
		Expect(r.err).NotTo(HaveOccurred(), r.errOut)
		Expect(annotations(ctx, pending)).To(HaveKeyWithValue(v1alpha1.RefuseAnnotation, code))

		By("the code went in the request body, never in a URL")
		for _, q := range r.queries {
			Expect(q).NotTo(ContainSubstring(code))
		}
	})

	It("says a settled transfer has nothing left to decide", func(ctx SpecContext) {
		r := run(fleetNow, strings.NewReader(code+"\n"), "refuse", completed.Name, "-n", ns)
		Expect(r.err).To(MatchError(ContainSubstring("settled already")))
		Expect(annotations(ctx, completed)).NotTo(HaveKey(v1alpha1.RefuseAnnotation))
		r = run(fleetNow, strings.NewReader(code+"\n"), "approve", "missing", "-n", ns)
		Expect(r.err).To(MatchError(ContainSubstring("not found")))
	})
})
