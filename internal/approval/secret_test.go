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
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"roster.dev/roster/api/v1alpha1"
)

func TestTokenSecretName(t *testing.T) {
	long := strings.Repeat("a", 253)
	tests := []struct {
		name     string
		transfer string
		want     string // exact name, when not shortened
	}{
		{name: "short name", transfer: "billing-to-bob", want: "billing-to-bob-tokens"},
		{name: "longest name that fits", transfer: strings.Repeat("a", 246), want: strings.Repeat("a", 246) + "-tokens"},
		{name: "one character too long", transfer: strings.Repeat("a", 247)},
		{name: "longest transfer name", transfer: long},
		{name: "cut falls on a dash", transfer: strings.Repeat("a", 235) + "----------" + strings.Repeat("b", 8)},
		{name: "cut falls on a dot", transfer: strings.Repeat("a", 235) + ".........." + strings.Repeat("b", 8)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := TokenSecretName(tt.transfer)
			g.Expect(validation.IsDNS1123Subdomain(got)).To(BeEmpty())
			g.Expect(len(got)).To(BeNumerically("<=", 253))
			g.Expect(got).To(HaveSuffix("-tokens"))
			g.Expect(TokenSecretName(tt.transfer)).To(Equal(got), "stable")
			if tt.want != "" {
				g.Expect(got).To(Equal(tt.want))
			}
		})
	}
}

func TestTokenSecretNameLongNamesStayUnique(t *testing.T) {
	g := NewWithT(t)
	prefix := strings.Repeat("x", 250)
	a, b := TokenSecretName(prefix+"a"), TokenSecretName(prefix+"b")
	g.Expect(a).NotTo(Equal(b))
	g.Expect(a[:200]).To(Equal(prefix[:200]), "keeps a readable prefix")
}

func TestTransferLabelValue(t *testing.T) {
	tests := []struct {
		name     string
		transfer string
		want     string
	}{
		{name: "short name is the value", transfer: "billing-to-bob", want: "billing-to-bob"},
		{name: "63 characters fit", transfer: strings.Repeat("a", 63), want: strings.Repeat("a", 63)},
		{name: "64 characters are shortened", transfer: strings.Repeat("a", 64)},
		{name: "cut on a dot", transfer: strings.Repeat("a", 50) + "..........." + strings.Repeat("b", 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := TransferLabelValue(tt.transfer)
			g.Expect(validation.IsValidLabelValue(got)).To(BeEmpty())
			if tt.want != "" {
				g.Expect(got).To(Equal(tt.want))
			}
		})
	}
}

func newTransfer(name string) *v1alpha1.ContactTransfer {
	return &v1alpha1.ContactTransfer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "tenants", UID: "uid-1234"},
		Spec: v1alpha1.ContactTransferSpec{
			OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"},
			Role:            "billing",
			From:            &v1alpha1.LocalObjectReference{Name: "alice"},
			To:              v1alpha1.LocalObjectReference{Name: "bob"},
			RequestedBy:     v1alpha1.LocalObjectReference{Name: "carol"},
		},
	}
}

func TestTokenSecret(t *testing.T) {
	k := mustKeyring(t, testKey(4))
	tests := []struct {
		name     string
		transfer string
		round    int32
		hashes   map[string]string
	}{
		{name: "two parties", transfer: "billing-to-bob", round: 1, hashes: map[string]string{
			"carol": Hash(k.Token("uid", 1, "carol")), "bob": Hash(k.Token("uid", 1, "bob"))}},
		{name: "one party left after the other approved", transfer: "billing-to-bob", round: 3, hashes: map[string]string{
			"bob": Hash(k.Token("uid", 3, "bob"))}},
		{name: "every party decided", transfer: "billing-to-bob", round: 2, hashes: map[string]string{}},
		{name: "contact names with dots", transfer: "t", round: 1, hashes: map[string]string{"alice.martin": Hash("x")}},
		{name: "long transfer name", transfer: strings.Repeat("t", 253), round: 1, hashes: map[string]string{"bob": Hash("y")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			xfer := newTransfer(tt.transfer)
			s := TokenSecret(xfer, tt.round, tt.hashes)

			g.Expect(s.Name).To(Equal(TokenSecretName(xfer.Name)))
			g.Expect(s.Namespace).To(Equal("tenants"))
			g.Expect(s.Type).To(Equal(corev1.SecretType("roster.dev/approval-tokens")))
			g.Expect(s.Labels).To(HaveKeyWithValue("roster.dev/transfer", TransferLabelValue(xfer.Name)))
			g.Expect(validation.IsValidLabelValue(s.Labels["roster.dev/transfer"])).To(BeEmpty())
			g.Expect(s.StringData).To(BeEmpty())
			for k := range s.Data {
				g.Expect(validation.IsConfigMapKey(k)).To(BeEmpty(), "data key %q", k)
			}
			g.Expect(s.Data).To(HaveKeyWithValue("round", []byte(strconv.Itoa(int(tt.round)))))
			g.Expect(s.Data).To(HaveLen(len(tt.hashes) + 1))

			g.Expect(s.OwnerReferences).To(HaveLen(1))
			ref := s.OwnerReferences[0]
			g.Expect(ref.APIVersion).To(Equal("roster.dev/v1alpha1"))
			g.Expect(ref.Kind).To(Equal("ContactTransfer"))
			g.Expect(ref.Name).To(Equal(xfer.Name))
			g.Expect(ref.UID).To(Equal(xfer.UID))
			g.Expect(ref.Controller).To(HaveValue(BeTrue()))
			g.Expect(ref.BlockOwnerDeletion).To(HaveValue(BeTrue()))
			g.Expect(metav1.IsControlledBy(s, xfer)).To(BeTrue())

			round, hashes := ReadTokenSecret(s)
			g.Expect(round).To(Equal(tt.round))
			g.Expect(hashes).To(Equal(tt.hashes))
		})
	}
}

func TestTokenSecretHoldsNoToken(t *testing.T) {
	g := NewWithT(t)
	k := mustKeyring(t, testKey(4))
	tok := k.Token("uid", 1, "bob")
	s := TokenSecret(newTransfer("x"), 1, map[string]string{"bob": Hash(tok)})
	for _, v := range s.Data {
		g.Expect(string(v)).NotTo(ContainSubstring(tok))
	}
	contact, ok := Match(func() map[string]string { _, h := ReadTokenSecret(s); return h }(), tok)
	g.Expect(ok).To(BeTrue())
	g.Expect(contact).To(Equal("bob"))
}

func TestReadTokenSecret(t *testing.T) {
	tests := []struct {
		name       string
		secret     *corev1.Secret
		wantRound  int32
		wantHashes map[string]string
	}{
		{name: "nil Secret", secret: nil, wantRound: 0, wantHashes: map[string]string{}},
		{name: "empty Secret", secret: &corev1.Secret{}, wantRound: 0, wantHashes: map[string]string{}},
		{name: "garbage round", secret: &corev1.Secret{Data: map[string][]byte{"round": []byte("x"), "hash.bob": []byte("h")}},
			wantRound: 0, wantHashes: map[string]string{"bob": "h"}},
		{name: "other keys are ignored", secret: &corev1.Secret{Data: map[string][]byte{"round": []byte("7"), "hash.": []byte("h"), "other": []byte("o")}},
			wantRound: 7, wantHashes: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			round, hashes := ReadTokenSecret(tt.secret)
			g.Expect(round).To(Equal(tt.wantRound))
			g.Expect(hashes).To(Equal(tt.wantHashes))
		})
	}
}
