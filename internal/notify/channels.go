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
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
)

// Channel names in the outbox.
const (
	EmailChannel    = "email"
	WebhookPrefix   = "webhook/"
	NotifierChannel = "notifier"
)

// Channel timeouts.
const (
	smtpTimeout    = 30 * time.Second
	webhookTimeout = 10 * time.Second
)

// ErrChannelGone is the error of a delivery whose channel was removed from the Organization.
var ErrChannelGone = errors.New("channel removed")

// Channels builds the notifier of each channel of an organization, from its spec and its Secrets, with
// the operator's destination policy.
type Channels struct {
	// Secrets reads the organization's Secrets (from the API server: the operator caches no Secret).
	Secrets client.Reader
	// Destinations says where the channels may connect; nil allows public addresses only.
	Destinations *Destinations
	// Extra, when set, is one more channel (NotifierChannel) every notification goes to.
	Extra Notifier
}

// Names lists the channels of an organization, as outbox entries name them.
func (c *Channels) Names(org *v1alpha1.Organization) []string {
	var out []string
	if org != nil && org.Spec.Notifications != nil {
		if org.Spec.Notifications.Email != nil {
			out = append(out, EmailChannel)
		}
		for _, w := range org.Spec.Notifications.Webhooks {
			out = append(out, WebhookPrefix+w.Name)
		}
	}
	if c.Extra != nil {
		out = append(out, NotifierChannel)
	}
	return out
}

// Notifier builds the notifier of the named channel of org. A channel the organization no longer has
// gives ErrChannelGone; a Secret that is missing or unfit, a ConfigError.
func (c *Channels) Notifier(ctx context.Context, org *v1alpha1.Organization, name string) (Notifier, error) {
	settings := org.Spec.Notifications
	switch {
	case name == NotifierChannel && c.Extra != nil:
		return c.Extra, nil
	case name == EmailChannel && settings != nil && settings.Email != nil:
		return c.email(ctx, org, settings.Email.SMTP)
	case strings.HasPrefix(name, WebhookPrefix) && settings != nil:
		for _, w := range settings.Webhooks {
			if WebhookPrefix+w.Name == name {
				return c.webhook(ctx, org, w)
			}
		}
	}
	return nil, fmt.Errorf("%w: %s is no longer configured on organization %s", ErrChannelGone, name, org.Name)
}

func (c *Channels) email(ctx context.Context, org *v1alpha1.Organization, smtp v1alpha1.SMTPSettings) (Notifier, error) {
	cfg := SMTPConfig{Host: smtp.Host, Port: int(smtp.Port), From: smtp.From, TLS: smtp.TLS, Timeout: smtpTimeout,
		Dial: c.Destinations.DialContext, AllowPlaintext: c.Destinations.AllowsPlaintextSMTP}
	if ref := smtp.CredentialsSecretRef; ref != nil {
		field := "spec.notifications.email.smtp.credentialsSecretRef"
		secret, err := c.secret(ctx, org.Namespace, ref.Name, field)
		if err != nil {
			return nil, err
		}
		// The password goes to a host the tenant chooses: only a Secret made for it may be sent.
		if secret.Type != v1alpha1.SMTPCredentialsSecretType && secret.Labels[v1alpha1.SMTPCredentialsLabel] != "true" {
			return nil, &ConfigError{Err: fmt.Errorf("%s: secret %q is not marked for SMTP credentials: give it type %s or the label %s=true",
				field, ref.Name, v1alpha1.SMTPCredentialsSecretType, v1alpha1.SMTPCredentialsLabel)}
		}
		cfg.Username, cfg.Password = string(secret.Data["username"]), string(secret.Data["password"])
	}
	return NewEmailNotifier(cfg), nil
}

func (c *Channels) webhook(ctx context.Context, org *v1alpha1.Organization, w v1alpha1.WebhookSettings) (Notifier, error) {
	secret, err := c.secret(ctx, org.Namespace, w.SecretRef.Name, "spec.notifications.webhooks["+w.Name+"].secretRef")
	if err != nil {
		return nil, err
	}
	keys, err := webhookKeys(secret.Data, w.SecretRef.Name)
	if err != nil {
		return nil, err
	}
	return NewWebhookNotifier(WebhookConfig{Name: w.Name, URL: w.URL, Keys: keys, Timeout: webhookTimeout,
		Dial: c.Destinations.DialContext}), nil
}

// webhookKeys reads a webhook's signing keys from its Secret: "key", then "previousKey" while a rotation
// lets receivers move to the new key.
func webhookKeys(data map[string][]byte, secret string) ([][]byte, error) {
	if len(data["key"]) == 0 {
		return nil, &ConfigError{Err: fmt.Errorf("secret %q has no data key \"key\" to sign with", secret)}
	}
	var keys [][]byte
	for _, name := range []string{"key", "previousKey"} {
		if len(data[name]) == 0 {
			continue
		}
		key, err := ParseWebhookKey(data[name])
		if err != nil {
			return nil, &ConfigError{Err: fmt.Errorf("secret %q, data key %q: %w", secret, name, err)}
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// secret reads a Secret of the organization's namespace.
func (c *Channels) secret(ctx context.Context, namespace, name, field string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	if err := c.Secrets.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &ConfigError{Err: fmt.Errorf("%s: secret %q does not exist", field, name)}
		}
		return nil, err
	}
	return s, nil
}
