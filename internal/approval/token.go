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

package approval

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
)

// MinKeySize is the smallest key, in bytes, a Keyring accepts: the size of an HMAC-SHA256 output.
const MinKeySize = 32

// KeySecretDataKey is the data key of the operator's key Secret that holds the token key.
const KeySecretDataKey = "key"

// Keyring derives tokens from the operator's secret key.
type Keyring struct {
	key []byte
}

// NewKeyring returns a Keyring for key, which must be at least MinKeySize bytes. The key is copied.
func NewKeyring(key []byte) (*Keyring, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("approval token key is %d bytes: it needs at least %d random bytes", len(key), MinKeySize)
	}
	return &Keyring{key: slices.Clone(key)}, nil
}

// Purpose says what a secret derived for a party may do. Each purpose gives an unrelated secret, so that
// one seen in an annotation cannot serve another purpose.
type Purpose string

const (
	// PurposeLink is the token of the party's approval link: it approves or refuses on the page.
	PurposeLink Purpose = "link"
	// PurposeApprove is the code that approves by annotation (roster.dev/approve), and nothing else.
	PurposeApprove Purpose = "approve"
	// PurposeRefuse is the code that refuses by annotation (roster.dev/refuse), and nothing else.
	PurposeRefuse Purpose = "refuse"
)

// Token returns the secret of contact for the given round of the transfer with UID transferUID and the
// given purpose: the URL-safe base64 (no padding, 43 characters) of
// HMAC-SHA256(key, uid "\x00" round "\x00" contact "\x00" purpose), 256 bits. The same arguments always
// give the same secret; any other transfer, round, contact or purpose gives an unrelated one. Nothing
// derived from it is ever stored: it is derived again to be checked.
func (k *Keyring) Token(transferUID types.UID, round int32, contact string, purpose Purpose) string {
	return k.derive(string(transferUID), strconv.FormatInt(int64(round), 10), contact, string(purpose))
}

// derive is the base64url HMAC-SHA256 of the fields, each followed by a NUL separator but the last.
func (k *Keyring) derive(fields ...string) string {
	mac := hmac.New(sha256.New, k.key)
	for i, f := range fields {
		if i > 0 {
			mac.Write([]byte{0})
		}
		mac.Write([]byte(f))
	}
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Purposes of the secrets of a change of address.
const (
	// PurposeConfirmEmail is the secret of the link that confirms a new address, sent to that address.
	PurposeConfirmEmail Purpose = "confirm-email"
	// PurposeApproveEmail is the secret of the link that approves (or refuses) a change of address, sent
	// to the old address and to the other initiators.
	PurposeApproveEmail Purpose = "approve-email"
)

// EmailToken returns the secret of party for round of a change of the address of the contact with UID
// contactUID to email: derived like Token, and unrelated to any transfer's.
func (k *Keyring) EmailToken(contactUID types.UID, round int32, email, party string, purpose Purpose) string {
	return k.derive("contact", string(contactUID), strconv.FormatInt(int64(round), 10), strings.ToLower(email), party, string(purpose))
}

// ConfirmLink is the URL of the page where a change of address is confirmed or approved:
// baseURL/confirm/CONTACT-UID?token=TOKEN.
func ConfirmLink(baseURL string, contactUID types.UID, token string) string {
	return strings.TrimSuffix(baseURL, "/") + "/confirm/" + url.PathEscape(string(contactUID)) + "?token=" + url.QueryEscape(token)
}

// Link is the URL of a party's approval page: baseURL (scheme, host and optional path prefix) followed
// by /approve/TRANSFER-UID?token=TOKEN. The link names the transfer by UID, which nobody can guess, not
// by namespace and name.
func Link(baseURL string, transferUID types.UID, token string) string {
	return strings.TrimSuffix(baseURL, "/") + "/approve/" + url.PathEscape(string(transferUID)) + "?token=" + url.QueryEscape(token)
}

// SecretsEqual compares two secrets in constant time (for secrets of equal length).
func SecretsEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// The key Secret is created in the operator's own namespace on first start; no other Secret is ever
// written, and none is kept per transfer.
// +kubebuilder:rbac:groups="",namespace=system,resources=secrets,verbs=create

// LoadOrCreateKey returns the Keyring of the key stored in the Secret ref (data key "key", at least
// MinKeySize bytes). When the Secret does not exist it creates it with MinKeySize random bytes; when
// another replica created it first (AlreadyExists) it reads that one, so all replicas share one key.
// c should read from the API server rather than from a cache that may not hold the Secret yet.
func LoadOrCreateKey(ctx context.Context, c client.Client, ref types.NamespacedName) (*Keyring, error) {
	var s corev1.Secret
	err := c.Get(ctx, ref, &s)
	if apierrors.IsNotFound(err) {
		key := make([]byte, MinKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generating the approval token key: %w", err)
		}
		s = corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: ref.Name, Namespace: ref.Namespace},
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{KeySecretDataKey: key},
		}
		err = c.Create(ctx, &s)
		if err == nil {
			return NewKeyring(key)
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating the approval token key Secret %s: %w", ref, err)
		}
		// Another replica won the race: use its key.
		s = corev1.Secret{}
		err = c.Get(ctx, ref, &s)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the approval token key Secret %s: %w", ref, err)
	}
	key, ok := s.Data[KeySecretDataKey]
	if !ok {
		return nil, fmt.Errorf("secret %s has no data key %q: add %d or more random bytes under it, or delete the Secret to have one generated",
			ref, KeySecretDataKey, MinKeySize)
	}
	kr, err := NewKeyring(key)
	if err != nil {
		return nil, fmt.Errorf("secret %s, data key %q: %w", ref, KeySecretDataKey, err)
	}
	return kr, nil
}

// PurposeResend marks a roster.dev/resend written by the operator itself, after a party's address
// changed: such a resend is not held to ResendInterval. Nobody else can write the mark.
const PurposeResend Purpose = "resend"

// OperatorResend is the value of the roster.dev/resend annotation the operator writes on t when the
// address of contact, an awaited party, changed: a sentence, then the mark of t's current round.
func (k *Keyring) OperatorResend(t *v1alpha1.ContactTransfer, contact string) string {
	return fmt.Sprintf("address of %s changed: %s", contact, k.Token(t.UID, t.Status.Round, contact, PurposeResend))
}

// IsOperatorResend reports whether value is an OperatorResend of t's current round for one of its
// awaited parties.
func (k *Keyring) IsOperatorResend(t *v1alpha1.ContactTransfer, value string) bool {
	rest, ok := strings.CutPrefix(value, "address of ")
	if !ok {
		return false
	}
	contact, mark, ok := strings.Cut(rest, " changed: ")
	if !ok || !slices.Contains(Pending(t), contact) {
		return false
	}
	return hmac.Equal([]byte(mark), []byte(k.Token(t.UID, t.Status.Round, contact, PurposeResend)))
}
