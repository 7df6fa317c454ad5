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
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"roster.dev/roster/api/v1alpha1"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, MinKeySize) }

func mustKeyring(t *testing.T, key []byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(key)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

var urlSafe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func TestToken(t *testing.T) {
	k1 := mustKeyring(t, testKey(1))
	k2 := mustKeyring(t, testKey(2))
	const uid = types.UID("0b5a3c1e-7f0e-4b8e-9d7a-1f0c2d3e4f50")
	base := k1.Token(uid, 1, "alice", PurposeLink)

	tests := []struct {
		name  string
		token string
		same  bool
	}{
		{name: "same transfer, round and contact give the same token", token: k1.Token(uid, 1, "alice", PurposeLink), same: true},
		{name: "a new keyring with the same key gives the same token (restart)", token: mustKeyring(t, testKey(1)).Token(uid, 1, "alice", PurposeLink), same: true},
		{name: "another contact", token: k1.Token(uid, 1, "bob", PurposeLink)},
		{name: "another round", token: k1.Token(uid, 2, "alice", PurposeLink)},
		{name: "another transfer", token: k1.Token("other-uid", 1, "alice", PurposeLink)},
		{name: "another key", token: k2.Token(uid, 1, "alice", PurposeLink)},
		{name: "separators keep fields apart (uid/round boundary)", token: k1.Token(uid+"1", 1, "alice", PurposeLink)},
		{name: "separators keep fields apart (round/contact boundary)", token: k1.Token(uid, 11, "lice", PurposeLink)},
		{name: "another purpose: the approve code", token: k1.Token(uid, 1, "alice", PurposeApprove)},
		{name: "another purpose: the refuse code", token: k1.Token(uid, 1, "alice", PurposeRefuse)},
		{name: "separators keep fields apart (contact/purpose boundary)", token: k1.Token(uid, 1, "alicel", "ink")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			if tt.same {
				g.Expect(tt.token).To(Equal(base))
			} else {
				g.Expect(tt.token).NotTo(Equal(base))
			}
			g.Expect(tt.token).To(HaveLen(43))
			g.Expect(tt.token).To(MatchRegexp(urlSafe.String()))
			raw, err := base64.RawURLEncoding.DecodeString(tt.token)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(len(raw) * 8).To(BeNumerically(">=", 128))
			g.Expect(raw).To(HaveLen(32))
		})
	}
}

func TestTokensDoNotCollide(t *testing.T) {
	g := NewWithT(t)
	k := mustKeyring(t, testKey(7))
	seen := map[string]bool{}
	for round := int32(0); round < 20; round++ {
		for _, c := range []string{"alice", "bob", "carol", "dave", "erin"} {
			tok := k.Token("uid", round, c, PurposeLink)
			g.Expect(seen).NotTo(HaveKey(tok))
			seen[tok] = true
		}
	}
}

func TestNewKeyring(t *testing.T) {
	tests := []struct {
		name    string
		key     []byte
		wantErr bool
	}{
		{name: "nil key", key: nil, wantErr: true},
		{name: "31 bytes", key: make([]byte, 31), wantErr: true},
		{name: "32 bytes", key: make([]byte, 32)},
		{name: "64 bytes", key: make([]byte, 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			k, err := NewKeyring(tt.key)
			if tt.wantErr {
				g.Expect(err).To(MatchError(ContainSubstring("at least 32")))
				g.Expect(k).To(BeNil())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(k).NotTo(BeNil())
		})
	}
}

func TestNewKeyringCopiesTheKey(t *testing.T) {
	g := NewWithT(t)
	key := testKey(3)
	k := mustKeyring(t, key)
	before := k.Token("uid", 1, "alice", PurposeLink)
	key[0] ^= 0xff
	g.Expect(k.Token("uid", 1, "alice", PurposeLink)).To(Equal(before))
}

func TestLink(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Link("https://roster.example/", "0b5a3c1e-7f0e", "a-b_c")).To(Equal("https://roster.example/approve/0b5a3c1e-7f0e?token=a-b_c"))
	g.Expect(Link("https://roster.example/prefix", "u", "t")).To(Equal("https://roster.example/prefix/approve/u?token=t"))
}

func TestSecretsEqual(t *testing.T) {
	g := NewWithT(t)
	g.Expect(SecretsEqual("abc", "abc")).To(BeTrue())
	g.Expect(SecretsEqual("abc", "abd")).To(BeFalse())
	g.Expect(SecretsEqual("abc", "abcd")).To(BeFalse())
	g.Expect(SecretsEqual("", "")).To(BeTrue())
}

func TestLoadOrCreateKey(t *testing.T) {
	ref := types.NamespacedName{Namespace: "roster-system", Name: "roster-approval-key"}
	keySecret := func(key []byte) *corev1.Secret {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name},
			Data:       map[string][]byte{KeySecretDataKey: key},
		}
	}
	notFoundOnce := func() interceptor.Funcs {
		calls := 0
		return interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			calls++
			if calls == 1 {
				return apierrors.NewNotFound(corev1.Resource("secrets"), key.Name)
			}
			return c.Get(ctx, key, obj, opts...)
		}}
	}

	tests := []struct {
		name        string
		existing    *corev1.Secret
		funcs       *interceptor.Funcs
		wantErr     string
		wantKey     []byte // the key the Keyring must use, when known
		wantCreated bool
	}{
		{name: "creates the Secret when it is missing", wantCreated: true},
		{name: "reads an existing key", existing: keySecret(testKey(5)), wantKey: testKey(5)},
		{name: "accepts a key longer than 32 bytes", existing: keySecret(bytes.Repeat([]byte{6}, 64)), wantKey: bytes.Repeat([]byte{6}, 64)},
		{name: "rejects a short stored key", existing: keySecret(make([]byte, 16)), wantErr: "at least 32"},
		{name: "rejects a Secret without the key", existing: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}}, wantErr: `no data key "key"`},
		{name: "reads the winner's key when another replica created it first", existing: keySecret(testKey(8)), funcs: ptrTo(notFoundOnce()), wantKey: testKey(8)},
		{name: "reports a failing Get", funcs: &interceptor.Funcs{Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return errors.New("boom")
		}}, wantErr: "boom"},
		{name: "reports a failing Create", funcs: &interceptor.Funcs{Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
			return apierrors.NewForbidden(corev1.Resource("secrets"), ref.Name, errors.New("no RBAC"))
		}}, wantErr: "no RBAC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			b := fake.NewClientBuilder()
			if tt.existing != nil {
				b = b.WithObjects(tt.existing)
			}
			if tt.funcs != nil {
				b = b.WithInterceptorFuncs(*tt.funcs)
			}
			c := b.Build()

			k, err := LoadOrCreateKey(ctx, c, ref)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				g.Expect(k).To(BeNil())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			if tt.wantKey != nil {
				g.Expect(k.Token("uid", 1, "alice", PurposeLink)).To(Equal(mustKeyring(t, tt.wantKey).Token("uid", 1, "alice", PurposeLink)))
			}

			var s corev1.Secret
			g.Expect(c.Get(ctx, ref, &s)).To(Succeed())
			if tt.wantCreated {
				g.Expect(s.Data[KeySecretDataKey]).To(HaveLen(MinKeySize))
				g.Expect(s.Data[KeySecretDataKey]).NotTo(Equal(make([]byte, MinKeySize)))
				g.Expect(k.Token("uid", 1, "alice", PurposeLink)).To(Equal(mustKeyring(t, s.Data[KeySecretDataKey]).Token("uid", 1, "alice", PurposeLink)))
			}

			// A second call (another replica, or a restart) reads the same key and gives the same tokens.
			again, err := LoadOrCreateKey(ctx, fake.NewClientBuilder().WithObjects(&s).Build(), ref)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(again.Token("uid", 1, "alice", PurposeLink)).To(Equal(k.Token("uid", 1, "alice", PurposeLink)))
		})
	}
}

func TestLoadOrCreateKeyCreatesOnce(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ref := types.NamespacedName{Namespace: "roster-system", Name: "roster-approval-key"}
	creates := 0
	c := fake.NewClientBuilder().WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			creates++
			return c.Create(ctx, obj, opts...)
		},
	}).Build()

	first, err := LoadOrCreateKey(ctx, c, ref)
	g.Expect(err).NotTo(HaveOccurred())
	second, err := LoadOrCreateKey(ctx, c, ref)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(creates).To(Equal(1))
	g.Expect(second.Token("uid", 3, "bob", PurposeLink)).To(Equal(first.Token("uid", 3, "bob", PurposeLink)))
}

func TestLoadOrCreateKeyGeneratesDistinctKeys(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ref := types.NamespacedName{Namespace: "ns", Name: "key"}
	a, err := LoadOrCreateKey(ctx, fake.NewClientBuilder().Build(), ref)
	g.Expect(err).NotTo(HaveOccurred())
	b, err := LoadOrCreateKey(ctx, fake.NewClientBuilder().Build(), ref)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Token("uid", 1, "alice", PurposeLink)).NotTo(Equal(b.Token("uid", 1, "alice", PurposeLink)))
}

func ptrTo[T any](v T) *T { return &v }

func TestOperatorResendCannotBeForged(t *testing.T) {
	g := NewWithT(t)
	keys := mustKeyring(t, testKey(1))
	tr := &v1alpha1.ContactTransfer{}
	tr.UID = "uid-1"
	tr.Status.Round = 2
	tr.Status.Approvals = []v1alpha1.PartyApproval{{Contact: "alice", As: v1alpha1.PartyIncoming, Decision: v1alpha1.DecisionPending}}
	value := keys.OperatorResend(tr, "alice")
	g.Expect(keys.IsOperatorResend(tr, value)).To(BeTrue())
	g.Expect(keys.IsOperatorResend(tr, "address of alice changed")).To(BeFalse(), "the plain sentence a user could write")
	g.Expect(keys.IsOperatorResend(tr, "address of alice changed: forged")).To(BeFalse())
	other := mustKeyring(t, testKey(2))
	g.Expect(other.IsOperatorResend(tr, value)).To(BeFalse(), "another key")
	tr.Status.Round = 3
	g.Expect(keys.IsOperatorResend(tr, value)).To(BeFalse(), "a mark of an earlier round")
}
