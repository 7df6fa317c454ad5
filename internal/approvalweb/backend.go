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
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/index"
)

// Announcer records, in the transfer's status, the notification that tells the other parties a party
// approved, so that the decision and its announcement are written together.
type Announcer interface {
	Approved(ctx context.Context, t *v1alpha1.ContactTransfer, party string) error
}

// Backend is the Decider of the approval page: it finds transfers by UID in the manager's cache (index
// ByUID), checks tokens by deriving them again, and writes decisions and wrong attempts into the
// transfer's status with optimistic concurrency, as the controller does, so that neither loses the
// other's writes.
//
// An unknown UID is answered like a wrong token, and with the same work as a transfer with one party in
// its first round: one List by UID, one Get of the transfer's Organization (a random name for an
// unknown UID), one token derived and compared (transfer gives an unknown UID a decoy of that shape).
// What still differs for a wrong token:
//   - POSTed for a real transfer that is open, it is counted: the status is written (and written again
//     after a conflict), which takes longer than answering for a decoy;
//   - a real transfer with more parties, or in a later round, derives one token per party and round it
//     recognises, so a few more.
//
// Neither helps an attacker find transfers: a UID is a random 122-bit value that only the recipients of
// the transfer's emails know, so there is nothing to probe but UIDs one already holds, and the page's
// rate limits keep a timing measurement from gathering the many samples it needs.
type Backend struct {
	// Reader reads the manager's cache; Client writes status.
	Reader client.Reader
	Client client.Client
	Keys   *approval.Keyring
	// Announcer, when set, records the "approved" notification with the decision.
	Announcer Announcer
	Now       func() time.Time
}

var _ Decider = &Backend{}

// View shows the transfer to the party whose link token it is. It never decides nor counts anything,
// and never writes: a GET may come from a mail scanner.
func (b *Backend) View(ctx context.Context, uid, token string) (View, error) {
	t, found, err := b.transfer(ctx, uid)
	if err != nil {
		return View{}, err
	}
	open, err := b.open(ctx, t)
	if err != nil && found {
		return View{}, err
	}
	party, outcome := approval.Identify(b.Keys, t, token, approval.PurposeLink)
	if !found || !open || outcome != approval.Recorded {
		return View{}, ErrInvalidToken
	}
	return b.view(ctx, t, party), nil
}

// Decide records the decision of the party whose link token it is. A wrong token counts as a failed
// attempt against the transfer's approval.maxAttempts; a used token, or one of an earlier round, does
// not. A transfer that is not open takes nothing and counts nothing.
func (b *Backend) Decide(ctx context.Context, uid, token string, decision v1alpha1.Decision) (View, error) {
	var view View
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		view = View{}
		t, found, err := b.transfer(ctx, uid)
		if err != nil {
			return err
		}
		open, err := b.open(ctx, t)
		if err != nil && found {
			return err
		}
		if !found || !open {
			approval.Identify(b.Keys, t, token, approval.PurposeLink) // the derivations of approval.Decide
			return ErrInvalidToken
		}
		party, outcome := approval.Decide(b.Keys, t, token, approval.PurposeLink, decision, v1alpha1.DecisionViaLink,
			metav1.NewTime(b.now()))
		switch outcome {
		case approval.Replay:
			return ErrInvalidToken
		case approval.Recorded:
			c := &v1alpha1.Contact{}
			if err := b.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: party}, c); err == nil {
				approval.RecordAddress(t, party, approval.AddressOf(c)) // using the link verifies the address
			}
			view = b.view(ctx, t, party)
			view.Decision = decision
			if decision == v1alpha1.DecisionApproved && b.Announcer != nil {
				if err := b.Announcer.Approved(ctx, t, party); err != nil {
					return err // the decision is not written without its notification: the page asks to retry
				}
			}
		}
		return b.Client.Status().Update(ctx, t)
	})
	if err != nil {
		return View{}, err
	}
	if view.Name == "" {
		return View{}, ErrInvalidToken
	}
	return view, nil
}

// transfer finds the transfer of a UID in the cache, and reports whether it exists. An unknown UID
// gives a decoy shaped like a transfer with one party in its first round, with a random UID, party and
// organization, so that checking a token costs the same whether the transfer exists or not.
func (b *Backend) transfer(ctx context.Context, uid string) (*v1alpha1.ContactTransfer, bool, error) {
	var list v1alpha1.ContactTransferList
	if err := b.Reader.List(ctx, &list, client.MatchingFields{index.ByUID: uid}); err != nil {
		return nil, false, err
	}
	if len(list.Items) == 1 {
		return &list.Items[0], true, nil
	}
	decoy := &v1alpha1.ContactTransfer{}
	decoy.UID = types.UID(uuid.NewString())
	decoy.Spec.OrganizationRef.Name = uuid.NewString()
	decoy.Status.Round = 1
	decoy.Status.Approvals = []v1alpha1.PartyApproval{{Contact: uuid.NewString(), Decision: v1alpha1.DecisionPending}}
	return decoy, false, nil
}

// open reports whether the transfer takes decisions: pending, not expired, not being deleted, its
// Organization still there, and not locked by wrong tokens (the page stops at approval.maxAttempts,
// before the controller marks the transfer locked). It reads the Organization whatever the transfer's
// state, so that every answer costs the same.
func (b *Backend) open(ctx context.Context, t *v1alpha1.ContactTransfer) (bool, error) {
	org := &v1alpha1.Organization{}
	err := b.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Spec.OrganizationRef.Name}, org)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	locked := org.Spec.Approval.MaxAttempts != nil && t.Status.FailedAttempts >= *org.Spec.Approval.MaxAttempts
	expired := t.Status.ExpiresAt != nil && !b.now().Before(t.Status.ExpiresAt.Time)
	return approval.Open(t) && t.DeletionTimestamp.IsZero() && !expired && !locked, nil
}

// view is what the page shows the party.
func (b *Backend) view(ctx context.Context, t *v1alpha1.ContactTransfer, party string) View {
	displayName := func(name string) string {
		c := &v1alpha1.Contact{}
		if name == "" || b.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: name}, c) != nil || c.Spec.DisplayName == "" {
			return name
		}
		return c.Spec.DisplayName
	}
	v := View{
		UID: string(t.UID), Namespace: t.Namespace, Name: t.Name, Organization: t.Spec.OrganizationRef.Name,
		Role: t.Spec.Role, Scope: t.Spec.Scope, From: displayName(approval.From(t)), To: displayName(t.Spec.To.Name),
		RequestedBy: displayName(approval.RequestedBy(t)), Reason: t.Spec.Reason, Party: displayName(party),
	}
	org := &v1alpha1.Organization{}
	if b.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Spec.OrganizationRef.Name}, org) == nil {
		v.Organization = org.Spec.DisplayName
	}
	c := &v1alpha1.Contact{}
	if b.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: party}, c) == nil {
		v.Locale = string(c.Spec.Locale)
	}
	if t.Status.ExpiresAt != nil {
		v.ExpiresAt = t.Status.ExpiresAt.Time
	}
	incoming, initiators := approval.Awaited(t)
	for _, other := range incoming {
		if other != party {
			v.Awaiting = append(v.Awaiting, displayName(other))
		}
	}
	if len(initiators) > 0 && !slices.Contains(initiators, party) {
		names := make([]string, 0, len(initiators))
		for _, other := range initiators {
			names = append(names, displayName(other))
		}
		v.AwaitingOneOf = names
	}
	return v
}

func (b *Backend) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}
