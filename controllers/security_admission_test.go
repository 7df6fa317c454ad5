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
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"roster.dev/roster/api/v1alpha1"
)

// These specs attack the approval as users of the cluster would: a cluster-admin that writes status, an
// editor that writes the break-glass annotation or weakens the catalogue. Each asserts the refusal and that
// nothing changed, and the allowed path next to it.

// Users of the control plane, created once per suite.
var (
	usersMu sync.Mutex
	users   = map[string]client.Client{}
)

// clientAs returns a client authenticated as the named user with the given groups (a client certificate).
func clientAs(name string, groups ...string) client.Client {
	GinkgoHelper()
	usersMu.Lock()
	defer usersMu.Unlock()
	if c, ok := users[name]; ok {
		return c
	}
	u, err := testEnv.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	Expect(err).NotTo(HaveOccurred())
	c, err := client.New(u.Config(), client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	users[name] = c
	return c
}

// mallory is a cluster-admin.
func mallory() client.Client { return clientAs("mallory", "system:masters") }

// editor is bound in a namespace to the shipped editor roles of ContactTransfers and Organizations.
func editorIn(ns string) client.Client {
	GinkgoHelper()
	bind(ns, "editor", "contacttransfer_editor_role.yaml", "organization_editor_role.yaml")
	return clientAs("editor")
}

// breakglassIn is bound in a namespace to the shipped approver role, and may edit Organizations.
func breakglassIn(ns string) client.Client {
	GinkgoHelper()
	bind(ns, "breakglass", "contacttransfer_approver_role.yaml", "organization_editor_role.yaml")
	return clientAs("breakglass")
}

// bind creates the ClusterRoles of the given config/rbac files (once) and binds them to user in ns.
func bind(ns, user string, files ...string) {
	GinkgoHelper()
	ctx := context.Background()
	for _, f := range files {
		role := &rbacv1.ClusterRole{}
		data, err := os.ReadFile(filepath.Join("..", "config", "rbac", f))
		Expect(err).NotTo(HaveOccurred())
		Expect(yaml.Unmarshal(data, role)).To(Succeed())
		if err := k8sClient.Create(ctx, role); err != nil && !apierrors.IsAlreadyExists(err) {
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: user + "-" + role.Name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
		})).To(Succeed())
	}
}

// mergePatch applies a JSON merge patch as c, to the object or to its status.
func mergePatch(c client.Client, obj client.Object, status bool, patch string) error {
	p := client.RawPatch("application/merge-patch+json", []byte(patch))
	if status {
		return c.Status().Patch(context.Background(), obj.DeepCopyObject().(client.Object), p)
	}
	return c.Patch(context.Background(), obj.DeepCopyObject().(client.Object), p)
}

// updateAs reads obj as c, changes it and writes it back (its status when status), again while the write
// conflicts with the operator's own; it returns the outcome of the last write.
func updateAs[T client.Object](c client.Client, obj T, status bool, change func(T)) error {
	ctx := context.Background()
	var err error
	for range 20 {
		if err = c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		change(obj)
		if status {
			err = c.Status().Update(ctx, obj)
		} else {
			err = c.Update(ctx, obj)
		}
		if !apierrors.IsConflict(err) {
			return err
		}
	}
	return err
}

// expectForbidden expects a refusal by admission (Forbidden) whose message says each part.
func expectForbidden(err error, parts ...string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred())
	Expect(apierrors.IsForbidden(err)).To(BeTrue(), "expected Forbidden, got %v", err)
	for _, p := range parts {
		Expect(err.Error()).To(ContainSubstring(p))
	}
}

// latest reads obj as the admin.
func latest[T client.Object](obj T) T {
	GinkgoHelper()
	Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	return obj
}

// rowOf is a party's row of the transfer's status.approvals, as last read.
func rowOf(t *v1alpha1.ContactTransfer, contact string) v1alpha1.PartyApproval {
	for _, a := range t.Status.Approvals {
		if a.Contact == contact {
			return a
		}
	}
	return v1alpha1.PartyApproval{}
}

const operatorOnly = "the status is written by the Roster operator only"

var _ = Describe("Security: admission", func() {
	ctx := context.Background()
	var ns string
	var billing *v1alpha1.RoleAssignment
	var pending *v1alpha1.ContactTransfer

	// acme: alice is primary, dave technical and bob billing (initial roster); a transfer of billing to
	// frank, asked by alice, waits for alice and frank.
	BeforeEach(func() {
		ns = newNamespace()
		create(organization(ns, "acme"),
			contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "dave"), contact(ns, "acme", "frank"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-technical", "technical", "", "dave"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"))
		billing = assignment(ns, "acme", "acme-billing", "", "", "")
		Eventually(condition(organization(ns, "acme"), v1alpha1.ReadyCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
		Eventually(func() string { return latest(billing).Status.Holder }).Should(Equal("bob"))

		pending = &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "billing-to-frank"},
			Spec: v1alpha1.ContactTransferSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, Role: "billing",
				From: &v1alpha1.LocalObjectReference{Name: "bob"}, To: v1alpha1.LocalObjectReference{Name: "frank"},
				RequestedBy: &v1alpha1.LocalObjectReference{Name: "alice"}, Reason: "Bob leaves the company"}}
		create(pending)
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pending), pending)).To(Succeed())
			g.Expect(pending.Status.ExpiresAt).NotTo(BeNil())
			g.Expect(rowOf(pending, "alice").Decision).To(Equal(v1alpha1.DecisionPending))
			g.Expect(rowOf(pending, "frank").Decision).To(Equal(v1alpha1.DecisionPending))
		}).Should(Succeed())
	})

	// stillPending asserts, for a while, that the transfer waits for both parties and nothing moved.
	stillPending := func() {
		GinkgoHelper()
		Consistently(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pending), pending)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(pending.Status.Conditions, v1alpha1.ApprovedCondition)).To(BeFalse())
			g.Expect(rowOf(pending, "alice").Decision).To(Equal(v1alpha1.DecisionPending))
			g.Expect(rowOf(pending, "frank").Decision).To(Equal(v1alpha1.DecisionPending))
			g.Expect(latest(billing).Status.Holder).To(Equal("bob"))
		}).Should(Succeed())
	}

	Context("status is written by the operator only", func() {
		It("refuses a cluster-admin that approves a pending ContactTransfer in its status", func() {
			err := updateAs(mallory(), pending.DeepCopy(), true, func(t *v1alpha1.ContactTransfer) {
				for i := range t.Status.Approvals {
					t.Status.Approvals[i].Decision = v1alpha1.DecisionApproved
					t.Status.Approvals[i].DecidedAt = &metav1.Time{Time: time.Now()}
					t.Status.Approvals[i].Via = v1alpha1.DecisionViaLink
				}
				meta.SetStatusCondition(&t.Status.Conditions, metav1.Condition{Type: v1alpha1.ApprovedCondition,
					Status: metav1.ConditionTrue, Reason: "Approved", Message: "approved", ObservedGeneration: t.Generation})
			})
			expectForbidden(err, "contacttransfers.roster.dev", "status", operatorOnly, `"mallory"`)
			stillPending()
		})

		It("refuses a cluster-admin that resets failedAttempts or extends expiresAt", func() {
			Expect(mergePatch(k8sClient, pending, false, `{"metadata":{"annotations":{"roster.dev/approve":"not-a-code-anyone-was-sent"}}}`)).To(Succeed())
			Eventually(func() int32 { return latest(pending).Status.FailedAttempts }).Should(BeEquivalentTo(1))
			expiresAt := pending.Status.ExpiresAt.DeepCopy()

			// Lowering it is refused by the CRD's transition rule before any webhook; raising it, by the status
			// guard.
			Expect(mergePatch(mallory(), pending, true, `{"status":{"failedAttempts":0}}`)).To(MatchError(ContainSubstring("status.failedAttempts never goes back")))
			expectForbidden(mergePatch(mallory(), pending, true, `{"status":{"failedAttempts":4}}`), operatorOnly)
			expectForbidden(mergePatch(mallory(), pending, true, `{"status":{"expiresAt":"2099-01-01T00:00:00Z"}}`), operatorOnly)
			Consistently(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pending), pending)).To(Succeed())
				g.Expect(pending.Status.FailedAttempts).To(BeEquivalentTo(1))
				g.Expect(pending.Status.ExpiresAt.Equal(expiresAt)).To(BeTrue(), "expiresAt moved to %v", pending.Status.ExpiresAt)
			}).Should(Succeed())
		})

		It("refuses a cluster-admin that writes status.holder of a RoleAssignment", func() {
			expectForbidden(mergePatch(mallory(), billing, true, `{"status":{"holder":"frank"}}`),
				"roleassignments.roster.dev", operatorOnly)
			expectForbidden(updateAs(mallory(), billing.DeepCopy(), true, func(ra *v1alpha1.RoleAssignment) {
				ra.Status.Holder = "frank"
			}), operatorOnly)
			Consistently(func() string { return latest(billing).Status.Holder }).Should(Equal("bob"))
		})

		It("refuses a cluster-admin that writes the status of an Organization or a Contact", func() {
			org := latest(organization(ns, "acme"))
			expectForbidden(mergePatch(mallory(), org, true, `{"status":{"roles":[{"role":"billing","holders":["frank"],"required":false,"satisfied":true}]}}`),
				"organizations.roster.dev", operatorOnly)
			alice := latest(contact(ns, "acme", "alice"))
			expectForbidden(mergePatch(mallory(), alice, true, `{"status":{"roles":[{"role":"primary"},{"role":"billing"}]}}`),
				"contacts.roster.dev", operatorOnly)
			Consistently(func(g Gomega) {
				g.Expect(latest(org).Status.Roles).NotTo(ContainElement(HaveField("Holders", ContainElement("frank"))))
				g.Expect(latest(alice).Status.Roles).NotTo(ContainElement(HaveField("Role", "billing")))
			}).Should(Succeed())
		})
	})

	Context("break-glass", func() {
		It("lets a user granted approve decide for a party, recorded via Override with its name", func() {
			breakglass := breakglassIn(ns)
			// RBAC takes a moment to see the new binding.
			Eventually(func() error {
				return mergePatch(breakglass, pending, false, `{"metadata":{"annotations":{"roster.dev/override":"frank=Approved"}}}`)
			}).Should(Succeed())
			Eventually(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pending), pending)).To(Succeed())
				g.Expect(rowOf(pending, "frank")).To(And(HaveField("Decision", v1alpha1.DecisionApproved),
					HaveField("Via", v1alpha1.DecisionViaOverride), HaveField("User", "breakglass")))
				g.Expect(pending.Annotations).NotTo(HaveKey(v1alpha1.OverrideAnnotation), "the operator consumes the annotation")
				g.Expect(pending.Annotations).NotTo(HaveKey(v1alpha1.OverrideByAnnotation))
			}).Should(Succeed())
			Expect(rowOf(pending, "alice").Decision).To(Equal(v1alpha1.DecisionPending))

			Expect(mergePatch(breakglass, pending, false, `{"metadata":{"annotations":{"roster.dev/override":"alice=Approved"}}}`)).To(Succeed())
			Eventually(condition(pending, v1alpha1.CompletedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
			Expect(latest(billing).Status.Holder).To(Equal("frank"))

			// The one-way conditions still hold for the operator's own identity.
			Expect(updateAs(k8sClient, pending.DeepCopy(), true, func(t *v1alpha1.ContactTransfer) {
				meta.SetStatusCondition(&t.Status.Conditions, metav1.Condition{Type: v1alpha1.CompletedCondition,
					Status: metav1.ConditionFalse, Reason: "Undone", Message: "undone", ObservedGeneration: t.Generation})
			})).To(MatchError(ContainSubstring("never goes back")))
			Expect(fetched(latest(pending), v1alpha1.CompletedCondition).Status).To(Equal(metav1.ConditionTrue))
		})

		It("refuses the override annotation from an editor of ContactTransfers", func() {
			editor := editorIn(ns)
			// The editor may annotate the transfer: only the override needs more.
			Eventually(func() error {
				return mergePatch(editor, pending, false, `{"metadata":{"annotations":{"example.com/note":"seen"}}}`)
			}).Should(Succeed())
			expectForbidden(mergePatch(editor, pending, false, `{"metadata":{"annotations":{"roster.dev/override":"frank=Approved"}}}`),
				"metadata.annotations[roster.dev/override]", `user "editor"`, "verb approve", "contacttransfers.roster.dev",
				"namespace "+ns, "roster-contacttransfer-approver-role")
			expectForbidden(updateAs(editor, pending.DeepCopy(), false, func(t *v1alpha1.ContactTransfer) {
				t.Annotations[v1alpha1.OverrideAnnotation] = "alice=Approved"
			}), "verb approve")
			Expect(latest(pending).Annotations).NotTo(HaveKey(v1alpha1.OverrideAnnotation))
			stillPending()
		})

		It("stamps the override's author whatever the client wrote", func() {
			editor := editorIn(ns)
			Eventually(func() error {
				return mergePatch(editor, pending, false, `{"metadata":{"annotations":{"roster.dev/override-by":"breakglass"}}}`)
			}).Should(Succeed())
			Expect(latest(pending).Annotations).NotTo(HaveKey(v1alpha1.OverrideByAnnotation), "an author without an override is dropped")

			Expect(mergePatch(k8sClient, pending, false,
				`{"metadata":{"annotations":{"roster.dev/override":"frank=Refused","roster.dev/override-by":"someone-else"}}}`)).To(Succeed())
			Eventually(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pending), pending)).To(Succeed())
				g.Expect(rowOf(pending, "frank")).To(And(HaveField("Decision", v1alpha1.DecisionRefused),
					HaveField("Via", v1alpha1.DecisionViaOverride), HaveField("User", operatorUsername)))
			}).Should(Succeed())
			Eventually(condition(pending, v1alpha1.RefusedCondition)).Should(haveStatus(metav1.ConditionTrue, ""))
			Expect(latest(billing).Status.Holder).To(Equal("bob"))
		})
	})

	Context("weakening the catalogue of a held role", func() {
		weakenPrimary := func(c client.Client, org string) error {
			o := organization(ns, org)
			return mergePatch(c, o, false, `{"spec":{"roles":[{"name":"primary","approval":"None"}]}}`)
		}

		It("refuses an editor turning primary's approval to None while primary is held", func() {
			editor := editorIn(ns)
			Eventually(func() error {
				return mergePatch(editor, organization(ns, "acme"), false, `{"metadata":{"annotations":{"example.com/note":"seen"}}}`)
			}).Should(Succeed())
			expectForbidden(weakenPrimary(editor, "acme"), "spec.roles[primary].approval", "from TwoParty to None",
				`user "editor"`, "verb approve", "contacttransfers.roster.dev", "namespace "+ns)
			Expect(latest(organization(ns, "acme")).Spec.Roles).To(BeEmpty())

			// Other weakenings of held roles need it too.
			expectForbidden(mergePatch(editor, organization(ns, "acme"), false,
				`{"spec":{"roles":[{"name":"billing","requiresGoodStanding":false,"maxHolders":0}]}}`),
				"spec.roles[billing].requiresGoodStanding", "spec.roles[billing].maxHolders")
			Expect(latest(organization(ns, "acme")).Spec.Roles).To(BeEmpty())
		})

		It("lets an editor weaken a role nobody holds", func() {
			editor := editorIn(ns)
			create(organization(ns, "globex"), contact(ns, "globex", "gus"))
			Eventually(func() error { return weakenPrimary(editor, "globex") }).Should(Succeed())
			Expect(latest(organization(ns, "globex")).Spec.Roles).To(ConsistOf(HaveField("Approval", v1alpha1.RoleApprovalNone)))
		})

		It("refuses an editor weakening even a vacant role once the initial roster is over", func() {
			editor := editorIn(ns)
			org := organization(ns, "later", initialRosterWindow(2*time.Second))
			create(org, contact(ns, "later", "gus"))
			afterInitialRoster(org)
			// administrative is vacant: weakening it, giving it, and strengthening it again would make an
			// initiator of the editor's choosing.
			expectForbidden(mergePatch(editor, organization(ns, "later"), false,
				`{"spec":{"roles":[{"name":"administrative","approval":"None"}]}}`), "spec.roles[administrative].approval", "verb approve")
			Expect(latest(organization(ns, "later")).Spec.Roles).To(BeEmpty())
		})

		It("refuses an editor repointing or removing the mail server that carries the secrets", func() {
			editor := editorIn(ns)
			Eventually(func() error {
				return mergePatch(editor, organization(ns, "acme"), false, `{"metadata":{"annotations":{"example.com/note":"seen"}}}`)
			}).Should(Succeed())
			expectForbidden(mergePatch(editor, organization(ns, "acme"), false,
				`{"spec":{"notifications":{"email":{"smtp":{"host":"relay.evil.example","from":"x@evil.example"}}}}}`),
				"spec.notifications.email", "verb approve")
			Expect(latest(organization(ns, "acme")).Spec.Notifications).To(BeNil())
			breakglass := breakglassIn(ns)
			Eventually(func() error {
				return mergePatch(breakglass, organization(ns, "acme"), false,
					`{"spec":{"notifications":{"email":{"smtp":{"host":"smtp.acme.example","from":"roster@acme.example"}}}}}`)
			}).Should(Succeed(), "a user granted approve may")
		})

		It("refuses dropping reassignTo of a disabled holder whose two-party role would fall vacant", func() {
			alice := contact(ns, "acme", "alice")
			edit(alice, func() { alice.Spec.Disabled, alice.Spec.ReassignTo = true, &v1alpha1.LocalObjectReference{Name: "bob"} })
			Eventually(func() string { return latest(assignment(ns, "acme", "acme-primary", "", "", "")).Status.Holder }).Should(Equal("alice"))
			err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(alice), alice); err != nil {
					return err
				}
				alice.Spec.ReassignTo = nil
				return k8sClient.Update(ctx, alice)
			})
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(And(ContainSubstring("spec.disabled"), ContainSubstring("last place of required role primary")))
		})

		It("lets a user granted approve weaken a held role", func() {
			breakglass := breakglassIn(ns)
			Eventually(func() error { return weakenPrimary(breakglass, "acme") }).Should(Succeed())
			Expect(latest(organization(ns, "acme")).Spec.Roles).To(ConsistOf(HaveField("Approval", v1alpha1.RoleApprovalNone)))
		})
	})
})

var _ = Describe("Security: deployed webhooks", func() {
	// config/default exempts the operator's ServiceAccount from every webhook with matchConditions. This
	// spec installs a webhook that cannot be reached, with the same expression as config/default builds
	// it, and proves that the operator's ServiceAccount, and no one else, gets past it.
	It("exempt the operator's ServiceAccount, and only it, with matchConditions", func() {
		ctx := context.Background()
		ns := newNamespace()
		expression := deployedExemption()
		Expect(expression).To(ContainSubstring("'roster-system'"))
		Expect(expression).To(ContainSubstring("'roster-controller-manager'"))

		nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		edit(nsObj, func() {
			if nsObj.Labels == nil {
				nsObj.Labels = map[string]string{}
			}
			nsObj.Labels["roster.dev/exemption-test"] = "true"
		})

		fail, none := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone
		unreachable := "https://127.0.0.1:1/unreachable"
		vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "roster-exemption-test-"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				Name:                    "exemption.roster.dev",
				ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &unreachable},
				Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}},
				FailurePolicy:           &fail,
				SideEffects:             &none,
				AdmissionReviewVersions: []string{"v1"},
				NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"roster.dev/exemption-test": "true"}},
				MatchConditions:         []admissionregistrationv1.MatchCondition{{Name: "not-the-roster-operator", Expression: expression}},
			}},
		}
		Expect(k8sClient.Create(ctx, vwc)).To(Succeed(), "the apiserver compiles the expression")
		DeferCleanup(func() { _ = k8sClient.Delete(context.Background(), vwc) })

		configMap := func() *corev1.ConfigMap {
			return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "cm-"}}
		}
		Eventually(func() error { return mallory().Create(ctx, configMap()) }).Should(MatchError(ContainSubstring("exemption.roster.dev")))
		operator := clientAs("system:serviceaccount:roster-system:roster-controller-manager", "system:masters")
		Expect(operator.Create(ctx, configMap())).To(Succeed())
		Expect(mallory().Create(ctx, configMap())).To(MatchError(ContainSubstring("exemption.roster.dev")))
	})
})

// deployedExemption reads the matchConditions expression of config/default and fills in the operator's
// ServiceAccount as the replacements of config/default/kustomization.yaml do: its namespace and namePrefix
// plus controller-manager.
func deployedExemption() string {
	GinkgoHelper()
	dir := filepath.Join("..", "config", "default")
	kustomization := map[string]any{}
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.Unmarshal(data, &kustomization)).To(Succeed())
	namespace, prefix := kustomization["namespace"].(string), kustomization["namePrefix"].(string)

	data, err = os.ReadFile(filepath.Join(dir, "webhook_operator_exemption_patch.yaml"))
	Expect(err).NotTo(HaveOccurred())
	// Both configurations list their webhooks by name; read them as validating ones.
	expression, webhooks := "", 0
	for _, doc := range strings.Split(string(data), "\n---") {
		cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		Expect(yaml.Unmarshal([]byte(doc), cfg)).To(Succeed())
		for _, w := range cfg.Webhooks {
			webhooks++
			Expect(w.MatchConditions).To(HaveLen(1), "webhook %s", w.Name)
			if expression == "" {
				expression = w.MatchConditions[0].Expression
			}
			Expect(w.MatchConditions[0].Expression).To(Equal(expression), "every webhook exempts the same user")
		}
	}
	Expect(webhooks).To(Equal(6), "every webhook of config/webhook is exempted")
	parts := strings.Split(expression, "'")
	Expect(parts).To(HaveLen(9), "the replacements fill in quoted pieces 3 and 7")
	parts[3], parts[7] = namespace, prefix+"controller-manager"
	return strings.Join(parts, "'")
}
