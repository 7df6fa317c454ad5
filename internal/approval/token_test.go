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
	base := k1.Token(uid, 1, "alice")

	tests := []struct {
		name  string
		token string
		same  bool
	}{
		{name: "same transfer, round and contact give the same token", token: k1.Token(uid, 1, "alice"), same: true},
		{name: "a new keyring with the same key gives the same token (restart)", token: mustKeyring(t, testKey(1)).Token(uid, 1, "alice"), same: true},
		{name: "another contact", token: k1.Token(uid, 1, "bob")},
		{name: "another round", token: k1.Token(uid, 2, "alice")},
		{name: "another transfer", token: k1.Token("other-uid", 1, "alice")},
		{name: "another key", token: k2.Token(uid, 1, "alice")},
		{name: "separators keep fields apart (uid/round boundary)", token: k1.Token(uid+"1", 1, "alice")},
		{name: "separators keep fields apart (round/contact boundary)", token: k1.Token(uid, 11, "lice")},
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
			tok := k.Token("uid", round, c)
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
	before := k.Token("uid", 1, "alice")
	key[0] ^= 0xff
	g.Expect(k.Token("uid", 1, "alice")).To(Equal(before))
}

func TestHash(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{name: "empty", token: "", want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "abc", token: "abc", want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(Hash(tt.token)).To(Equal(tt.want))
			g.Expect(Hash(tt.token)).To(MatchRegexp(`^[0-9a-f]{64}$`))
		})
	}
}

func TestMatch(t *testing.T) {
	k := mustKeyring(t, testKey(9))
	tok := func(c string) string { return k.Token("uid", 1, c) }
	hashes := map[string]string{"alice": Hash(tok("alice")), "bob": Hash(tok("bob")), "carol": Hash(tok("carol"))}
	usedAlice := map[string]string{"bob": Hash(tok("bob")), "carol": Hash(tok("carol"))}

	tests := []struct {
		name        string
		hashes      map[string]string
		token       string
		wantContact string
		wantOK      bool
	}{
		{name: "alice's token matches alice", hashes: hashes, token: tok("alice"), wantContact: "alice", wantOK: true},
		{name: "bob's token matches bob", hashes: hashes, token: tok("bob"), wantContact: "bob", wantOK: true},
		{name: "carol's token matches carol", hashes: hashes, token: tok("carol"), wantContact: "carol", wantOK: true},
		{name: "a wrong token matches nobody", hashes: hashes, token: "not-a-token"},
		{name: "a token of another round matches nobody", hashes: hashes, token: k.Token("uid", 2, "alice")},
		{name: "the hash itself is not a token", hashes: hashes, token: hashes["alice"]},
		{name: "an empty token matches nobody", hashes: hashes, token: ""},
		{name: "an empty token does not match a stored hash of the empty string", hashes: map[string]string{"x": Hash("")}, token: ""},
		{name: "empty map", hashes: map[string]string{}, token: tok("alice")},
		{name: "nil map", hashes: nil, token: tok("alice")},
		{name: "a used token (hash removed) matches nobody", hashes: usedAlice, token: tok("alice")},
		{name: "the other tokens still work after one was used", hashes: usedAlice, token: tok("carol"), wantContact: "carol", wantOK: true},
		{name: "a corrupted stored hash matches nothing", hashes: map[string]string{"alice": "deadbeef"}, token: tok("alice")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			contact, ok := Match(tt.hashes, tt.token)
			g.Expect(ok).To(Equal(tt.wantOK))
			g.Expect(contact).To(Equal(tt.wantContact))
		})
	}
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
				g.Expect(k.Token("uid", 1, "alice")).To(Equal(mustKeyring(t, tt.wantKey).Token("uid", 1, "alice")))
			}

			var s corev1.Secret
			g.Expect(c.Get(ctx, ref, &s)).To(Succeed())
			if tt.wantCreated {
				g.Expect(s.Data[KeySecretDataKey]).To(HaveLen(MinKeySize))
				g.Expect(s.Data[KeySecretDataKey]).NotTo(Equal(make([]byte, MinKeySize)))
				g.Expect(k.Token("uid", 1, "alice")).To(Equal(mustKeyring(t, s.Data[KeySecretDataKey]).Token("uid", 1, "alice")))
			}

			// A second call (another replica, or a restart) reads the same key and gives the same tokens.
			again, err := LoadOrCreateKey(ctx, fake.NewClientBuilder().WithObjects(&s).Build(), ref)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(again.Token("uid", 1, "alice")).To(Equal(k.Token("uid", 1, "alice")))
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
	g.Expect(second.Token("uid", 3, "bob")).To(Equal(first.Token("uid", 3, "bob")))
}

func TestLoadOrCreateKeyGeneratesDistinctKeys(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ref := types.NamespacedName{Namespace: "ns", Name: "key"}
	a, err := LoadOrCreateKey(ctx, fake.NewClientBuilder().Build(), ref)
	g.Expect(err).NotTo(HaveOccurred())
	b, err := LoadOrCreateKey(ctx, fake.NewClientBuilder().Build(), ref)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Token("uid", 1, "alice")).NotTo(Equal(b.Token("uid", 1, "alice")))
}

func ptrTo[T any](v T) *T { return &v }
