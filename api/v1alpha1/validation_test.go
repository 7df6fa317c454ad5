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

package v1alpha1_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	. "roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/notify"
)

// These specs prove the single-object rules the apiserver enforces from the CRD schemas (OpenAPI and CEL),
// with no operator running.

var (
	testEnv *envtest.Environment
	c       client.Client
	ns      string
)

func TestAPI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "API validation Suite")
}

var _ = BeforeSuite(func() {
	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(AddToScheme(scheme)).To(Succeed())
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred(), "start the control plane (KUBEBUILDER_ASSETS must point at bin/k8s: run `make test`)")
	c, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "api-"}}
	Expect(c.Create(context.Background(), n)).To(Succeed())
	ns = n.Name
})

var _ = AfterSuite(func() {
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

func ref(name string) LocalObjectReference { return LocalObjectReference{Name: name} }

func newContact(name string, mutate func(*Contact)) *Contact {
	ct := &Contact{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       ContactSpec{OrganizationRef: ref("acme"), Email: name + "@acme.example"},
	}
	if mutate != nil {
		mutate(ct)
	}
	return ct
}

func newTransfer(name string, mutate func(*ContactTransfer)) *ContactTransfer {
	from := ref("alice")
	t := &ContactTransfer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: ContactTransferSpec{OrganizationRef: ref("acme"), Role: "billing", From: &from, To: ref("bob"),
			RequestedBy: ptr(ref("carol"))},
	}
	if mutate != nil {
		mutate(t)
	}
	return t
}

func newOrganization(name string, mutate func(*Organization)) *Organization {
	o := &Organization{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: OrganizationSpec{DisplayName: "ACME"}}
	if mutate != nil {
		mutate(o)
	}
	return o
}

// expectInvalid creates obj and expects the apiserver to refuse it with a message containing each part.
func expectInvalid(obj client.Object, parts ...string) {
	err := c.Create(context.Background(), obj)
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "expected Invalid, got %v", err)
	for _, p := range parts {
		Expect(err.Error()).To(ContainSubstring(p))
	}
}

var _ = Describe("Schema validation", func() {
	ctx := context.Background()

	DescribeTable("rejects, naming the field",
		func(build func() client.Object, parts ...string) { expectInvalid(build(), parts...) },
		Entry("a Contact whose email is not an address",
			func() client.Object {
				return newContact("bad-email", func(ct *Contact) { ct.Spec.Email = "not-an-email" })
			},
			"spec.email", "email"),
		Entry("a Contact with reassignTo while enabled",
			func() client.Object {
				return newContact("reassign-enabled", func(ct *Contact) { r := ref("bob"); ct.Spec.ReassignTo = &r })
			},
			"spec.reassignTo", "disabled: true"),
		Entry("a Contact that reassigns to itself",
			func() client.Object {
				return newContact("self", func(ct *Contact) { r := ref("self"); ct.Spec.Disabled = true; ct.Spec.ReassignTo = &r })
			},
			"spec.reassignTo must name another contact"),
		Entry("a Contact with an unknown locale",
			func() client.Object { return newContact("klingon", func(ct *Contact) { ct.Spec.Locale = "tlh" }) },
			"spec.locale", `"en", "fr", "pt"`),
		Entry("a Contact with a region in its locale",
			func() client.Object { return newContact("brazil", func(ct *Contact) { ct.Spec.Locale = "pt-BR" }) },
			"spec.locale", `"en", "fr", "pt"`),
		Entry("a ContactTransfer whose from equals to",
			func() client.Object {
				return newTransfer("same", func(t *ContactTransfer) { t.Spec.To = ref("alice") })
			},
			"spec.to", "must differ from spec.from"),
		Entry("a RoleAssignment for a role name that is not a DNS label",
			func() client.Object {
				return &RoleAssignment{ObjectMeta: metav1.ObjectMeta{Name: "bad-role", Namespace: ns},
					Spec: RoleAssignmentSpec{OrganizationRef: ref("acme"), Role: "Billing Contact", ContactRef: ref("bob")}}
			},
			"spec.role"),
		Entry("an Organization role with minHolders above maxHolders",
			func() client.Object {
				return newOrganization("min-max", func(o *Organization) {
					o.Spec.Roles = []RoleDefinition{{Name: "auditor", MinHolders: ptr(int32(3)), MaxHolders: ptr(int32(2))}}
				})
			},
			"spec.roles[0]", "minHolders must not exceed maxHolders"),
		Entry("an Organization webhook whose url is not http(s)",
			func() client.Object {
				return newOrganization("bad-hook", func(o *Organization) {
					o.Spec.Notifications = &NotificationSettings{Webhooks: []WebhookSettings{
						{Name: "audit", URL: "ftp://hooks.example", SecretRef: SecretReference{Name: "h"}}}}
				})
			},
			"spec.notifications.webhooks[0].url", "absolute http or https URL"),
		Entry("an Organization whose tokenTTL is under a minute",
			func() client.Object {
				return newOrganization("ttl-short", func(o *Organization) { o.Spec.Approval.TokenTTL = &metav1.Duration{Duration: time.Second} })
			},
			"spec.approval.tokenTTL", "between 1m and 720h"),
		Entry("an Organization whose tokenTTL is over 30 days",
			func() client.Object {
				return newOrganization("ttl-long", func(o *Organization) { o.Spec.Approval.TokenTTL = &metav1.Duration{Duration: 721 * time.Hour} })
			},
			"spec.approval.tokenTTL", "between 1m and 720h"),
		Entry("an Organization whose initial roster window is over 24h",
			func() client.Object {
				return newOrganization("window-long", func(o *Organization) {
					o.Spec.Approval.InitialRosterWindow = &metav1.Duration{Duration: 25 * time.Hour}
				})
			},
			"spec.approval.initialRosterWindow", "between 0s and 24h"),
		Entry("an Organization with a reminder that is not a percentage",
			func() client.Object {
				return newOrganization("reminder-bad", func(o *Organization) { o.Spec.Approval.Reminders = []string{"50%", "12h"} })
			},
			"spec.approval.reminders[1]", "should match"),
		Entry("an Organization with a reminder at 100%",
			func() client.Object {
				return newOrganization("reminder-100", func(o *Organization) { o.Spec.Approval.Reminders = []string{"100%"} })
			},
			"spec.approval.reminders[0]"),
		Entry("an Organization whose history limit is over 1000",
			func() client.Object {
				return newOrganization("history-big", func(o *Organization) { o.Spec.Approval.HistoryLimit = ptr(int32(1001)) })
			},
			"spec.approval.historyLimit"),
		Entry("an Organization that asks for re-confirmation more often than hourly",
			func() client.Object {
				return newOrganization("reconfirm-often", func(o *Organization) {
					o.Spec.Reconfirmation = &ReconfirmationSettings{Every: metav1.Duration{Duration: time.Minute}}
				})
			},
			"spec.reconfirmation.every", "between 1h and 87600h"),
		Entry("an Organization whose re-confirmation window is longer than its period",
			func() client.Object {
				return newOrganization("reconfirm-within", func(o *Organization) {
					o.Spec.Reconfirmation = &ReconfirmationSettings{Every: metav1.Duration{Duration: time.Hour},
						Within: &metav1.Duration{Duration: 2 * time.Hour}}
				})
			},
			"spec.reconfirmation", "within must not be longer than reconfirmation.every"),
	)

	It("defaults an Organization's reminders and history limit", func() {
		o := newOrganization("approval-defaults", func(o *Organization) {
			o.Spec.Reconfirmation = &ReconfirmationSettings{Every: metav1.Duration{Duration: 8760 * time.Hour}}
		})
		Expect(c.Create(ctx, o)).To(Succeed())
		Expect(o.Spec.Approval.Reminders).To(Equal([]string{"50%", "90%"}))
		Expect(*o.Spec.Approval.HistoryLimit).To(Equal(int32(100)))
		Expect(o.Spec.Reconfirmation.Within).To(BeNil(), "unset: the operator takes 336h, or every when shorter")

		hourly := newOrganization("reconfirm-hourly", func(o *Organization) {
			o.Spec.Reconfirmation = &ReconfirmationSettings{Every: metav1.Duration{Duration: time.Hour}}
		})
		Expect(c.Create(ctx, hourly)).To(Succeed(), "every shorter than the default of within needs no within")
	})

	It("keeps an Organization's initial roster window immutable", func() {
		o := newOrganization("window", nil)
		Expect(c.Create(ctx, o)).To(Succeed())
		Expect(o.Spec.Approval.InitialRosterWindow.Duration).To(Equal(10 * time.Minute))
		o.Spec.Approval.InitialRosterWindow = &metav1.Duration{Duration: 24 * time.Hour}
		err := c.Update(ctx, o)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("initialRosterWindow is immutable"))
		o.Spec.Approval.InitialRosterWindow = &metav1.Duration{Duration: 10 * time.Minute}
		o.Spec.Approval.TokenTTL = &metav1.Duration{Duration: time.Hour}
		Expect(c.Update(ctx, o)).To(Succeed(), "the other settings may change")
	})

	It("accepts a valid Contact and defaults its locale and standing", func() {
		ct := newContact("valid", nil)
		Expect(c.Create(ctx, ct)).To(Succeed())
		Expect(ct.Spec.Locale).To(Equal(LocaleEnglish))
		Expect(ct.Spec.AccountStanding).To(Equal(AccountStandingGood))
	})

	It("accepts a Contact in Portuguese", func() {
		ct := newContact("portuguese", func(ct *Contact) { ct.Spec.Locale = LocalePortuguese })
		Expect(c.Create(ctx, ct)).To(Succeed())
		Expect(ct.Spec.Locale).To(Equal(LocalePortuguese))
	})

	It("defaults an Organization's approval settings", func() {
		o := newOrganization("defaults", nil)
		Expect(c.Create(ctx, o)).To(Succeed())
		Expect(o.Spec.Approval.TokenTTL).NotTo(BeNil())
		Expect(o.Spec.Approval.TokenTTL.Duration.String()).To(Equal("168h0m0s"))
		Expect(*o.Spec.Approval.MaxAttempts).To(BeEquivalentTo(5))
	})

	It("keeps a Contact's organizationRef immutable", func() {
		ct := newContact("moves", nil)
		Expect(c.Create(ctx, ct)).To(Succeed())
		ct.Spec.OrganizationRef = ref("other")
		err := c.Update(ctx, ct)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec.organizationRef is immutable"))
	})

	It("keeps a RoleAssignment's role immutable but lets contactRef change", func() {
		ra := &RoleAssignment{ObjectMeta: metav1.ObjectMeta{Name: "ra", Namespace: ns},
			Spec: RoleAssignmentSpec{OrganizationRef: ref("acme"), Role: "billing", ContactRef: ref("bob")}}
		Expect(c.Create(ctx, ra)).To(Succeed())
		ra.Spec.ContactRef = ref("carol")
		Expect(c.Update(ctx, ra)).To(Succeed())
		ra.Spec.Role = "renewal"
		err := c.Update(ctx, ra)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec.role is immutable"))
	})

	It("keeps a ContactTransfer's spec immutable", func() {
		t := newTransfer("frozen", nil)
		Expect(c.Create(ctx, t)).To(Succeed())
		t.Spec.Reason = "changed my mind"
		err := c.Update(ctx, t)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec is immutable"))
	})

	It("keeps a ContactTransfer's decisions one-way in its status, by CRD transition rules", func() {
		t := newTransfer("decided", nil)
		Expect(c.Create(ctx, t)).To(Succeed())
		completed := metav1.Now()
		t.Status.Round, t.Status.FailedAttempts, t.Status.CompletedAt = 2, 1, &completed
		t.Status.Conditions = []metav1.Condition{
			{Type: ApprovedCondition, Status: metav1.ConditionTrue, Reason: "Approved", Message: "approved", LastTransitionTime: completed},
			{Type: CompletedCondition, Status: metav1.ConditionTrue, Reason: "Completed", Message: "done", LastTransitionTime: completed},
		}
		Expect(c.Status().Update(ctx, t)).To(Succeed())

		for _, tc := range []struct {
			change func(*ContactTransfer)
			want   string
		}{
			{func(t *ContactTransfer) { t.Status.Conditions[1].Status = metav1.ConditionFalse }, "a condition that is True never goes back"},
			{func(t *ContactTransfer) { t.Status.Conditions = t.Status.Conditions[:1] }, "a condition that is True never goes back"},
			{func(t *ContactTransfer) { t.Status.Round = 1 }, "status.round never goes back"},
			{func(t *ContactTransfer) { t.Status.FailedAttempts = 0 }, "status.failedAttempts never goes back"},
			{func(t *ContactTransfer) { t.Status.CompletedAt = nil }, "status.completedAt never changes once set"},
		} {
			undo := t.DeepCopy()
			tc.change(undo)
			err := c.Status().Update(ctx, undo)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
			Expect(err.Error()).To(ContainSubstring(tc.want))
		}
		wiped := t.DeepCopy()
		wiped.Status = ContactTransferStatus{}
		Expect(apierrors.IsInvalid(c.Status().Update(ctx, wiped))).To(BeTrue(), "an empty status is a status going back")
		err := c.Status().Patch(ctx, t.DeepCopy(), client.RawPatch(types.MergePatchType, []byte(`{"status":null}`)))
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("status cannot be removed"))
		t.Status.Round = 3
		Expect(c.Status().Update(ctx, t)).To(Succeed(), "going forward is fine")
	})

	It("accepts a ContactTransfer for a vacant role (no from)", func() {
		Expect(c.Create(ctx, newTransfer("vacant", func(t *ContactTransfer) { t.Spec.From = nil }))).To(Succeed())
	})
})

var _ = Describe("Size bounds", func() {
	ctx := context.Background()
	now := time.Date(2026, time.March, 4, 5, 6, 7, 0, time.UTC)

	// fat is a notification as large as Record takes: long facts of multibyte text, a long key, 120
	// recipients of 253 characters (three parts).
	fat := func(i int) notify.Notification {
		n := notify.Notification{Key: fmt.Sprintf("uid/Notice/%s-%03d", strings.Repeat("é", 300), i), Type: notify.Notice,
			Facts: map[string]string{}}
		for f := range 16 {
			n.Facts[fmt.Sprintf("fact-%02d", f)] = strings.Repeat("€<&", 1000)
		}
		for r := range 120 {
			n.Recipients = append(n.Recipients, notify.Recipient{Contact: fmt.Sprintf("%0253d", r)})
		}
		return n
	}
	newAssignment := func() *RoleAssignment {
		ra := &RoleAssignment{ObjectMeta: metav1.ObjectMeta{GenerateName: "size-", Namespace: ns},
			Spec: RoleAssignmentSpec{OrganizationRef: ref("acme"), Role: "billing", ContactRef: ref("bob")}}
		Expect(c.Create(ctx, ra)).To(Succeed())
		return ra
	}

	It("accepts the largest outbox and condition messages the operator writes", func() {
		ra := newAssignment()
		for i := range 40 {
			notify.Record(&ra.Status.Outbox, fat(i), []string{"email", "webhook/audit"}, now.Add(time.Duration(i)*time.Second))
		}
		conditions.Set(&ra.Status.Conditions, 1, ReadyCondition, metav1.ConditionFalse, ConflictReason, strings.Repeat("€", 3*MaxConditionMessage))
		Expect(c.Status().Update(ctx, ra)).To(Succeed())
		Expect(len(ra.Status.Outbox)).To(BeNumerically(">", 1))
	})

	DescribeTable("refuses a status over its bounds, naming the rule",
		func(change func(*RoleAssignmentStatus), parts ...string) {
			ra := newAssignment()
			change(&ra.Status)
			err := c.Status().Update(ctx, ra)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
			for _, p := range parts {
				Expect(err.Error()).To(ContainSubstring(p))
			}
		},
		Entry("a condition message of 4097 characters", func(st *RoleAssignmentStatus) {
			st.Conditions = []metav1.Condition{{Type: ReadyCondition, Status: metav1.ConditionTrue, Reason: ReconciledReason,
				Message: strings.Repeat("x", MaxConditionMessage+1), LastTransitionTime: metav1.NewTime(now)}}
		}, "status.conditions[0]", "message must be at most 4096 characters"),
		Entry("a fact value of 2049 characters", func(st *RoleAssignmentStatus) {
			st.Outbox = []Delivery{{ID: "k/email", Type: "Notice", Channel: "email", State: DeliveryPending, RecordedAt: metav1.NewTime(now),
				Facts: map[string]string{"body": strings.Repeat("x", 2049)}}}
		}, "status.outbox[0].facts", "values at most 2048"),
		Entry("a fact name of 65 characters", func(st *RoleAssignmentStatus) {
			st.Outbox = []Delivery{{ID: "k/email", Type: "Notice", Channel: "email", State: DeliveryPending, RecordedAt: metav1.NewTime(now),
				Facts: map[string]string{strings.Repeat("n", 65): "v"}}}
		}, "status.outbox[0].facts", "fact names must be at most 64 characters"),
		Entry("an outbox of more than 262144 characters of ids, recipients and facts", func(st *RoleAssignmentStatus) {
			for i := range 9 { // 9 × 16 × 2048 > 262144
				facts := map[string]string{}
				for f := range 16 {
					facts[fmt.Sprintf("fact-%02d", f)] = strings.Repeat("x", 2048)
				}
				st.Outbox = append(st.Outbox, Delivery{ID: fmt.Sprintf("k%d/email", i), Type: "Notice", Channel: "email",
					State: DeliveryPending, RecordedAt: metav1.NewTime(now), Facts: facts})
			}
		}, "status.outbox", "at most 262144 characters in all"),
	)

	It("refuses scopes that name more than 1024 required and exempt roles in all", func() {
		expectInvalid(newOrganization("many-scope-roles", func(o *Organization) {
			for i := range 200 {
				o.Spec.Scopes = append(o.Spec.Scopes, Scope{Name: fmt.Sprintf("site-%03d", i),
					RequiredRoles: []string{"a", "b", "c"}, ExemptRoles: []string{"d", "e", "f"}})
			}
		}), "spec.scopes", "at most 1024 roles in all")
		Expect(c.Create(ctx, newOrganization("some-scope-roles", func(o *Organization) {
			for i := range 256 {
				o.Spec.Scopes = append(o.Spec.Scopes, Scope{Name: fmt.Sprintf("site-%03d", i),
					RequiredRoles: []string{"renewal", "shipping"}, ExemptRoles: []string{"technical", "technical-secondary"}})
			}
		}))).To(Succeed(), "four roles in each of 256 scopes")
	})
})

func ptr[T any](v T) *T { return &v }
