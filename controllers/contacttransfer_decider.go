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

package controllers

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/approvalweb"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// TransferDecider records the decisions made on the approval page. It writes the transfer's status with
// optimistic concurrency, as the controller does, so that neither loses the other's writes; the controller
// then retires the used token.
type TransferDecider struct {
	// Client writes status; Reader reads the apiserver directly (the page must see the latest state).
	Client client.Client
	Reader client.Reader
	// Deliverer records the "approved" notification with the decision, in the same write.
	Deliverer *Deliverer
	Now       func() time.Time
}

var _ approvalweb.Decider = &TransferDecider{}

// View shows the transfer to the party whose token it is. A wrong token counts as a failed attempt.
func (d *TransferDecider) View(ctx context.Context, namespace, name, token string) (approvalweb.View, error) {
	var view approvalweb.View
	err := d.withTransfer(ctx, namespace, name, func(t *v1alpha1.ContactTransfer, hashes map[string]string) bool {
		party, ok := approval.Match(hashes, token)
		if ok && decisionOf(t, party) == v1alpha1.DecisionPending {
			view = d.view(ctx, t, party)
			return false
		}
		if d.replay(t, token) {
			return false // the link of a party that already decided: not a guess
		}
		t.Status.FailedAttempts++
		return true
	})
	if err != nil {
		return view, err
	}
	if view.Name == "" {
		return view, approvalweb.ErrInvalidToken
	}
	return view, nil
}

// Decide records the party's decision, made through its link.
func (d *TransferDecider) Decide(ctx context.Context, namespace, name, token string, decision v1alpha1.Decision) (approvalweb.View, error) {
	var view approvalweb.View
	var recordErr error // the decision is not written without its notification: the page asks to retry
	err := d.withTransfer(ctx, namespace, name, func(t *v1alpha1.ContactTransfer, hashes map[string]string) bool {
		if d.replay(t, token) {
			return false
		}
		party, ok := applyDecision(t, hashes, token, decision, v1alpha1.DecisionViaLink, metav1.NewTime(d.now()))
		view = approvalweb.View{}
		if ok {
			view = d.view(ctx, t, party)
			view.Decision = decision
			if decision == v1alpha1.DecisionApproved {
				if err := d.recordApproval(ctx, t, party); err != nil {
					recordErr = err
					return false
				}
			}
		}
		return true
	})
	if err == nil {
		err = recordErr
	}
	if err != nil {
		return view, err
	}
	if view.Name == "" {
		return view, approvalweb.ErrInvalidToken
	}
	return view, nil
}

// withTransfer reads a pending transfer and its token hashes, lets change edit its status, and writes the
// status when change asks to, retrying on conflicts. A missing or settled transfer is an invalid token.
func (d *TransferDecider) withTransfer(ctx context.Context, namespace, name string,
	change func(t *v1alpha1.ContactTransfer, hashes map[string]string) (write bool)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		t := &v1alpha1.ContactTransfer{}
		if err := d.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, t); err != nil {
			if apierrors.IsNotFound(err) {
				return approvalweb.ErrInvalidToken
			}
			return err
		}
		if transferSettled(t) || !t.DeletionTimestamp.IsZero() ||
			(t.Status.ExpiresAt != nil && !d.now().Before(t.Status.ExpiresAt.Time)) || d.lockedOut(ctx, t) {
			return approvalweb.ErrInvalidToken
		}
		secret := &corev1.Secret{}
		hashes := map[string]string{}
		err := d.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: approval.TokenSecretName(name)}, secret)
		if client.IgnoreNotFound(err) != nil {
			return err
		}
		if err == nil {
			if round, h := approval.ReadTokenSecret(secret); round == t.Status.Round {
				hashes = h
			}
		}
		if !change(t, hashes) {
			return nil
		}
		return d.Client.Status().Update(ctx, t)
	})
}

// replay reports whether token is the token of a party that already decided.
func (d *TransferDecider) replay(t *v1alpha1.ContactTransfer, token string) bool {
	return d.Deliverer != nil && d.Deliverer.Keys != nil && usedToken(t, d.Deliverer.Keys, token)
}

// lockedOut reports whether the transfer saw approval.maxAttempts wrong tokens: the page takes no more,
// even before the controller marks it locked.
func (d *TransferDecider) lockedOut(ctx context.Context, t *v1alpha1.ContactTransfer) bool {
	org := &v1alpha1.Organization{}
	if d.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Spec.OrganizationRef.Name}, org) != nil {
		return false
	}
	return org.Spec.Approval.MaxAttempts != nil && t.Status.FailedAttempts >= *org.Spec.Approval.MaxAttempts
}

// view is what the page shows the party.
func (d *TransferDecider) view(ctx context.Context, t *v1alpha1.ContactTransfer, party string) approvalweb.View {
	displayName := func(name string) string {
		c := &v1alpha1.Contact{}
		if name == "" || d.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: name}, c) != nil || c.Spec.DisplayName == "" {
			return name
		}
		return c.Spec.DisplayName
	}
	v := approvalweb.View{
		Namespace: t.Namespace, Name: t.Name, Organization: t.Spec.OrganizationRef.Name,
		Role: t.Spec.Role, Scope: t.Spec.Scope, From: displayName(fromName(t)), To: displayName(t.Spec.To.Name),
		RequestedBy: displayName(t.Spec.RequestedBy.Name), Reason: t.Spec.Reason, Party: displayName(party),
	}
	org := &v1alpha1.Organization{}
	if d.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Spec.OrganizationRef.Name}, org) == nil {
		v.Organization = org.Spec.DisplayName
	}
	c := &v1alpha1.Contact{}
	if d.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: party}, c) == nil {
		v.Locale = string(c.Spec.Locale)
	}
	if t.Status.ExpiresAt != nil {
		v.ExpiresAt = t.Status.ExpiresAt.Time
	}
	return v
}

func (d *TransferDecider) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// recordApproval records, with the decision, the notification that tells the other parties.
func (d *TransferDecider) recordApproval(ctx context.Context, t *v1alpha1.ContactTransfer, party string) error {
	if d.Deliverer == nil {
		return nil
	}
	org := &v1alpha1.Organization{}
	if err := d.Reader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Spec.OrganizationRef.Name}, org); err != nil {
		return err
	}
	in, err := state.Load(ctx, d.Client, org)
	if err != nil {
		return err
	}
	role, _ := in.Catalogue.Get(t.Spec.Role)
	n, others, note := approvedBy(t, org, approval.PartiesFor(t, role, roles.Evaluate(in)), party, v1alpha1.DecisionViaLink, d.now())
	n.Recipients = recipientsNamed(ctx, d.Reader, t.Namespace, others)
	d.Deliverer.Record(t, &t.Status.Outbox, org, n, note)
	return nil
}
