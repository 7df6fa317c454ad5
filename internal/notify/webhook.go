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
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook headers: the three of the Standard Webhooks specification (https://www.standardwebhooks.com),
// and two of Roster's.
const (
	// HeaderID is the message id, the notification's idempotency key: a repeat carries the same one.
	HeaderID = "webhook-id"
	// HeaderTimestamp is when this attempt was sent, in Unix seconds.
	HeaderTimestamp = "webhook-timestamp"
	// HeaderSignature is "v1,<base64 HMAC-SHA256 of id.timestamp.body>" per signing key, space-separated.
	HeaderSignature = "webhook-signature"
	// HeaderDelivery is the notification's idempotency key: a repeated delivery carries the same one.
	HeaderDelivery = "X-Roster-Delivery"
	// HeaderEvent is the notification Type.
	HeaderEvent = "X-Roster-Event"

	defaultWebhookTimeout = 10 * time.Second
)

// WebhookConfig says where to POST notifications and how to sign them.
type WebhookConfig struct {
	// Name identifies the webhook in errors (the Organization's spec.notifications.webhooks[].name).
	Name string
	// URL receives the POSTs.
	URL string
	// Keys sign the messages: the data key "key" of the webhook's Secret, then "previousKey" during a
	// rotation. Each is at least MinWebhookKeyBytes long (see ParseWebhookKey). Never put in errors.
	Keys [][]byte
	// Timeout bounds each delivery; 0 means 10s.
	Timeout time.Duration
	// Client sends the requests; nil means a client of its own that dials through Dial. Redirects are
	// never followed either way: a 3xx is a failure.
	Client *http.Client
	// Dial opens the connections of the client built when Client is nil; nil means
	// (*Destinations)(nil).DialContext: public addresses only.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// WebhookNotifier POSTs each notification as signed JSON to one URL. It is safe for concurrent use.
type WebhookNotifier struct {
	cfg    WebhookConfig
	client *http.Client
}

var _ Notifier = (*WebhookNotifier)(nil)

// NewWebhookNotifier returns a Notifier that POSTs to the webhook of cfg.
func NewWebhookNotifier(cfg WebhookConfig) *WebhookNotifier {
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultWebhookTimeout
	}
	var client http.Client
	if cfg.Client != nil {
		client = *cfg.Client
	} else {
		dial := cfg.Dial
		if dial == nil {
			dial = (*Destinations)(nil).DialContext
		}
		// No proxy: the destination check applies to the receiver's address, not to a proxy's.
		client = http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{
			// One notifier per send: nothing to keep alive for.
			DialContext: dial, ForceAttemptHTTP2: true, TLSHandshakeTimeout: cfg.Timeout, DisableKeepAlives: true,
		}}
	}
	// A redirect would re-send the body and its signature wherever the receiver points.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &WebhookNotifier{cfg: cfg, client: &client}
}

// Payload is the JSON body of a webhook delivery. It never carries a token nor an approval link.
type Payload struct {
	// ID is the notification's idempotency key, as in the X-Roster-Delivery header.
	ID string `json:"id"`
	// Type is what happened.
	Type Type `json:"type"`
	// Organization is the name of the organization concerned.
	Organization string `json:"organization"`
	// Object is the object the notification is about.
	Object ObjectRef `json:"object"`
	// Recipients are the email addresses of the contacts told.
	Recipients []string `json:"recipients"`
	// Facts are the details of the notification.
	Facts map[string]string `json:"facts,omitempty"`
	// OccurredAt is when the cause happened.
	OccurredAt time.Time `json:"occurredAt"`
}

// NewPayload returns the webhook body of n. Facts whose value holds a recipient's token or link are
// left out, as a second line of defence: facts never carry them.
func NewPayload(n Notification) Payload {
	p := Payload{
		ID:           n.Key,
		Type:         n.Type,
		Organization: n.Organization,
		Object:       n.Object,
		Recipients:   make([]string, 0, len(n.Recipients)),
		OccurredAt:   n.OccurredAt.UTC(),
	}
	for _, r := range n.Recipients {
		if r.Email != "" {
			p.Recipients = append(p.Recipients, r.Email)
		}
	}
	secrets := recipientSecrets(n)
	if len(n.Facts) > 0 {
		p.Facts = make(map[string]string, len(n.Facts))
	facts:
		for k, v := range n.Facts {
			for _, s := range secrets {
				if strings.Contains(v, s) || strings.Contains(k, s) {
					continue facts
				}
			}
			p.Facts[k] = v
		}
	}
	return p
}

// MinWebhookKeyBytes is the shortest signing key accepted, as the Standard Webhooks specification asks.
const MinWebhookKeyBytes = 32

// whsecPrefix starts a key written in the Standard Webhooks form: "whsec_" and the key in base64.
const whsecPrefix = "whsec_"

// ParseWebhookKey decodes a signing key as a webhook's Secret holds it: "whsec_" and base64, or the raw
// bytes. It must be at least MinWebhookKeyBytes long. The error never quotes the key.
func ParseWebhookKey(raw []byte) ([]byte, error) {
	key := raw
	if rest, ok := strings.CutPrefix(strings.TrimSpace(string(raw)), whsecPrefix); ok {
		decoded, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, errors.New("a whsec_ key must be followed by standard base64")
		}
		key = decoded
	}
	if len(key) < MinWebhookKeyBytes {
		return nil, fmt.Errorf("the key has %d bytes, at least %d are needed (e.g. whsec_ and 32 random bytes in base64)", len(key), MinWebhookKeyBytes)
	}
	return key, nil
}

// Sign returns the webhook-signature header of a message: "v1,<base64 HMAC-SHA256 of id.timestamp.body>"
// for each key, space-separated, so that a receiver holding either key during a rotation verifies it.
func Sign(keys [][]byte, id string, timestamp time.Time, body []byte) string {
	signed := make([]string, 0, len(keys))
	for _, key := range keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + strconv.FormatInt(timestamp.Unix(), 10) + "."))
		mac.Write(body)
		signed = append(signed, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(signed, " ")
}

// Notify POSTs n to the webhook; any status but 2xx is an error.
func (w *WebhookNotifier) Notify(ctx context.Context, n Notification) error {
	if len(w.cfg.Keys) == 0 {
		return fmt.Errorf("webhook %q: no signing key", w.cfg.Name)
	}
	body, err := json.Marshal(NewPayload(n))
	if err != nil {
		return fmt.Errorf("webhook %q: encoding %s: %w", w.cfg.Name, n.Type, err)
	}

	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %q: invalid request: %w", w.cfg.Name, stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "roster")
	now := time.Now()
	id := headerSafe(n.Key)
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(w.cfg.Keys, id, now, body))
	req.Header.Set(HeaderDelivery, id)
	req.Header.Set(HeaderEvent, string(n.Type))

	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %q: POST %s failed: %w", w.cfg.Name, n.Type, stripURL(err))
	}
	defer func() { _ = resp.Body.Close() }()
	// Drain a little of the body so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &WebhookStatusError{Webhook: w.cfg.Name, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	return nil
}

// headerSafe writes a key as a header value: bytes outside printable ASCII, and '%', become "%XX" (a
// notice id comes from an annotation and may hold anything). It is stable and keeps keys apart.
func headerSafe(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < 0x21 || c > 0x7e || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// WebhookStatusError is a delivery the receiver answered with a status other than 2xx.
type WebhookStatusError struct {
	Webhook    string
	StatusCode int
	Status     string
}

func (e *WebhookStatusError) Error() string {
	status := e.Status
	if status == "" {
		status = fmt.Sprint(e.StatusCode)
	}
	return fmt.Sprintf("webhook %q: receiver answered %s", e.Webhook, status)
}

// stripURL drops the URL from the net/url errors the client returns: it may carry credentials in its
// query, and the webhook's name identifies it well enough.
func stripURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
