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
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// ContactTransferReconciler drives a ContactTransfer through its two-party approval: it validates the
// request, gives each party a personal token (only hashes are stored, in a Secret the transfer owns),
// records decisions made by annotation, expires and locks, and moves the role once every party approved.
type ContactTransferReconciler struct {
	client.Client
	// APIReader reads the token Secrets straight from the apiserver, so that the operator does not cache
	// every Secret of the cluster.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// Keys derives the parties' tokens.
	Keys *approval.Keyring
	// Deliverer records and sends the notifications.
	Deliverer *Deliverer
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// transferScope carries one reconcile's state between phases.
type transferScope struct {
	t        *v1alpha1.ContactTransfer
	before   *v1alpha1.ContactTransfer
	org      *v1alpha1.Organization
	in       roles.Input
	role     roles.Role
	contacts map[string]*v1alpha1.Contact
	parties  approval.Parties
	hashes   map[string]string
	facts    transferFacts
	// consumed are the decision annotations read this time, removed once the status is written.
	consumed []string
	resend   bool
}

// +kubebuilder:rbac:groups=roster.dev,resources=contacttransfers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=contacttransfers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=roleassignments,verbs=create
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete

// Reconcile runs the transfer's phases, patches its status once, then does what must follow the status:
// the token Secret, the consumed annotations, the messages, and the move of the role.
func (r *ContactTransferReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	t := &v1alpha1.ContactTransfer{}
	if err := r.Get(ctx, req.NamespacedName, t); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !t.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, t)
	}
	if controllerutil.AddFinalizer(t, v1alpha1.TransferFinalizer) {
		// The update brings the transfer back with its finalizer.
		return ctrl.Result{}, r.Update(ctx, t)
	}
	s := &transferScope{t: t, before: t.DeepCopy(), facts: transferFacts{now: metav1.NewTime(r.now())}}
	if transferSettled(t) {
		// Settled: only the outbox may still have something to send. The token Secret went when it
		// settled; one left by a crash just then goes with the transfer, and no token works meanwhile.
		if err := r.loadOrganization(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
		return r.deliver(ctx, s)
	}

	result, err := runPhases(ctx, s, r.load, r.validate, r.expire, r.readDecisions)
	if err != nil {
		return result, err
	}
	setTransferStatus(t, s.facts)
	r.announce(s, s.before)
	r.recordTokens(s)
	setDeliveredCondition(&t.Status.Conditions, t.Generation, t.Status.Outbox)
	if err := patchStatusLocked(ctx, r.Client, s.before, t); err != nil {
		return result, err
	}
	for _, after := range []phase[*transferScope]{r.syncTokens, r.removeConsumedAnnotations, r.deliver, r.moveRole} {
		res, err := after(ctx, s)
		if err != nil {
			return result, err
		}
		result = soonest(result, res)
	}
	if transferSettled(t) {
		return result, r.deleteTokens(ctx, t)
	}
	return result, nil
}

func (r *ContactTransferReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// loadOrganization reads the transfer's organization; s.org stays nil when it does not exist.
func (r *ContactTransferReconciler) loadOrganization(ctx context.Context, s *transferScope) error {
	org := &v1alpha1.Organization{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: s.t.Namespace, Name: s.t.Spec.OrganizationRef.Name}, org); err != nil {
		return client.IgnoreNotFound(err)
	}
	s.org = org
	return nil
}

// load reads the organization's state and works out the parties.
func (r *ContactTransferReconciler) load(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	t := s.t
	if err := r.loadOrganization(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if s.org == nil {
		s.facts.waiting = fmt.Sprintf("spec.organizationRef: organization %q does not exist: create it", t.Spec.OrganizationRef.Name)
		return ctrl.Result{}, nil
	}
	org := s.org
	in, err := state.Load(ctx, r.Client, org)
	var badCatalogue *state.InvalidCatalogueError
	if errors.As(err, &badCatalogue) {
		s.facts.waiting = fmt.Sprintf("organization %q has an invalid role catalogue: fix its spec.roles", org.Name)
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	s.in = in
	s.role, _ = in.Catalogue.Get(t.Spec.Role)
	s.contacts = make(map[string]*v1alpha1.Contact, len(in.Contacts))
	for i := range in.Contacts {
		s.contacts[in.Contacts[i].Name] = &in.Contacts[i]
	}
	if org.Spec.Approval.MaxAttempts != nil {
		s.facts.maxAttempts = *org.Spec.Approval.MaxAttempts
	}
	s.parties = approval.PartiesFor(t, s.role, roles.Evaluate(in))
	approvers := s.parties.Approvers
	if !s.role.NeedsApproval() && !approval.IsSelfNomination(t, s.role) {
		approvers = nil
	}
	if !conditionTrue(t.Status.Conditions, v1alpha1.ApprovedCondition) {
		ensureApprovals(t, approvers)
	}
	return ctrl.Result{}, nil
}

// validate checks the request against the rules while it waits for approvals; once approved, only the
// standing of the contacts is checked again, at completion.
func (r *ContactTransferReconciler) validate(_ context.Context, s *transferScope) (ctrl.Result, error) {
	if s.facts.invalid != "" || s.facts.waiting != "" || conditionTrue(s.t.Status.Conditions, v1alpha1.ApprovedCondition) {
		return ctrl.Result{}, nil
	}
	if errs := approval.Validate(s.t, s.in); len(errs) > 0 {
		s.facts.invalid = errs.ToAggregate().Error()
	}
	return ctrl.Result{}, nil
}

// expire sets expiresAt and notices when it passed; it asks to be woken then.
func (r *ContactTransferReconciler) expire(_ context.Context, s *transferScope) (ctrl.Result, error) {
	t := s.t
	if s.org == nil || s.facts.invalid != "" || s.facts.waiting != "" {
		return ctrl.Result{}, nil
	}
	if t.Status.ExpiresAt == nil {
		at := expiry(t.CreationTimestamp, s.org)
		t.Status.ExpiresAt = &at
	}
	left := t.Status.ExpiresAt.Sub(s.facts.now.Time)
	if left <= 0 {
		s.facts.expired = true
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: left}, nil
}

// readDecisions applies the approve and refuse annotations, and notes a resend request.
func (r *ContactTransferReconciler) readDecisions(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	t := s.t
	if s.facts.invalid != "" || s.facts.waiting != "" || s.facts.expired {
		return ctrl.Result{}, nil
	}
	if t.Status.Round == 0 {
		t.Status.Round = 1
	}
	if _, ok := t.Annotations[v1alpha1.ResendAnnotation]; ok {
		s.resend = true
		s.consumed = append(s.consumed, v1alpha1.ResendAnnotation)
	}
	decisions := []struct {
		annotation string
		decision   v1alpha1.Decision
	}{{v1alpha1.ApproveAnnotation, v1alpha1.DecisionApproved}, {v1alpha1.RefuseAnnotation, v1alpha1.DecisionRefused}}
	for _, d := range decisions {
		token, ok := t.Annotations[d.annotation]
		if !ok {
			continue
		}
		s.consumed = append(s.consumed, d.annotation)
		if s.hashes == nil {
			hashes, err := r.tokenHashes(ctx, t)
			if err != nil {
				return ctrl.Result{}, err
			}
			s.hashes = hashes
		}
		if usedToken(t, r.Keys, token) {
			continue // a replay, for instance after a restart before the annotation was removed
		}
		if party, ok := applyDecision(t, s.hashes, token, d.decision, v1alpha1.DecisionViaAnnotation, s.facts.now); ok {
			delete(s.hashes, party)
		}
	}
	if s.resend && len(pendingParties(t)) > 0 {
		t.Status.Round++
	}
	return ctrl.Result{}, nil
}

// tokenHashes reads the stored hashes of the current round.
func (r *ContactTransferReconciler) tokenHashes(ctx context.Context, t *v1alpha1.ContactTransfer) (map[string]string, error) {
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: approval.TokenSecretName(t.Name)}, secret)
	if apierrors.IsNotFound(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	round, hashes := approval.ReadTokenSecret(secret)
	if round != t.Status.Round {
		return map[string]string{}, nil
	}
	return hashes, nil
}

// syncTokens makes the token Secret hold the hashes of the pending parties' tokens of the current round,
// and nothing else: a decided party's token and every token of an earlier round stop working.
func (r *ContactTransferReconciler) syncTokens(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	t := s.t
	hashes := make(map[string]string)
	for _, p := range pendingParties(t) {
		hashes[p] = approval.Hash(r.Keys.Token(t.UID, t.Status.Round, p))
	}
	want := approval.TokenSecret(t, t.Status.Round, hashes)
	have := &corev1.Secret{}
	err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(want), have)
	if apierrors.IsNotFound(err) {
		if len(hashes) == 0 {
			return ctrl.Result{}, nil
		}
		err := r.Create(ctx, want)
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return ctrl.Result{}, nil // the namespace and the transfer are going away
		}
		return ctrl.Result{}, err
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if equalData(have.Data, want.Data) {
		return ctrl.Result{}, nil
	}
	have.Data = want.Data
	return ctrl.Result{}, r.Update(ctx, have)
}

// removeConsumedAnnotations drops the decision and resend annotations once their effect is recorded.
func (r *ContactTransferReconciler) removeConsumedAnnotations(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	if len(s.consumed) == 0 {
		return ctrl.Result{}, nil
	}
	before := s.t.DeepCopy()
	for _, a := range s.consumed {
		delete(s.t.Annotations, a)
	}
	return ctrl.Result{}, patchObject(ctx, r.Client, before, s.t)
}

// recordTokens records, once per round, the message that brings each pending party its token. The tokens
// themselves are derived again when the message is sent: only the round and the parties are recorded.
func (r *ContactTransferReconciler) recordTokens(s *transferScope) {
	t := s.t
	pending := pendingParties(t)
	if t.Status.NotifiedRound >= t.Status.Round || len(pending) == 0 || transferSettled(t) {
		return
	}
	n := r.notification(s, notify.TransferRequested, fmt.Sprintf("%s/round-%d", t.UID, t.Status.Round))
	n.Facts[roundFact] = strconv.Itoa(int(t.Status.Round))
	n.Facts[approversFact] = strings.Join(pending, ",")
	recipients := pending
	if t.Status.Round == 1 {
		recipients = append(slices.Clone(pending), s.parties.Informed...)
	}
	n.Recipients = r.recipients(s, recipients)
	r.Deliverer.Record(t, &t.Status.Outbox, s.org, n, fmt.Sprintf("tokens (round %d) sent to %s", t.Status.Round, joinNames(pending)))
	t.Status.NotifiedRound = t.Status.Round
}

// deliver sends what is due in the outbox.
func (r *ContactTransferReconciler) deliver(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	return deliverOutbox(ctx, r.Client, r.Deliverer, s.t, "ContactTransfer", s.org, &s.t.Status.Outbox, &s.t.Status.Conditions, s.t.Generation)
}

// moveRole, once every party approved, points the role's assignment at the new holder (creating one for a
// vacant role), then waits for the assignment to show it: that one status write moves the role, so it
// never has two holders, nor none.
func (r *ContactTransferReconciler) moveRole(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	t := s.t
	if !conditionTrue(t.Status.Conditions, v1alpha1.ApprovedCondition) || conditionTrue(t.Status.Conditions, v1alpha1.CompletedCondition) {
		return ctrl.Result{}, nil
	}
	overdue := ""
	if errs := approval.CheckStanding(t, s.role, s.contacts); len(errs) > 0 {
		overdue = errs.ToAggregate().Error()
	}
	ra, err := r.assignmentToMove(ctx, t)
	if err != nil {
		return ctrl.Result{}, err
	}
	moved := ra != nil && ra.Status.Holder == t.Spec.To.Name
	if overdue == "" && !moved {
		if ra == nil {
			ra = newAssignmentFor(t)
			if err := controllerutil.SetOwnerReference(s.org, ra, r.Scheme()); err != nil {
				return ctrl.Result{}, err
			}
			if err := r.Create(ctx, ra); err != nil {
				return ctrl.Result{}, err
			}
		} else if ra.Spec.ContactRef.Name != t.Spec.To.Name {
			before := ra.DeepCopy()
			ra.Spec.ContactRef.Name = t.Spec.To.Name
			if err := patchObject(ctx, r.Client, before, ra); err != nil {
				return ctrl.Result{}, err
			}
		}
	}
	before := t.DeepCopy()
	s.facts.overdue, s.facts.moved = overdue, moved
	setTransferStatus(t, s.facts)
	r.announce(s, before)
	if err := patchStatusLocked(ctx, r.Client, before, t); err != nil {
		return ctrl.Result{}, err
	}
	return r.deliver(ctx, s)
}

// assignmentToMove finds the assignment whose holder the transfer changes: the one that opened it, or the
// one held by spec.from. It returns nil for a vacant role.
func (r *ContactTransferReconciler) assignmentToMove(ctx context.Context, t *v1alpha1.ContactTransfer) (*v1alpha1.RoleAssignment, error) {
	var list v1alpha1.RoleAssignmentList
	if err := r.List(ctx, &list, client.InNamespace(t.Namespace),
		client.MatchingFields{index.ByRoleScope: index.RoleScopeKey(t.Spec.OrganizationRef.Name, t.Spec.Role, t.Spec.Scope)}); err != nil {
		return nil, err
	}
	owner := metav1.GetControllerOf(t)
	from := ""
	if t.Spec.From != nil {
		from = t.Spec.From.Name
	}
	for i := range list.Items {
		ra := &list.Items[i]
		switch {
		case owner != nil && owner.UID == ra.UID:
			return ra, nil
		case owner == nil && from != "" && ra.Status.Holder == from:
			return ra, nil
		case owner == nil && ra.Spec.ContactRef.Name == t.Spec.To.Name:
			return ra, nil
		}
	}
	return nil, nil
}

// newAssignmentFor is the assignment a transfer of a vacant role creates.
func newAssignmentFor(t *v1alpha1.ContactTransfer) *v1alpha1.RoleAssignment {
	return &v1alpha1.RoleAssignment{
		ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace,
			Name: boundedName(t.Spec.OrganizationRef.Name, t.Spec.Role, t.Spec.Scope, t.Spec.To.Name)},
		Spec: v1alpha1.RoleAssignmentSpec{OrganizationRef: t.Spec.OrganizationRef, Role: t.Spec.Role, Scope: t.Spec.Scope,
			ContactRef: t.Spec.To},
	}
}

// finalize tells the parties that a transfer deleted before it settled is cancelled, then lets it go once
// the message is delivered (or keeps failing: a deletion is never held for long).
func (r *ContactTransferReconciler) finalize(ctx context.Context, t *v1alpha1.ContactTransfer) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(t, v1alpha1.TransferFinalizer) {
		return ctrl.Result{}, nil
	}
	s := &transferScope{t: t, parties: approval.PartiesOf(t), facts: transferFacts{now: metav1.NewTime(r.now())}}
	org := &v1alpha1.Organization{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Spec.OrganizationRef.Name}, org); err == nil {
		s.org = org
	} else if !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	if !transferSettled(t) && s.org != nil {
		if err := r.loadContacts(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
		before := t.DeepCopy()
		n := r.notification(s, notify.TransferCancelled, string(t.UID)+"/cancelled")
		n.Recipients = r.recipients(s, append(slices.Clone(s.parties.Approvers), s.parties.Informed...))
		if !slices.ContainsFunc(t.Status.Outbox, func(d v1alpha1.Delivery) bool { return notify.KeyOf(d) == n.Key }) {
			r.Deliverer.Record(t, &t.Status.Outbox, s.org, n, "deleted before it completed: nothing moves")
		}
		if err := patchStatusLocked(ctx, r.Client, before, t); err != nil {
			return ctrl.Result{}, err
		}
		res, err := r.deliver(ctx, s)
		if err != nil {
			return res, err
		}
		if res.RequeueAfter > 0 && len(notify.Failing(t.Status.Outbox)) == 0 {
			return res, nil
		}
	}
	controllerutil.RemoveFinalizer(t, v1alpha1.TransferFinalizer)
	return ctrl.Result{}, r.Update(ctx, t)
}

// deleteTokens removes the token Secret of a transfer that just settled: no token works any more.
func (r *ContactTransferReconciler) deleteTokens(ctx context.Context, t *v1alpha1.ContactTransfer) error {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: approval.TokenSecretName(t.Name)}}
	return client.IgnoreNotFound(r.Delete(ctx, secret))
}

// SetupWithManager watches ContactTransfers, and the assignments, contacts and organizations they depend on.
func (r *ContactTransferReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	m := mapper{c: mgr.GetClient()}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.ContactTransfer{}).
		Watches(&v1alpha1.RoleAssignment{}, handler.EnqueueRequestsFromMapFunc(m.transfersOfAssignment)).
		Watches(&v1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(m.transfersOfContact)).
		Watches(&v1alpha1.Organization{}, handler.EnqueueRequestsFromMapFunc(m.transfersOfOrganization)).
		WithOptions(opts).
		Named("contacttransfer").
		Complete(r)
}

func equalData(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || string(w) != string(v) {
			return false
		}
	}
	return true
}
