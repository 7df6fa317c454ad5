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

package notify

import (
	"context"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"roster.dev/roster/api/v1alpha1"
)

func TestChannelsBuildsEachChannelFromItsSecret(t *testing.T) {
	secret := func(name string, typ corev1.SecretType, data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "tenants", Name: name}, Type: typ, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	reader := fake.NewClientBuilder().WithObjects(
		secret("smtp-ok", v1alpha1.SMTPCredentialsSecretType, map[string]string{"username": "u", "password": "p"}),
		secret("app-db", corev1.SecretTypeOpaque, map[string]string{"username": "u", "password": "p"}),
		secret("hook-ok", corev1.SecretTypeOpaque, map[string]string{"key": string(webhookKey)}),
		secret("hook-short", corev1.SecretTypeOpaque, map[string]string{"key": "short"}),
	).Build()
	org := func(credentials, hookSecret string) *v1alpha1.Organization {
		return &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Namespace: "tenants", Name: "acme"},
			Spec: v1alpha1.OrganizationSpec{Notifications: &v1alpha1.NotificationSettings{
				Email: &v1alpha1.EmailSettings{SMTP: v1alpha1.SMTPSettings{Host: "smtp.example.com", Port: 587, From: "r@example.com",
					CredentialsSecretRef: &v1alpha1.SecretReference{Name: credentials}}},
				Webhooks: []v1alpha1.WebhookSettings{{Name: "audit", URL: "https://hooks.example.com", SecretRef: v1alpha1.SecretReference{Name: hookSecret}}},
			}}}
	}
	channels := &Channels{Secrets: reader}
	for _, tc := range []struct {
		name, credentials, hook, channel string
		wantErr                          string
	}{
		{"email with a credentials Secret", "smtp-ok", "hook-ok", EmailChannel, ""},
		{"email with another Secret", "app-db", "hook-ok", EmailChannel, `secret "app-db" is not marked for SMTP credentials`},
		{"email with a missing Secret", "nope", "hook-ok", EmailChannel, `secret "nope" does not exist`},
		{"webhook", "smtp-ok", "hook-ok", WebhookPrefix + "audit", ""},
		{"webhook with a short key", "smtp-ok", "hook-short", WebhookPrefix + "audit", "at least 32"},
		{"a channel removed", "smtp-ok", "hook-ok", WebhookPrefix + "gone", "channel removed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			n, err := channels.Notifier(context.Background(), org(tc.credentials, tc.hook), tc.channel)
			if tc.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(n).NotTo(BeNil())
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
			var configErr *ConfigError
			g.Expect(errors.As(err, &configErr) || errors.Is(err, ErrChannelGone)).To(BeTrue())
		})
	}
	NewWithT(t).Expect(channels.Names(org("smtp-ok", "hook-ok"))).To(Equal([]string{"email", "webhook/audit"}))
}
