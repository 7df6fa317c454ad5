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
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/notify/smtptest"
)

// scrape reads the manager's metrics endpoint as Prometheus does.
func scrape(g Gomega) map[string]*dto.MetricFamily {
	resp, err := http.Get(metricsURL)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return families
}

// fleetGauges scrapes the endpoint and returns the roster_ gauges of one organization, by name (and
// channel, for roster_notifications_failing: "roster_notifications_failing/webhook").
func fleetGauges(ns, org string) func(Gomega) map[string]float64 {
	return func(g Gomega) map[string]float64 {
		out := map[string]float64{}
		for name, mf := range scrape(g) {
			if !strings.HasPrefix(name, "roster_") || mf.GetType() != dto.MetricType_GAUGE {
				continue
			}
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["namespace"] != ns || labels["organization"] != org {
					continue
				}
				g.Expect(labels).To(HaveLen(map[bool]int{true: 3, false: 2}[name == "roster_notifications_failing"]),
					"%s has only the labels namespace, organization (and channel)", name)
				key := name
				if ch, ok := labels["channel"]; ok {
					key += "/" + ch
				}
				out[key] = m.GetGauge().GetValue()
			}
		}
		return out
	}
}

var _ = Describe("Fleet metrics", func() {
	ctx := context.Background()

	// touch changes an annotation, which makes the operator reconcile the object at once.
	touch := func(obj client.Object) {
		GinkgoHelper()
		edit(obj, func() {
			a := obj.GetAnnotations()
			if a == nil {
				a = map[string]string{}
			}
			a["test.roster.dev/clock"] = testNow().Format(time.RFC3339Nano)
			obj.SetAnnotations(a)
		})
	}

	It("exports each organization's gauges on the manager's endpoint, and they go down once things are fixed", func() {
		ns := newNamespace()
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone})

		// acme: technical (required) is vacant; a transfer expires within 24 h (tokenTTL 12h); its two holders
		// never verified their address (acme sends no email).
		create(organization(ns, "acme", initialRosterWindow(time.Hour), func(o *v1alpha1.Organization) {
			o.Spec.Approval.TokenTTL = &metav1.Duration{Duration: 12 * time.Hour}
		}),
			contact(ns, "acme", "alice"), contact(ns, "acme", "bob"), contact(ns, "acme", "carol"), contact(ns, "acme", "frank"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"))
		// globex: every required role held; a transfer pending for a week; two unverified holders, whose
		// hourly re-confirmation lapses.
		const every, within = time.Hour, time.Minute
		create(organization(ns, "globex", initialRosterWindow(time.Hour), withMail(smtp), func(o *v1alpha1.Organization) {
			o.Spec.Reconfirmation = &v1alpha1.ReconfirmationSettings{Every: metav1.Duration{Duration: every}, Within: &metav1.Duration{Duration: within}}
		}),
			contact(ns, "globex", "dave"), contact(ns, "globex", "erin"), contact(ns, "globex", "gina"),
			assignment(ns, "globex", "globex-primary", "primary", "", "dave"),
			assignment(ns, "globex", "globex-technical", "technical", "", "erin"))
		Eventually(holderOf(assignment(ns, "acme", "acme-billing", "", "", ""))).Should(Equal("bob"))
		Eventually(holderOf(assignment(ns, "globex", "globex-technical", "", "", ""))).Should(Equal("erin"))

		expiring := transfer(ns, "bob-away", "billing", "", "bob", "frank", "bob")
		create(expiring)
		moving := transfer(ns, "dave-away", "primary", "", "dave", "gina", "dave")
		moving.Spec.OrganizationRef.Name = "globex"
		create(moving)
		dave, erin := contact(ns, "globex", "dave"), contact(ns, "globex", "erin")
		for _, c := range []*v1alpha1.Contact{dave, erin} {
			Eventually(condition(c, v1alpha1.ReconfirmedCondition)).Should(haveStatus(metav1.ConditionUnknown, v1alpha1.AwaitingReconfirmationReason))
		}
		skipAhead(every + time.Minute)
		touch(dave)
		touch(erin)
		Eventually(countMail(smtp, "erin@globex.example", notify.ReconfirmationRequested)).Should(Equal(1))
		Eventually(countMail(smtp, "dave@globex.example", notify.ReconfirmationRequested)).Should(Equal(1))
		skipAhead(within + time.Minute)
		touch(dave)
		touch(erin)
		for _, c := range []*v1alpha1.Contact{dave, erin} {
			Eventually(condition(c, v1alpha1.ReconfirmedCondition)).Should(haveStatus(metav1.ConditionFalse, v1alpha1.ReconfirmationLapsedReason))
		}

		Eventually(fleetGauges(ns, "acme")).Should(Equal(map[string]float64{
			"roster_required_roles_vacant":   1,
			"roster_transfers_pending":       1,
			"roster_transfers_expiring_soon": 1,
			"roster_holders_unverified":      2,
			"roster_holders_unconfirmed":     0,
		}))
		Eventually(fleetGauges(ns, "globex")).Should(Equal(map[string]float64{
			"roster_required_roles_vacant":       0,
			"roster_transfers_pending":           1,
			"roster_transfers_expiring_soon":     0,
			"roster_holders_unverified":          2,
			"roster_holders_unconfirmed":         2,
			"roster_notifications_failing/email": 0,
		}))
		for _, name := range []string{"roster_required_roles_vacant", "roster_transfers_pending", "roster_transfers_expiring_soon",
			"roster_holders_unverified", "roster_holders_unconfirmed", "roster_notifications_failing"} {
			Expect(scrape(Default)[name].GetHelp()).NotTo(BeEmpty(), "%s has HELP text", name)
		}

		// Fixes: a technical contact, the expiring transfer cancelled; at globex, erin re-confirms on her link,
		// and dave and gina approve with the codes of their email (which verifies them): gina, the new
		// holder, is not due yet.
		create(assignment(ns, "acme", "acme-technical", "technical", "", "carol"))
		Expect(k8sClient.Delete(ctx, expiring)).To(Succeed())
		link := linkIn(mailTo(smtp, "erin@globex.example", notify.ReconfirmationRequested)[0].Text, "/reconfirm/")
		Expect(postForm(link, url.Values{"token": {tokenInLink(link)}, "decision": {"Confirmed"}})).To(Equal(http.StatusOK))
		annotate(moving, v1alpha1.ApproveAnnotation, approveCode(moving, "dave", 1))
		Eventually(decisionOf(moving, "dave")).Should(HaveField("Decision", v1alpha1.DecisionApproved))
		annotate(moving, v1alpha1.ApproveAnnotation, approveCode(moving, "gina", 1))

		Eventually(fleetGauges(ns, "acme")).Should(Equal(map[string]float64{
			"roster_required_roles_vacant":   0,
			"roster_transfers_pending":       0,
			"roster_transfers_expiring_soon": 0,
			"roster_holders_unverified":      3, // alice, bob and carol: acme sends no email
			"roster_holders_unconfirmed":     0,
		}))
		Eventually(fleetGauges(ns, "globex")).Should(Equal(map[string]float64{
			"roster_required_roles_vacant":       0,
			"roster_transfers_pending":           0,
			"roster_transfers_expiring_soon":     0,
			"roster_holders_unverified":          1, // erin; gina verified her address with her code
			"roster_holders_unconfirmed":         0,
			"roster_notifications_failing/email": 0,
		}))
		Expect(fetch(moving).Status.Conditions).To(ContainElement(And(HaveField("Type", v1alpha1.CompletedCondition),
			HaveField("Status", metav1.ConditionTrue))))
	})

	It("counts the notifications failing on a channel, and stops once the receiver answers", func() {
		ns := newNamespace()
		create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook-key"},
			Data: map[string][]byte{"key": []byte(auditHookKey)}})
		// Nothing listens there: the RequiredRoleVacant notice of an organization without holders fails.
		org := organization(ns, "acme", func(o *v1alpha1.Organization) {
			o.Spec.Notifications = &v1alpha1.NotificationSettings{Webhooks: []v1alpha1.WebhookSettings{{
				Name: "audit", URL: "http://" + freeAddress() + "/", SecretRef: v1alpha1.SecretReference{Name: "hook-key"}}}}
		})
		create(org)
		attempts := func() int32 {
			var most int32
			for _, d := range fetch(org).Status.Outbox {
				most = max(most, d.Attempts)
			}
			return most
		}
		Eventually(attempts).Should(BeEquivalentTo(1))
		Eventually(fleetGauges(ns, "acme")).Should(HaveKeyWithValue("roster_notifications_failing/webhook", 0.0),
			"a configured channel shows 0 before 3 failed attempts")
		// Each retry waits for its backoff and the destination's cooldown on the operator's clock: move it.
		for n := int32(2); n <= 3; n++ {
			skipAhead(2 * time.Minute)
			touch(org)
			Eventually(attempts).Should(BeNumerically(">=", n))
		}
		Eventually(fleetGauges(ns, "acme")).Should(HaveKeyWithValue("roster_notifications_failing/webhook", 1.0))

		// The receiver is back (at a new address): the next attempt goes through.
		hook := newWebhookReceiver()
		edit(org, func() { org.Spec.Notifications.Webhooks[0].URL = hook.URL })
		skipAhead(2 * time.Minute)
		touch(org)
		Eventually(hook.received).ShouldNot(BeEmpty())
		Eventually(fleetGauges(ns, "acme")).Should(HaveKeyWithValue("roster_notifications_failing/webhook", 0.0))
	})
})
