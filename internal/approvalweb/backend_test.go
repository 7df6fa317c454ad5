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

package approvalweb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/index"
)

var backendNow = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

func backendKeys(t testing.TB, b byte) *approval.Keyring {
	t.Helper()
	k, err := approval.NewKeyring(bytes.Repeat([]byte{b}, approval.MinKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// linkToken is the token of contact's approval link for the given round of the test transfer, as the
// email's link carries it.
func linkToken(t testing.TB, k *approval.Keyring, round int32, contact string) string {
	t.Helper()
	u, err := url.Parse(approval.Link("https://roster.example.com", testUID, k.Token(testUID, round, contact, approval.PurposeLink)))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// testTransfer is pending with two parties: bob (incoming) and carol (the requester), in round 1.
func testTransfer() *v1alpha1.ContactTransfer {
	return &v1alpha1.ContactTransfer{
		ObjectMeta: metav1.ObjectMeta{Name: testName, Namespace: testNS, UID: testUID},
		Spec: v1alpha1.ContactTransferSpec{
			OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"},
			Role:            "billing",
			From:            &v1alpha1.LocalObjectReference{Name: "alice"},
			To:              v1alpha1.LocalObjectReference{Name: "bob"},
			RequestedBy:     &v1alpha1.LocalObjectReference{Name: "carol"},
			Reason:          "Alice leaves",
		},
		Status: v1alpha1.ContactTransferStatus{
			Round:     1,
			ExpiresAt: &metav1.Time{Time: backendNow.Add(24 * time.Hour)},
			Approvals: []v1alpha1.PartyApproval{
				{Contact: "bob", As: v1alpha1.PartyIncoming, Decision: v1alpha1.DecisionPending},
				{Contact: "carol", As: v1alpha1.PartyInitiator, Decision: v1alpha1.DecisionPending},
			},
		},
	}
}

func testOrganization() *v1alpha1.Organization {
	return &v1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: testNS},
		Spec: v1alpha1.OrganizationSpec{DisplayName: "ACME Corp",
			Approval: v1alpha1.ApprovalSettings{MaxAttempts: new(int32(3))}},
	}
}

func testContact(name, displayName string, locale v1alpha1.Locale) *v1alpha1.Contact {
	return &v1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS},
		Spec: v1alpha1.ContactSpec{OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"}, DisplayName: displayName,
			Email: name + "@acme.example", Locale: locale},
	}
}

// recordingReader records every read of the Backend.
type recordingReader struct {
	client.Reader
	mu    sync.Mutex
	reads []string
}

func (r *recordingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	r.record(fmt.Sprintf("Get %T", obj))
	return r.Reader.Get(ctx, key, obj, opts...)
}

func (r *recordingReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	r.record(fmt.Sprintf("List %T", list))
	return r.Reader.List(ctx, list, opts...)
}

func (r *recordingReader) record(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads = append(r.reads, s)
}

func (r *recordingReader) Reads() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reads...)
}

// builderIndexer registers the operator's indexes (index.Setup) on a fake client.
type builderIndexer struct{ b *fake.ClientBuilder }

func (i builderIndexer) IndexField(_ context.Context, obj client.Object, field string, fn client.IndexerFunc) error {
	i.b.WithIndex(obj, field, fn)
	return nil
}

// world is a Backend on a fake API server holding objs.
type world struct {
	backend *Backend
	client  client.Client
	reader  *recordingReader

	mu     sync.Mutex
	writes []string
	// conflicts is how many status writes fail with a Conflict before one succeeds.
	conflicts int
}

func newWorld(t *testing.T, objs ...client.Object) *world {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	w := &world{}
	record := func(op string, obj client.Object) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.writes = append(w.writes, fmt.Sprintf("%s %T", op, obj))
	}
	b := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).WithStatusSubresource(&v1alpha1.ContactTransfer{}).
		WithInterceptorFuncs(interceptor.Funcs{
			Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
				record("Create", obj)
				return c.Create(ctx, obj, opts...)
			},
			Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				record("Update", obj)
				return c.Update(ctx, obj, opts...)
			},
			Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
				record("Patch", obj)
				return c.Patch(ctx, obj, p, opts...)
			},
			Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
				record("Delete", obj)
				return c.Delete(ctx, obj, opts...)
			},
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
				record("Patch "+sub, obj)
				return c.SubResource(sub).Patch(ctx, obj, p, opts...)
			},
			SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				record("Update "+sub, obj)
				w.mu.Lock()
				conflict := w.conflicts > 0
				w.conflicts--
				w.mu.Unlock()
				if conflict {
					return apierrors.NewConflict(schema.GroupResource{Group: "roster.dev", Resource: "contacttransfers"}, obj.GetName(),
						errors.New("the object has been modified"))
				}
				return c.SubResource(sub).Update(ctx, obj, opts...)
			},
		})
	if err := index.Setup(context.Background(), builderIndexer{b}); err != nil {
		t.Fatal(err)
	}
	w.client = b.Build()
	w.reader = &recordingReader{Reader: w.client}
	w.backend = &Backend{Reader: w.reader, Client: w.client, Keys: backendKeys(t, 7), Now: func() time.Time { return backendNow }}
	return w
}

func (w *world) Writes() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.writes...)
}

func (w *world) transfer(g *WithT) *v1alpha1.ContactTransfer {
	t := &v1alpha1.ContactTransfer{}
	g.ExpectWithOffset(1, w.client.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: testName}, t)).To(Succeed())
	return t
}

func decisions(t *v1alpha1.ContactTransfer) map[string]v1alpha1.Decision {
	out := map[string]v1alpha1.Decision{}
	for _, r := range t.Status.Approvals {
		out[r.Contact] = r.Decision
	}
	return out
}

func setCondition(typ string) func(*v1alpha1.ContactTransfer) {
	return func(t *v1alpha1.ContactTransfer) {
		conditions.Set(&t.Status.Conditions, t.Generation, typ, metav1.ConditionTrue, "Test", "set by the test")
	}
}

func TestBackend(t *testing.T) {
	keys := backendKeys(t, 7)
	bob := linkToken(t, keys, 1, "bob")
	carol := linkToken(t, keys, 1, "carol")
	pending := map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionPending, "carol": v1alpha1.DecisionPending}
	bobApproved := map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionApproved, "carol": v1alpha1.DecisionPending}

	for _, tc := range []struct {
		name     string
		setup    func(*v1alpha1.ContactTransfer)
		noOrg    bool
		uid      string // testUID when empty
		token    string
		decision v1alpha1.Decision // Approved when empty

		// What View (GET) answers: the party's page, or ErrInvalidToken. It never writes.
		viewParty string
		// What Decide (POST) does.
		decideErr  error
		wantRows   map[string]v1alpha1.Decision
		wantFailed int32
		wantWrites int
	}{
		{name: "right token approves", token: bob, viewParty: "Bob Durand",
			wantRows: bobApproved, wantWrites: 1},
		{name: "right token refuses", token: bob, decision: v1alpha1.DecisionRefused, viewParty: "Bob Durand",
			wantRows: map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionRefused, "carol": v1alpha1.DecisionPending}, wantWrites: 1},
		{name: "party A's token decides for A, never for B", token: carol, viewParty: "Carol Admin",
			wantRows: map[string]v1alpha1.Decision{"bob": v1alpha1.DecisionPending, "carol": v1alpha1.DecisionApproved}, wantWrites: 1},
		{name: "wrong token counts", token: "wrong",
			decideErr: ErrInvalidToken, wantRows: pending, wantFailed: 1, wantWrites: 1},
		{name: "a token of the right shape under another key counts", token: linkToken(t, backendKeys(t, 8), 1, "bob"),
			decideErr: ErrInvalidToken, wantRows: pending, wantFailed: 1, wantWrites: 1},
		{name: "a token of another transfer counts", token: keys.Token(otherUID, 1, "bob", approval.PurposeLink),
			decideErr: ErrInvalidToken, wantRows: pending, wantFailed: 1, wantWrites: 1},
		{name: "the wrong token that reaches maxAttempts counts",
			setup: func(t *v1alpha1.ContactTransfer) { t.Status.FailedAttempts = 2 }, token: "wrong",
			decideErr: ErrInvalidToken, wantRows: pending, wantFailed: 3, wantWrites: 1},
		{name: "at maxAttempts the right token is refused",
			setup: func(t *v1alpha1.ContactTransfer) { t.Status.FailedAttempts = 3 }, token: bob,
			decideErr: ErrInvalidToken, wantRows: pending, wantFailed: 3},
		{name: "at maxAttempts a wrong token no longer counts",
			setup: func(t *v1alpha1.ContactTransfer) { t.Status.FailedAttempts = 3 }, token: "wrong",
			decideErr: ErrInvalidToken, wantRows: pending, wantFailed: 3},
		{name: "a used token is refused without counting",
			setup: func(t *v1alpha1.ContactTransfer) { t.Status.Approvals[0].Decision = v1alpha1.DecisionApproved }, token: bob,
			decideErr: ErrInvalidToken, wantRows: bobApproved},
		{name: "a used token cannot change its decision",
			setup: func(t *v1alpha1.ContactTransfer) { t.Status.Approvals[0].Decision = v1alpha1.DecisionApproved }, token: bob,
			decision: v1alpha1.DecisionRefused, decideErr: ErrInvalidToken, wantRows: bobApproved},
		{name: "an earlier round's token is refused without counting",
			setup: func(t *v1alpha1.ContactTransfer) { t.Status.Round = 2 }, token: bob,
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "the new round's token decides",
			setup: func(t *v1alpha1.ContactTransfer) { t.Status.Round = 2 }, token: linkToken(t, keys, 2, "bob"), viewParty: "Bob Durand",
			wantRows: bobApproved, wantWrites: 1},
		{name: "the approve code is not a link token", token: keys.Token(testUID, 1, "bob", approval.PurposeApprove),
			decideErr: ErrInvalidToken, wantRows: pending, wantFailed: 1, wantWrites: 1},
		{name: "the refuse code is not a link token", token: keys.Token(testUID, 1, "bob", approval.PurposeRefuse),
			decision: v1alpha1.DecisionRefused, decideErr: ErrInvalidToken, wantRows: pending, wantFailed: 1, wantWrites: 1},
		{name: "expired",
			setup: func(t *v1alpha1.ContactTransfer) {
				t.Status.ExpiresAt = &metav1.Time{Time: backendNow.Add(-time.Second)}
			},
			token: bob, decideErr: ErrInvalidToken, wantRows: pending},
		{name: "expiring this instant",
			setup: func(t *v1alpha1.ContactTransfer) { t.Status.ExpiresAt = &metav1.Time{Time: backendNow} },
			token: bob, decideErr: ErrInvalidToken, wantRows: pending},
		{name: "expired: a wrong token does not count",
			setup: func(t *v1alpha1.ContactTransfer) {
				t.Status.ExpiresAt = &metav1.Time{Time: backendNow.Add(-time.Second)}
			},
			token: "wrong", decideErr: ErrInvalidToken, wantRows: pending},
		{name: "approved already", setup: setCondition(v1alpha1.ApprovedCondition), token: bob,
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "completed", setup: setCondition(v1alpha1.CompletedCondition), token: bob,
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "refused", setup: setCondition(v1alpha1.RefusedCondition), token: bob,
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "expired condition", setup: setCondition(v1alpha1.ExpiredCondition), token: bob,
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "stalled", setup: setCondition(v1alpha1.StalledCondition), token: bob,
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "being deleted",
			setup: func(t *v1alpha1.ContactTransfer) {
				t.Finalizers = []string{"roster.dev/cleanup"}
				t.DeletionTimestamp = &metav1.Time{Time: backendNow.Add(-time.Minute)}
			},
			token: bob, decideErr: ErrInvalidToken, wantRows: pending},
		{name: "organization gone", noOrg: true, token: bob,
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "unknown UID with a right token's shape", uid: otherUID, token: bob,
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "unknown UID with a wrong token", uid: otherUID, token: "wrong",
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "unknown UID with its own would-be token", uid: otherUID, token: keys.Token(otherUID, 1, "bob", approval.PurposeLink),
			decideErr: ErrInvalidToken, wantRows: pending},
		{name: "empty token", token: "",
			decideErr: ErrInvalidToken, wantRows: pending, wantFailed: 1, wantWrites: 1},
	} {
		uid := tc.uid
		if uid == "" {
			uid = testUID
		}
		decision := tc.decision
		if decision == "" {
			decision = v1alpha1.DecisionApproved
		}
		objects := func() []client.Object {
			xfer := testTransfer()
			if tc.setup != nil {
				tc.setup(xfer)
			}
			objs := []client.Object{xfer, testContact("bob", "Bob Durand", v1alpha1.LocaleFrench),
				testContact("carol", "Carol Admin", ""), testContact("alice", "Alice Martin", "")}
			if !tc.noOrg {
				objs = append(objs, testOrganization())
			}
			return objs
		}

		t.Run(tc.name+"/View", func(t *testing.T) {
			g := NewWithT(t)
			w := newWorld(t, objects()...)
			before := w.transfer(g)

			v, err := w.backend.View(context.Background(), uid, tc.token)
			if tc.viewParty == "" {
				g.Expect(err).To(MatchError(ErrInvalidToken))
				g.Expect(v).To(Equal(View{}))
			} else {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(v.Party).To(Equal(tc.viewParty))
				g.Expect(v.Decision).To(BeEmpty())
			}
			g.Expect(w.Writes()).To(BeEmpty(), "a GET never writes")
			g.Expect(w.transfer(g)).To(Equal(before), "a GET never decides nor counts")
		})

		t.Run(tc.name+"/Decide", func(t *testing.T) {
			g := NewWithT(t)
			w := newWorld(t, objects()...)
			before := w.transfer(g)

			v, err := w.backend.Decide(context.Background(), uid, tc.token, decision)
			after := w.transfer(g)
			if tc.decideErr != nil {
				g.Expect(err).To(MatchError(tc.decideErr))
				g.Expect(v).To(Equal(View{}))
			} else {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(v.Party).To(Equal(tc.viewParty))
				g.Expect(v.Decision).To(Equal(decision))
				g.Expect(v.UID).To(Equal(testUID))
			}
			g.Expect(decisions(after)).To(Equal(tc.wantRows))
			g.Expect(after.Status.FailedAttempts).To(Equal(tc.wantFailed))
			g.Expect(w.Writes()).To(HaveLen(tc.wantWrites))
			for i, row := range after.Status.Approvals {
				if row.Decision != before.Status.Approvals[i].Decision {
					g.Expect(row.Via).To(Equal(v1alpha1.DecisionViaLink))
					g.Expect(row.DecidedAt).NotTo(BeNil())
					g.Expect(row.DecidedAt.Time.Equal(backendNow)).To(BeTrue())
				}
			}
			if tc.wantWrites == 0 {
				g.Expect(after).To(Equal(before))
			}
		})
	}
}

func TestBackendViewShowsTheTransferToItsParty(t *testing.T) {
	g := NewWithT(t)
	w := newWorld(t, testTransfer(), testOrganization(), testContact("bob", "Bob Durand", v1alpha1.LocaleFrench),
		testContact("carol", "Carol Admin", ""), testContact("alice", "Alice Martin", ""))

	v, err := w.backend.View(context.Background(), testUID, linkToken(t, w.backend.Keys, 1, "bob"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.ExpiresAt).To(BeTemporally("==", backendNow.Add(24*time.Hour)))
	v.ExpiresAt = v.ExpiresAt.UTC() // the same instant; a time read back from the API server is in time.Local
	g.Expect(v).To(Equal(View{
		UID: testUID, Namespace: testNS, Name: testName, Organization: "ACME Corp", Role: "billing",
		From: "Alice Martin", To: "Bob Durand", RequestedBy: "Carol Admin", Reason: "Alice leaves", Party: "Bob Durand",
		Locale: "fr", ExpiresAt: backendNow.Add(24 * time.Hour), AwaitingOneOf: []string{"Carol Admin"},
	}), "bob is told that carol's approval is awaited too")

	v, err = w.backend.View(context.Background(), testUID, linkToken(t, w.backend.Keys, 1, "carol"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.Awaiting).To(Equal([]string{"Bob Durand"}), "carol is told that bob's approval is awaited")
	g.Expect(v.AwaitingOneOf).To(BeEmpty())
}

// TestBackendDoesTheSameWorkForAnUnknownTransfer compares a wrong token for a transfer with one party in
// its first round with any token for a UID that does not exist: the same reads, and one token derived
// (the decoy has one party and one round, as the real transfer). Only a wrong POST for the real transfer
// writes, to count the attempt.
func TestBackendDoesTheSameWorkForAnUnknownTransfer(t *testing.T) {
	onePartyTransfer := func() *v1alpha1.ContactTransfer {
		xfer := testTransfer()
		xfer.Status.Approvals = xfer.Status.Approvals[:1]
		return xfer
	}
	for _, tc := range []struct {
		name       string
		op         func(b *Backend, uid string) error
		realWrites []string
	}{
		{"View", func(b *Backend, uid string) error {
			_, err := b.View(context.Background(), uid, "wrong")
			return err
		}, nil},
		{"Decide", func(b *Backend, uid string) error {
			_, err := b.Decide(context.Background(), uid, "wrong", v1alpha1.DecisionApproved)
			return err
		}, []string{"Update status *v1alpha1.ContactTransfer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			real := newWorld(t, onePartyTransfer(), testOrganization(), testContact("bob", "Bob Durand", ""))
			unknown := newWorld(t, onePartyTransfer(), testOrganization(), testContact("bob", "Bob Durand", ""))

			g.Expect(tc.op(real.backend, testUID)).To(MatchError(ErrInvalidToken))
			g.Expect(tc.op(unknown.backend, otherUID)).To(MatchError(ErrInvalidToken))

			g.Expect(real.reader.Reads()).To(Equal([]string{
				"List *v1alpha1.ContactTransferList", "Get *v1alpha1.Organization"}))
			g.Expect(unknown.reader.Reads()).To(Equal(real.reader.Reads()))
			g.Expect(real.Writes()).To(Equal(tc.realWrites))
			g.Expect(unknown.Writes()).To(BeEmpty())
		})
	}

	t.Run("the decoy is shaped like a transfer with one party in its first round", func(t *testing.T) {
		g := NewWithT(t)
		w := newWorld(t, onePartyTransfer(), testOrganization())
		real, found, err := w.backend.transfer(context.Background(), testUID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(found).To(BeTrue())
		decoy, found, err := w.backend.transfer(context.Background(), otherUID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(found).To(BeFalse())

		// approval.Identify derives one token per row and per round it recognises: as many for both.
		g.Expect(decoy.Status.Round).To(Equal(real.Status.Round))
		g.Expect(decoy.Status.Approvals).To(HaveLen(len(real.Status.Approvals)))
		g.Expect(decoy.Status.Approvals[0].Decision).To(Equal(v1alpha1.DecisionPending))
		g.Expect(decoy.UID).To(HaveLen(len(real.UID)))
		g.Expect(decoy.UID).NotTo(Equal(types.UID(otherUID)), "the decoy's UID is random: no token of the asked UID fits it")
		g.Expect(decoy.Spec.OrganizationRef.Name).NotTo(BeEmpty())

		again, _, err := w.backend.transfer(context.Background(), otherUID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(again.UID).NotTo(Equal(decoy.UID), "every decoy is new")
		g.Expect(again.Status.Approvals[0].Contact).NotTo(Equal(decoy.Status.Approvals[0].Contact))
	})
}

func TestBackendRetriesAConflict(t *testing.T) {
	g := NewWithT(t)
	w := newWorld(t, testTransfer(), testOrganization())
	w.conflicts = 1

	_, err := w.backend.Decide(context.Background(), testUID, linkToken(t, w.backend.Keys, 1, "bob"), v1alpha1.DecisionApproved)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(w.Writes()).To(HaveLen(2), "the write that conflicted, then the one on a fresh read")
	g.Expect(w.reader.Reads()).To(ContainElements("List *v1alpha1.ContactTransferList"))
	g.Expect(decisions(w.transfer(g))).To(HaveKeyWithValue("bob", v1alpha1.DecisionApproved))
}

type fakeAnnouncer struct {
	err     error
	parties []string
}

func (a *fakeAnnouncer) Approved(_ context.Context, _ *v1alpha1.ContactTransfer, party string) error {
	a.parties = append(a.parties, party)
	return a.err
}

func TestBackendAnnouncesAnApproval(t *testing.T) {
	for _, tc := range []struct {
		name      string
		decision  v1alpha1.Decision
		announcer *fakeAnnouncer
		wantErr   bool
		announced []string
		wantRow   v1alpha1.Decision
	}{
		{"an approval is announced", v1alpha1.DecisionApproved, &fakeAnnouncer{}, false, []string{"bob"}, v1alpha1.DecisionApproved},
		{"a refusal is not", v1alpha1.DecisionRefused, &fakeAnnouncer{}, false, nil, v1alpha1.DecisionRefused},
		{"no approval without its announcement", v1alpha1.DecisionApproved, &fakeAnnouncer{err: errors.New("outbox full")}, true,
			[]string{"bob"}, v1alpha1.DecisionPending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			w := newWorld(t, testTransfer(), testOrganization())
			w.backend.Announcer = tc.announcer

			_, err := w.backend.Decide(context.Background(), testUID, linkToken(t, w.backend.Keys, 1, "bob"), tc.decision)
			if tc.wantErr {
				g.Expect(err).To(HaveOccurred())
				g.Expect(errors.Is(err, ErrInvalidToken)).To(BeFalse(), "the page answers 503: try again")
				g.Expect(w.Writes()).To(BeEmpty())
			} else {
				g.Expect(err).NotTo(HaveOccurred())
			}
			g.Expect(tc.announcer.parties).To(Equal(tc.announced))
			g.Expect(decisions(w.transfer(g))).To(HaveKeyWithValue("bob", tc.wantRow))
		})
	}
}

// TestPageWithBackendInPortuguese follows the link of a party whose contact's locale is pt.
func TestPageWithBackendInPortuguese(t *testing.T) {
	g := NewWithT(t)
	w := newWorld(t, testTransfer(), testOrganization(), testContact("bob", "Bob Durand", v1alpha1.LocalePortuguese),
		testContact("carol", "Carol Admin", ""), testContact("alice", "Alice Martin", ""))
	srv := newTestServer(t, w.backend, logr.Discard())
	token := w.backend.Keys.Token(testUID, 1, "bob", approval.PurposeLink)

	resp, body := get(g, approval.Link(srv.URL, testUID, token))
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring(`<html lang="pt">`))
	g.Expect(body).To(ContainSubstring("Olá Bob Durand"))
	g.Expect(body).To(ContainSubstring("<dt>Também aguardados</dt><dd>um de Carol Admin</dd>"))

	resp, body = post(g, pageURL(srv.URL), url.Values{"token": {token}, "decision": {"Refused"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring("Sua recusa foi registrada"))
	g.Expect(body).NotTo(ContainSubstring(token))
}

// TestPageWithBackend follows a party's link from its email to its decision, through the handler and
// the Backend.
func TestPageWithBackend(t *testing.T) {
	g := NewWithT(t)
	w := newWorld(t, testTransfer(), testOrganization(), testContact("bob", "Bob Durand", v1alpha1.LocaleFrench),
		testContact("carol", "Carol Admin", ""), testContact("alice", "Alice Martin", ""))
	srv := newTestServer(t, w.backend, logr.Discard())
	token := w.backend.Keys.Token(testUID, 1, "bob", approval.PurposeLink)
	link := approval.Link(srv.URL, testUID, token)

	resp, body := get(g, link)
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring("Bonjour Bob Durand"))
	g.Expect(body).To(ContainSubstring(`value="` + token + `"`))
	g.Expect(w.Writes()).To(BeEmpty())

	resp, body = post(g, pageURL(srv.URL), url.Values{"token": {token}, "decision": {"Approved"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(body).To(ContainSubstring("Votre approbation a été enregistrée"))
	g.Expect(body).NotTo(ContainSubstring(token))
	xfer := w.transfer(g)
	g.Expect(xfer.Status.Approvals[0]).To(And(
		HaveField("Contact", "bob"), HaveField("Decision", v1alpha1.DecisionApproved), HaveField("Via", v1alpha1.DecisionViaLink)))
	g.Expect(xfer.Status.FailedAttempts).To(BeZero())

	_, generic := get(g, pageURL(srv.URL))
	resp, body = get(g, link)
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound), "a used link is dead")
	g.Expect(body).To(Equal(generic))
	resp, _ = post(g, pageURL(srv.URL), url.Values{"token": {token}, "decision": {"Refused"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(w.transfer(g).Status.FailedAttempts).To(BeZero(), "a replay is not a guess")

	resp, _ = post(g, pageURL(srv.URL), url.Values{"token": {"guess"}, "decision": {"Approved"}})
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(w.transfer(g).Status.FailedAttempts).To(Equal(int32(1)))
	resp, _ = get(g, approval.Link(srv.URL, testUID, "guess"))
	g.Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	g.Expect(w.transfer(g).Status.FailedAttempts).To(Equal(int32(1)), "a GET never counts")
}
