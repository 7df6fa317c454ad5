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
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// View shows the transfer to the party whose link token it is. It never decides nor counts anything:
// a GET may come from a mail scanner.
func (b *Backend) View(ctx context.Context, uid, token string) (View, error) {
	t, err := b.transfer(ctx, uid)
	if err != nil {
		return View{}, err
	}
	party, outcome := approval.Identify(b.Keys, t, token, approval.PurposeLink)
	if t.UID == "" || outcome != approval.Recorded || !b.open(ctx, t) {
		return View{}, ErrInvalidToken
	}
	return b.view(ctx, t, party), nil
}

// Decide records the decision of the party whose link token it is. A wrong token counts as a failed
// attempt against the transfer's approval.maxAttempts.
func (b *Backend) Decide(ctx context.Context, uid, token string, decision v1alpha1.Decision) (View, error) {
	var view View
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		view = View{}
		t, err := b.transfer(ctx, uid)
		if err != nil {
			return err
		}
		if t.UID == "" || !b.open(ctx, t) {
			approval.Identify(b.Keys, t, token, approval.PurposeLink) // the same work for every transfer
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

// transfer finds the transfer of a UID in the cache. An unknown UID gives an empty transfer with a
// random UID, so that checking a token costs the same whether the transfer exists or not.
func (b *Backend) transfer(ctx context.Context, uid string) (*v1alpha1.ContactTransfer, error) {
	var list v1alpha1.ContactTransferList
	if err := b.Reader.List(ctx, &list, client.MatchingFields{index.ByUID: uid}); err != nil {
		return nil, err
	}
	if len(list.Items) == 1 {
		return &list.Items[0], nil
	}
	decoy := &v1alpha1.ContactTransfer{}
	decoy.Status.Round = 1
	decoy.Status.Approvals = []v1alpha1.PartyApproval{{Contact: uuid.NewString(), Decision: v1alpha1.DecisionPending}}
	return decoy, nil
}

// open reports whether the transfer takes decisions: pending, not expired, not being deleted, and not
// locked by wrong tokens (the page stops at approval.maxAttempts, before the controller marks it locked).
func (b *Backend) open(ctx context.Context, t *v1alpha1.ContactTransfer) bool {
	if !approval.Open(t) || !t.DeletionTimestamp.IsZero() ||
		(t.Status.ExpiresAt != nil && !b.now().Before(t.Status.ExpiresAt.Time)) {
		return false
	}
	org := &v1alpha1.Organization{}
	if b.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Spec.OrganizationRef.Name}, org) != nil {
		return true
	}
	return org.Spec.Approval.MaxAttempts == nil || t.Status.FailedAttempts < *org.Spec.Approval.MaxAttempts
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
	return v
}

func (b *Backend) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}
