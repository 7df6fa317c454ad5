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
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
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

// Token returns the token of contact for the given round of the transfer with UID transferUID: the
// URL-safe base64 (no padding, 43 characters) of HMAC-SHA256(key, uid "\x00" round "\x00" contact),
// 256 bits. The same arguments always give the same token; any other transfer, round or contact gives
// an unrelated one.
func (k *Keyring) Token(transferUID types.UID, round int32, contact string) string {
	mac := hmac.New(sha256.New, k.key)
	mac.Write([]byte(transferUID))
	mac.Write([]byte{0})
	mac.Write([]byte(strconv.FormatInt(int64(round), 10)))
	mac.Write([]byte{0})
	mac.Write([]byte(contact))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Hash returns the hex SHA-256 of token, the only form in which a token is stored.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Match returns the contact whose stored hash (hashes maps contact to hash) is the hash of token. It
// compares with every entry, in contact order, in constant time and without stopping at the first match,
// so that its duration says nothing about which entry matched or how close a guess came. An empty token
// matches nothing.
func Match(hashes map[string]string, token string) (contact string, ok bool) {
	if token == "" {
		return "", false
	}
	h := []byte(Hash(token))
	for _, c := range slices.Sorted(maps.Keys(hashes)) {
		if subtle.ConstantTimeCompare(h, []byte(hashes[c])) == 1 && !ok {
			contact, ok = c, true
		}
	}
	return contact, ok
}

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
