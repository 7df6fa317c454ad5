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
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/notify/smtptest"
)

var _ = Describe("Notification destinations", func() {
	It("refuse loopback and link-local receivers the operator does not allow, and never follow a redirect", func() {
		target := newWebhookReceiver()
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/internal", http.StatusTemporaryRedirect)
		}))
		DeferCleanup(redirector.Close)
		ns := newNamespace()
		create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook-key"},
			Data: map[string][]byte{"key": []byte(auditHookKey)}})
		hooks := map[string]string{
			// Only 127.0.0.1 is allowed in this suite: another loopback address is refused.
			"loopback":   strings.Replace(target.URL, "127.0.0.1", "127.0.0.2", 1),
			"metadata":   "http://169.254.169.254/latest/meta-data/",
			"redirector": redirector.URL,
		}
		org := organization(ns, "acme", func(o *v1alpha1.Organization) {
			o.Spec.Notifications = &v1alpha1.NotificationSettings{}
			for _, name := range []string{"loopback", "metadata", "redirector"} {
				o.Spec.Notifications.Webhooks = append(o.Spec.Notifications.Webhooks,
					v1alpha1.WebhookSettings{Name: name, URL: hooks[name], SecretRef: v1alpha1.SecretReference{Name: "hook-key"}})
			}
		})
		create(org, contact(ns, "acme", "alice"), assignment(ns, "acme", "acme-primary", "primary", "", "alice"))

		lastErrors := func() map[string]string {
			out := map[string]string{}
			for _, d := range fetch(org).Status.Outbox {
				if d.Attempts > 0 {
					out[d.Channel] = d.LastError
				}
			}
			return out
		}
		Eventually(lastErrors).Should(Equal(map[string]string{
			"webhook/loopback":   "DestinationNotAllowed",
			"webhook/metadata":   "DestinationNotAllowed",
			"webhook/redirector": "HTTP 3xx (redirects are not followed)",
		}), "the status names a class, never the address or the dial error")
		Expect(target.received()).To(BeEmpty(), "nothing reached the loopback receiver, directly or through the redirect")
	})
})

// tarpit accepts connections and never answers, until the test ends.
type tarpit struct {
	net.Listener
	accepted, closed atomic.Int32
}

func newTarpit() *tarpit {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	t := &tarpit{Listener: l}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			t.accepted.Add(1)
			go func() {
				// A read returns when the client gives up and closes the connection.
				_, _ = c.Read(make([]byte, 1<<16))
				for {
					if _, err := c.Read(make([]byte, 1<<16)); err != nil {
						t.closed.Add(1)
						return
					}
				}
			}()
		}
	}()
	DeferCleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return t
}

var _ = Describe("The delivery engine", func() {
	It("keeps role changes and other tenants' notifications moving while ten tenants' receivers never answer", func() {
		pit := newTarpit()
		for i := range 10 {
			ns := newNamespace()
			create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook-key"},
				Data: map[string][]byte{"key": []byte(auditHookKey)}})
			name := fmt.Sprintf("slow-%d", i)
			create(organization(ns, name, func(o *v1alpha1.Organization) {
				o.Spec.Notifications = &v1alpha1.NotificationSettings{Webhooks: []v1alpha1.WebhookSettings{{
					Name: "tarpit", URL: "http://" + pit.Addr().String() + "/", SecretRef: v1alpha1.SecretReference{Name: "hook-key"}}}}
			}), contact(ns, name, "alice"), assignment(ns, name, name+"-primary", "primary", "", "alice"))
		}
		Eventually(pit.accepted.Load).Should(BeNumerically(">=", 10), "each tenant's delivery waits on the tarpit")

		ns := newNamespace()
		hook := newWebhookReceiver()
		create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook-key"},
			Data: map[string][]byte{"key": []byte(auditHookKey)}})
		create(organization(ns, "acme", func(o *v1alpha1.Organization) {
			o.Spec.Notifications = &v1alpha1.NotificationSettings{Webhooks: []v1alpha1.WebhookSettings{{
				Name: "audit", URL: hook.URL, SecretRef: v1alpha1.SecretReference{Name: "hook-key"}}}}
		}), contact(ns, "acme", "alice"))
		ra := assignment(ns, "acme", "acme-primary", "primary", "", "alice")
		create(ra)
		Eventually(condition(ra, v1alpha1.ReadyCondition)).WithTimeout(time.Second).WithPolling(20*time.Millisecond).
			Should(haveStatus(metav1.ConditionTrue, ""), "a reconcile never waits on a receiver")
		Eventually(func() []string {
			var events []string
			for _, r := range hook.received() {
				events = append(events, r.header.Get("X-Roster-Event"))
			}
			return events
		}).WithTimeout(5*time.Second).Should(ContainElement(string(notify.RoleGranted)),
			"another tenant's notification goes out while the tarpits still hold their connections (10 s timeout)")
		Expect(pit.closed.Load()).To(BeZero(), "no tarpit connection has timed out yet")
	})
})

var _ = Describe("SMTP delivery", func() {
	// emailEntry returns the email outbox entry of a transfer's first round of secrets.
	emailEntry := func(t *v1alpha1.ContactTransfer) func() v1alpha1.Delivery {
		return func() v1alpha1.Delivery {
			for _, d := range fetch(t).Status.Outbox {
				if d.Type == string(notify.TransferRequested) && d.Channel == "email" {
					return d
				}
			}
			return v1alpha1.Delivery{}
		}
	}

	It("gets the message to the other recipients when the server refuses one, and retries for that one alone", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone, RejectRcpt: []string{"frank@acme.example"}})
		ns := newNamespace()
		create(organization(ns, "acme", withMail(smtp)), contact(ns, "acme", "alice"), contact(ns, "acme", "bob"),
			contact(ns, "acme", "frank"),
			assignment(ns, "acme", "acme-primary", "primary", "", "alice"), assignment(ns, "acme", "acme-billing", "billing", "", "bob"))
		Eventually(holderOf(assignment(ns, "acme", "acme-billing", "", "", ""))).Should(Equal("bob"))
		t := transfer(ns, "billing-to-frank", "billing", "", "bob", "frank", "alice")
		create(t)

		for _, who := range []string{"alice@acme.example", "bob@acme.example"} {
			Eventually(func() int { return len(mailTo(smtp, who, notify.TransferRequested)) }).Should(Equal(1), who)
		}
		Eventually(emailEntry(t)).Should(And(HaveField("Recipients", Equal([]string{"frank"})),
			HaveField("State", v1alpha1.DeliveryPending), HaveField("LastError", "SMTP 5xx")),
			"the entry is now frank's alone")
		Eventually(func() int32 { return emailEntry(t)().Attempts }).WithTimeout(20 * time.Second).Should(BeNumerically(">=", 2))
		Expect(mailTo(smtp, "alice@acme.example", notify.TransferRequested)).To(HaveLen(1), "a retry for frank sends nothing again to alice")
	})

	It("sends a password only from a Secret made for SMTP credentials", func() {
		smtp := smtptest.Start(GinkgoTB(), smtptest.Options{TLS: v1alpha1.SMTPTLSNone, Username: "roster", Password: "s3cret"})
		ns := newNamespace()
		create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "some-app-secret"},
			Data: map[string][]byte{"username": []byte("roster"), "password": []byte("s3cret")}})
		org := organization(ns, "acme", withMail(smtp), func(o *v1alpha1.Organization) {
			o.Spec.Notifications.Email.SMTP.CredentialsSecretRef = &v1alpha1.SecretReference{Name: "some-app-secret"}
		})
		create(org, contact(ns, "acme", "alice"), assignment(ns, "acme", "acme-primary", "primary", "", "alice"))

		Eventually(func() string {
			for _, d := range fetch(org).Status.Outbox {
				if d.Channel == "email" && d.Attempts > 0 {
					return d.LastError
				}
			}
			return ""
		}).Should(ContainSubstring(`secret "some-app-secret" is not marked for SMTP credentials`))
		Expect(smtp.Messages()).To(BeEmpty())

		By("labelled for it, the same Secret is used")
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "some-app-secret"}}
		edit(secret, func() { secret.Labels = map[string]string{v1alpha1.SMTPCredentialsLabel: "true"} })
		Eventually(func() []smtptest.Message { return mailTo(smtp, "alice@acme.example", notify.RequiredRoleVacant) }).
			WithTimeout(20 * time.Second).ShouldNot(BeEmpty())
	})
})
