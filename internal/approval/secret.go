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
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"roster.dev/roster/api/v1alpha1"
)

const (
	// TokenSecretType is the type of the Secret that holds the token hashes of a transfer.
	TokenSecretType corev1.SecretType = "roster.dev/approval-tokens"
	// TransferLabel labels a token Secret with the name of its transfer (see TransferLabelValue).
	TransferLabel = "roster.dev/transfer"
	// RoundDataKey is the token Secret's data key holding the round (decimal) the hashes belong to.
	RoundDataKey = "round"
	// HashDataKeyPrefix prefixes the contact name in the token Secret's data key of its hash.
	HashDataKeyPrefix = "hash."

	tokenSecretSuffix = "-tokens"
	// shortHashLen is how many hex digits of SHA-256 keep a shortened name unique.
	shortHashLen = 10
)

// TokenSecretName returns the name of the token Secret of the transfer called transfer: transfer +
// "-tokens", or, when that would exceed 253 characters, a prefix of transfer, a short hash of the
// whole name and "-tokens", so that it stays unique and a valid Secret name.
func TokenSecretName(transfer string) string {
	return shorten(transfer, validation.DNS1123SubdomainMaxLength, tokenSecretSuffix)
}

// TransferLabelValue returns the value of TransferLabel for the transfer called transfer: the name
// itself, or, when longer than a label value may be (63), a prefix and a short hash of the name.
func TransferLabelValue(transfer string) string {
	return shorten(transfer, validation.LabelValueMaxLength, "")
}

// shorten returns name+suffix when it fits in max characters, else a prefix of name (without trailing
// '-', '.' or '_'), "-", the first shortHashLen hex digits of SHA-256(name) and suffix.
func shorten(name string, limit int, suffix string) string {
	if len(name)+len(suffix) <= limit {
		return name + suffix
	}
	sum := sha256.Sum256([]byte(name))
	tail := "-" + hex.EncodeToString(sum[:])[:shortHashLen] + suffix
	prefix := strings.TrimRight(name[:limit-len(tail)], "-._")
	return prefix + tail
}

// TokenSecret returns the Secret that holds the token hashes (hashes maps contact to Hash(token)) of
// round of transfer t: in t's namespace, named TokenSecretName(t.Name), of type TokenSecretType,
// labelled with TransferLabel and controlled by t, so that it is deleted with t. It never holds a token.
func TokenSecret(t *v1alpha1.ContactTransfer, round int32, hashes map[string]string) *corev1.Secret {
	data := make(map[string][]byte, len(hashes)+1)
	data[RoundDataKey] = []byte(strconv.FormatInt(int64(round), 10))
	for contact, h := range hashes {
		data[HashDataKeyPrefix+contact] = []byte(h)
	}
	controller, block := true, true
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      TokenSecretName(t.Name),
			Namespace: t.Namespace,
			Labels:    map[string]string{TransferLabel: TransferLabelValue(t.Name)},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion:         v1alpha1.GroupVersion.String(),
				Kind:               "ContactTransfer",
				Name:               t.Name,
				UID:                t.UID,
				Controller:         &controller,
				BlockOwnerDeletion: &block,
			}},
		},
		Type: TokenSecretType,
		Data: data,
	}
}

// ReadTokenSecret returns the round and the hashes (contact to hash) a token Secret holds. A missing
// Secret (nil) or round reads as round 0; the map is never nil.
func ReadTokenSecret(s *corev1.Secret) (round int32, hashes map[string]string) {
	hashes = map[string]string{}
	if s == nil {
		return 0, hashes
	}
	if r, err := strconv.ParseInt(string(s.Data[RoundDataKey]), 10, 32); err == nil {
		round = int32(r)
	}
	for k, v := range s.Data {
		if contact, ok := strings.CutPrefix(k, HashDataKeyPrefix); ok && contact != "" {
			hashes[contact] = string(v)
		}
	}
	return round, hashes
}
