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
	"net/http"
	"net/http/httptest"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
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
