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
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/notify/smtptest"
)

// webhookReceiver is a real HTTP server that keeps what it receives.
type webhookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []receivedHook
}

type receivedHook struct {
	header http.Header
	body   []byte
}

func newWebhookReceiver() *webhookReceiver {
	w := &webhookReceiver{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.requests = append(w.requests, receivedHook{header: r.Header.Clone(), body: body})
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
	}))
	DeferCleanup(w.Close)
	return w
}

func (w *webhookReceiver) received() []receivedHook {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]receivedHook(nil), w.requests...)
}

// auditHookKey is the audit webhook's signing key, in the Standard Webhooks form.
const auditHookKey = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// mailTo returns the messages of one type sent to an address.
func mailTo(s *smtptest.Server, address string, typ notify.Type) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range s.Messages() {
		if m.Header.Get("X-Roster-Notification") == string(typ) && len(m.To) == 1 && m.To[0] == address {
			out = append(out, m)
		}
	}
	return out
}

var _ = Describe("Notifications", func() {
	ctx := context.Background()
	const password = "s3cret-smtp-password"

	// setup creates acme with email (and optionally a webhook) configured, alice (French) as primary and
	// bob as billing.
	setup := func(smtp *smtptest.Server, smtpPassword string, hook *webhookReceiver) string {
		ns := newNamespace()
		create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "smtp-creds"}, Type: v1alpha1.SMTPCredentialsSecretType,
			Data: map[string][]byte{"username": []byte("roster"), "password": []byte(smtpPassword)}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "audit-hmac"},
				Data: map[string][]byte{"key": []byte(auditHookKey)}})
		org := organization(ns, "acme", func(o *v1alpha1.Organization) {
			o.Spec.Notifications = &v1alpha1.NotificationSettings{Email: &v1alpha1.EmailSettings{SMTP: v1alpha1.SMTPSettings{
				Host: smtp.Host(), Port: int32(smtp.Port()), From: "roster@acme.example", TLS: v1alpha1.SMTPTLSNone,
				CredentialsSecretRef: &v1alpha1.SecretReference{Name: "smtp-creds"}}}}
			if hook != nil {
				o.Spec.Notifications.Webhooks = []v1alpha1.WebhookSettings{{Name: "audit", URL: hook.URL,
					SecretRef: v1alpha1.SecretReference{Name: "audit-hmac"}}}
			}
		})
		create(org,
			contact(ns, "acme", "alice", func(c *v1alpha1.Contact) { c.Spec.Locale = v1alpha1.LocaleFrench }),
			contact(ns, "acme", "bob"), contact(ns, "acme", "frank"), contact(ns, "acme", "dave"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"),
			assignment(ns, "acme", "acme-billing", "billing", "", "bob"),
			assignment(ns, "acme", "acme-technical", "technical", "", "dave"))
		Eventually(holderOf(assignment(ns, "acme", "acme-billing", "", "", ""))).Should(Equal("bob"))
		return ns
	}

	It("sends each approver exactly one mail with its own token and link, in its language", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone, Username: "roster", Password: password})
		ns := setup(smtp, password, nil)
		t := transfer(ns, "billing-to-frank", "billing", "", "bob", "frank", "alice")
		create(t)
		aliceToken, frankToken := tokenOf(t, "alice", 1), tokenOf(t, "frank", 1)

		Eventually(func() int { return len(mailTo(smtp, "alice@acme.example", notify.TransferRequested)) }).Should(Equal(1))
		Eventually(func() int { return len(mailTo(smtp, "frank@acme.example", notify.TransferRequested)) }).Should(Equal(1))
		Eventually(func() int { return len(mailTo(smtp, "bob@acme.example", notify.TransferRequested)) }).Should(Equal(1))

		alice := mailTo(smtp, "alice@acme.example", notify.TransferRequested)[0]
		Expect(alice.Text).To(And(ContainSubstring(approvalPage.URL+"/approve/"+string(fetch(t).UID)+"?token="+aliceToken),
			ContainSubstring("roster.dev/approve="+approveCode(t, "alice", 1)), ContainSubstring("roster.dev/refuse="+refuseCode(t, "alice", 1))))
		Expect(alice.Text).NotTo(Or(ContainSubstring(frankToken), ContainSubstring(approveCode(t, "frank", 1))))
		Expect(alice.Subject).To(ContainSubstring("transfert"), "alice reads French")
		frank := mailTo(smtp, "frank@acme.example", notify.TransferRequested)[0]
		Expect(frank.Text).To(ContainSubstring(frankToken))
		Expect(frank.Text).NotTo(ContainSubstring(aliceToken))
		bob := mailTo(smtp, "bob@acme.example", notify.TransferRequested)[0]
		Expect(bob.Text).NotTo(Or(ContainSubstring(aliceToken), ContainSubstring(frankToken)), "the outgoing holder is only told")

		Eventually(condition(t, v1alpha1.NotificationsDeliveredCondition)).Should(haveStatus(metav1.ConditionTrue, v1alpha1.DeliveredReason))
		Expect(metricValue("roster_notifications_sent_total", map[string]string{"channel": "email", "type": "TransferRequested"})).
			To(BeNumerically(">=", 1))
		Expect(metricValue("roster_notification_delivery_seconds", map[string]string{"channel": "email"})).To(BeNumerically(">=", 1))
		Consistently(func() int { return len(mailTo(smtp, "frank@acme.example", notify.TransferRequested)) }).Should(Equal(1))
	})

	It("posts a signed payload without tokens to the organization's webhook", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone, Username: "roster", Password: password})
		hook := newWebhookReceiver()
		ns := setup(smtp, password, hook)
		t := transfer(ns, "signed", "billing", "", "bob", "frank", "alice")
		create(t)
		tokens := []string{tokenOf(t, "alice", 1), tokenOf(t, "frank", 1), approveCode(t, "alice", 1), refuseCode(t, "frank", 1)}

		var got receivedHook
		Eventually(func(g Gomega) {
			for _, r := range hook.received() {
				if r.header.Get("X-Roster-Event") == string(notify.TransferRequested) {
					got = r
					return
				}
			}
			g.Expect(false).To(BeTrue(), "no TransferRequested webhook yet")
		}).Should(Succeed())
		receiver, err := standardwebhooks.NewWebhook(auditHookKey)
		Expect(err).NotTo(HaveOccurred())
		Expect(receiver.Verify(got.body, got.header)).To(Succeed(), "verified by the Standard Webhooks library")
		var payload notify.Payload
		Expect(json.Unmarshal(got.body, &payload)).To(Succeed())
		Expect(got.header.Get("X-Roster-Delivery")).To(Equal(payload.ID))
		Expect(payload.Type).To(Equal(notify.TransferRequested))
		Expect(payload.Organization).To(Equal("acme"))
		Expect(payload.Object).To(HaveField("Name", "signed"))
		Expect(payload.Recipients).To(ContainElements("alice@acme.example", "frank@acme.example"))
		for _, token := range tokens {
			Expect(string(got.body)).NotTo(ContainSubstring(token))
		}
	})

	It("delivers every notification once when the SMTP server comes back, across an operator restart", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone, Username: "roster", Password: password})
		ns := setup(smtp, password, nil)
		// Let the role grants of the setup go out before the server goes down.
		Eventually(func() int { return len(mailTo(smtp, "dave@acme.example", notify.RoleGranted)) }).Should(Equal(1))
		smtp.Stop()
		t := transfer(ns, "while-down", "billing", "", "bob", "frank", "alice")
		create(t)
		// Recorded, not sent: the outbox keeps it pending (tried and failed, or left alone by the breaker of a
		// server that refused the connection a moment ago).
		Eventually(func(g Gomega) {
			g.Expect(fetch(t).Status.Outbox).To(ContainElement(And(HaveField("Type", string(notify.TransferRequested)),
				HaveField("Channel", "email"), HaveField("State", v1alpha1.DeliveryPending))))
		}).Should(Succeed())
		Consistently(func() []smtptest.Message { return mailTo(smtp, "frank@acme.example", notify.TransferRequested) }, "2s").Should(BeEmpty())

		restartManager()
		smtp.Restart()

		for _, to := range []string{"alice@acme.example", "frank@acme.example", "bob@acme.example"} {
			Eventually(func() int { return len(mailTo(smtp, to, notify.TransferRequested)) }).WithTimeout(60*time.Second).Should(Equal(1), to)
		}
		Eventually(func(g Gomega) {
			g.Expect(fetch(t).Status.Outbox).To(ContainElement(And(HaveField("Channel", "email"), HaveField("State", v1alpha1.DeliverySent))))
		}).Should(Succeed())
		restartManager()
		Consistently(func() int { return len(mailTo(smtp, "frank@acme.example", notify.TransferRequested)) }).
			WithTimeout(3*time.Second).Should(Equal(1), "a sent notification is never sent again")
		ids := map[string]int{}
		for _, m := range smtp.Messages() {
			if m.Header.Get("X-Roster-Notification") == string(notify.TransferRequested) {
				ids[m.MessageID]++
			}
		}
		Expect(ids).To(HaveLen(3))
		for id, n := range ids {
			Expect(n).To(Equal(1), "Message-ID %s received %d times", id, n)
		}
	})

	It("shows a wrong SMTP password as a condition and a Warning Event, without the password", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone, Username: "roster", Password: password})
		ns := setup(smtp, "not-the-"+password, nil)
		t := transfer(ns, "bad-password", "billing", "", "bob", "frank", "alice")
		create(t)
		Eventually(condition(t, v1alpha1.NotificationsDeliveredCondition)).WithTimeout(60 * time.Second).
			Should(And(haveStatus(metav1.ConditionFalse, v1alpha1.DeliveryFailingReason), HaveField("Message", ContainSubstring("email"))))
		Expect(fetched(t, v1alpha1.NotificationsDeliveredCondition).Message).NotTo(ContainSubstring(password))
		Expect(fetched(t, v1alpha1.ReadyCondition).Reason).To(Equal(v1alpha1.AwaitingApprovalReason), "delivery trouble does not stop the transfer")

		var warning eventsv1.Event
		Eventually(func(g Gomega) {
			var evs eventsv1.EventList
			g.Expect(k8sClient.List(ctx, &evs, client.InNamespace(ns))).To(Succeed())
			found := false
			for _, e := range evs.Items {
				if e.Reason == "NotificationFailed" && e.Regarding.Name == t.Name {
					warning, found = e, true
				}
			}
			g.Expect(found).To(BeTrue())
		}).Should(Succeed())
		Expect(warning.Type).To(Equal(corev1.EventTypeWarning))
		Expect(warning.Note).To(ContainSubstring("email"))
		Expect(strings.Contains(warning.Note, password)).To(BeFalse())
		Expect(logs.String()).NotTo(ContainSubstring(password))
	})

	It("sends an external notice to the holders of a notification-only role", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone, Username: "roster", Password: password})
		ns := setup(smtp, password, nil)
		create(assignment(ns, "acme", "sec-frank", "security-updates", "", "frank"),
			assignment(ns, "acme", "sec-bob", "security-updates", "", "bob"))
		Eventually(holderOf(assignment(ns, "acme", "sec-bob", "", "", ""))).Should(Equal("bob"))
		org := organization(ns, "acme")
		annotate := []byte(`{"metadata":{"annotations":{"roster.dev/notice":"{\"id\":\"cve-2026-1234\",\"role\":\"security-updates\",\"subject\":\"Patch now\",\"body\":\"Update to 2.4.1.\"}"}}}`)
		Expect(k8sClient.Patch(ctx, org, client.RawPatch("application/merge-patch+json", annotate))).To(Succeed())

		Eventually(func() int { return len(mailTo(smtp, "frank@acme.example", notify.Notice)) }).Should(Equal(1))
		Eventually(func() int { return len(mailTo(smtp, "bob@acme.example", notify.Notice)) }).Should(Equal(1))
		Expect(mailTo(smtp, "frank@acme.example", notify.Notice)[0].Text).To(ContainSubstring("Update to 2.4.1."))
		Expect(mailTo(smtp, "alice@acme.example", notify.Notice)).To(BeEmpty(), "only the role's holders")
		Eventually(func() map[string]string { return fetch(org).Annotations }).ShouldNot(HaveKey(v1alpha1.NoticeAnnotation))
	})
})

// metricValue sums a counter, or counts a histogram's observations, over the series matching labels.
func metricValue(name string, labels map[string]string) float64 {
	families, err := metrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue series
				}
			}
			if h := m.GetHistogram(); h != nil {
				total += float64(h.GetSampleCount())
			} else {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}
