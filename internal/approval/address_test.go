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
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

func TestSetAddress(t *testing.T) {
	confirmed := metav1.NewTime(past)
	contactWith := func(spec, verified string, change *v1alpha1.EmailChange, verifiedCond bool) *v1alpha1.Contact {
		c := &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Name: "alice", UID: "c-uid", Generation: 2},
			Spec:   v1alpha1.ContactSpec{Email: spec},
			Status: v1alpha1.ContactStatus{VerifiedEmail: verified, EmailChange: change, EmailRounds: 1}}
		if verifiedCond {
			c.Status.Conditions = []metav1.Condition{{Type: v1alpha1.EmailVerifiedCondition, Status: metav1.ConditionTrue,
				Reason: v1alpha1.EmailVerifiedReason}}
		}
		return c
	}
	tests := []struct {
		name         string
		contact      *v1alpha1.Contact
		facts        AddressFacts
		wantVerified string
		wantReason   string
		wantChange   AddressChange
		wantPending  bool
	}{
		{name: "no email channel: as declared", contact: contactWith("a@new", "a@old", nil, true),
			facts: AddressFacts{}, wantVerified: "a@new", wantReason: v1alpha1.NoEmailChannelReason},
		{name: "a first address is taken as declared", contact: contactWith("a@x", "", nil, false),
			facts: AddressFacts{EmailChannel: true}, wantVerified: "a@x", wantReason: v1alpha1.EmailDeclaredReason},
		{name: "using a token verifies it", contact: contactWith("a@x", "a@x", nil, false),
			facts: AddressFacts{EmailChannel: true, UsedToken: true}, wantVerified: "a@x", wantReason: v1alpha1.EmailVerifiedReason},
		{name: "verified stays verified", contact: contactWith("a@x", "A@X", nil, true),
			facts: AddressFacts{EmailChannel: true}, wantVerified: "A@X", wantReason: v1alpha1.EmailVerifiedReason},
		{name: "a change starts and waits", contact: contactWith("a@new", "a@old", nil, true),
			facts: AddressFacts{EmailChannel: true, Approver: true}, wantVerified: "a@old", wantReason: v1alpha1.EmailAwaitingConfirmationReason,
			wantChange: AddressChangeStarted, wantPending: true},
		{name: "confirmed, but an approver also needs the approval", contact: contactWith("a@new", "a@old",
			&v1alpha1.EmailChange{Email: "a@new", Round: 1, NeedsApproval: true, ConfirmedAt: &confirmed}, true),
			facts: AddressFacts{EmailChannel: true, Approver: true}, wantVerified: "a@old", wantReason: v1alpha1.EmailAwaitingConfirmationReason, wantPending: true},
		{name: "confirmed and approved: in effect", contact: contactWith("a@new", "a@old",
			&v1alpha1.EmailChange{Email: "a@new", Round: 1, NeedsApproval: true, ConfirmedAt: &confirmed, ApprovedAt: &confirmed}, true),
			facts: AddressFacts{EmailChannel: true, Approver: true}, wantVerified: "a@new", wantReason: v1alpha1.EmailVerifiedReason, wantChange: AddressChangeCompleted},
		{name: "confirmed, no approval needed: in effect", contact: contactWith("a@new", "a@old",
			&v1alpha1.EmailChange{Email: "a@new", Round: 1, ConfirmedAt: &confirmed}, false),
			facts: AddressFacts{EmailChannel: true}, wantVerified: "a@new", wantReason: v1alpha1.EmailVerifiedReason, wantChange: AddressChangeCompleted},
		{name: "refused", contact: contactWith("a@new", "a@old",
			&v1alpha1.EmailChange{Email: "a@new", Round: 1, NeedsApproval: true, RefusedBy: "carol"}, true),
			facts: AddressFacts{EmailChannel: true}, wantVerified: "a@old", wantReason: v1alpha1.EmailChangeRefusedReason, wantPending: true},
		{name: "a further change starts a new round", contact: contactWith("a@third", "a@old",
			&v1alpha1.EmailChange{Email: "a@new", Round: 1, ConfirmedAt: &confirmed}, true),
			facts: AddressFacts{EmailChannel: true}, wantVerified: "a@old", wantReason: v1alpha1.EmailAwaitingConfirmationReason,
			wantChange: AddressChangeStarted, wantPending: true},
		{name: "back to the verified address: nothing pending", contact: contactWith("a@old", "a@old",
			&v1alpha1.EmailChange{Email: "a@new", Round: 1}, true),
			facts: AddressFacts{EmailChannel: true}, wantVerified: "a@old", wantReason: v1alpha1.EmailVerifiedReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := SetAddress(tt.contact, tt.facts)
			g.Expect(got).To(Equal(tt.wantChange))
			g.Expect(tt.contact.Status.VerifiedEmail).To(Equal(tt.wantVerified))
			var reason string
			for _, c := range tt.contact.Status.Conditions {
				if c.Type == v1alpha1.EmailVerifiedCondition {
					reason = c.Reason
					g.Expect(c.ObservedGeneration).To(BeEquivalentTo(2))
				}
			}
			g.Expect(reason).To(Equal(tt.wantReason))
			g.Expect(tt.contact.Status.EmailChange != nil).To(Equal(tt.wantPending))
		})
	}
}

func TestSecurityAddressLinks(t *testing.T) {
	k := mustKeyring(t, testKey(5))
	now := metav1.NewTime(past)
	pending := func(needsApproval bool) *v1alpha1.Contact {
		return &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Name: "alice", UID: "c-uid"},
			Status: v1alpha1.ContactStatus{VerifiedEmail: "a@old",
				EmailChange: &v1alpha1.EmailChange{Email: "a@new", Round: 2, NeedsApproval: needsApproval}}}
	}
	tok := func(party string, round int32, email string, p Purpose) string {
		return k.EmailToken("c-uid", round, email, party, p)
	}
	g := NewWithT(t)

	c := pending(true)
	_, _, ok := DecideAddress(k, c, []string{"carol"}, tok("alice", 2, "a@new", PurposeApproveEmail), true, now)
	g.Expect(ok).To(BeTrue(), "the old address approves")
	g.Expect(c.Status.EmailChange.ApprovedBy).To(Equal("alice"))
	_, _, ok = DecideAddress(k, c, []string{"carol"}, tok("alice", 2, "a@new", PurposeApproveEmail), true, now)
	g.Expect(ok).To(BeFalse(), "single use")
	_, _, ok = DecideAddress(k, c, nil, tok("alice", 2, "a@new", PurposeConfirmEmail), true, now)
	g.Expect(ok).To(BeTrue(), "the new address confirms")
	g.Expect(c.Status.EmailChange.ConfirmedAt).NotTo(BeNil())

	for name, secret := range map[string]string{
		"an earlier round":                      tok("alice", 1, "a@new", PurposeConfirmEmail),
		"another address":                       tok("alice", 2, "a@other", PurposeConfirmEmail),
		"a contact that may not approve":        tok("mallory", 2, "a@new", PurposeApproveEmail),
		"a transfer token":                      k.Token("c-uid", 2, "alice", PurposeLink),
		"empty":                                 "",
		"an approval link where none is needed": tok("alice", 2, "a@new", PurposeApproveEmail),
	} {
		c := pending(false)
		_, _, ok := DecideAddress(k, c, []string{"carol"}, secret, true, now)
		g.Expect(ok).To(BeFalse(), name)
		g.Expect(c.Status.EmailChange.ConfirmedAt).To(BeNil(), name)
	}

	c = pending(true)
	_, _, ok = DecideAddress(k, c, []string{"carol"}, tok("carol", 2, "a@new", PurposeApproveEmail), false, now)
	g.Expect(ok).To(BeTrue())
	g.Expect(c.Status.EmailChange.RefusedBy).To(Equal("carol"))
	_, _, ok = DecideAddress(k, c, []string{"carol"}, tok("alice", 2, "a@new", PurposeConfirmEmail), true, now)
	g.Expect(ok).To(BeFalse(), "a refused change takes nothing more")
}
