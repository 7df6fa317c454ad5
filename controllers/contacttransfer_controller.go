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
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/history"
	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// ContactTransferReconciler drives a ContactTransfer through its two-party approval: it validates the
// request, sends each party its personal secrets (derived again when checked, never stored), records
// decisions made by annotation or override, expires and locks, and, once approved, binds the one
// RoleAssignment the approval is for and moves the role.
type ContactTransferReconciler struct {
	client.Client
	Recorder events.EventRecorder
	// Keys derives the parties' secrets.
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
	facts    approval.Facts
	// consumed are the annotations read this time, removed once the status is written.
	consumed []string
	// move is the assignment whose spec.contactRef is pointed at the new holder once the binding is written.
	move *v1alpha1.RoleAssignment
}

// +kubebuilder:rbac:groups=roster.dev,resources=contacttransfers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=contacttransfers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=roleassignments,verbs=create

// Reconcile runs the transfer's phases and patches its status once, then removes the annotations it
// consumed, points the bound assignment at the new holder and sends what is due.
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
	s := &transferScope{t: t, before: t.DeepCopy(), facts: approval.Facts{Now: metav1.NewTime(r.now())}}
	if approval.Settled(t) {
		// Settled: an audit record, kept up to the organization's spec.approval.historyLimit; only the
		// outbox may still have something to send.
		if err := r.loadOrganization(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.prune(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
		return r.deliver(ctx, s)
	}

	result, err := runPhases(ctx, s, r.load, r.validate, r.expire, r.readDecisions, r.bind)
	if err != nil {
		return result, err
	}
	approval.SetStatus(t, s.facts)
	r.announce(s, s.before)
	r.recordTokens(s)
	result = soonest(result, r.recordReminders(s))
	setDeliveredCondition(&t.Status.Conditions, t.Generation, t.Status.Outbox)
	if err := patchStatusLocked(ctx, r.Client, s.before, t); err != nil {
		return result, err
	}
	for _, after := range []phase[*transferScope]{r.removeConsumedAnnotations, r.moveRole, r.deliver} {
		res, err := after(ctx, s)
		if err != nil {
			return result, err
		}
		result = soonest(result, res)
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

// prune deletes the organization's oldest settled transfers beyond spec.approval.historyLimit, and
// makes this one owned by the organization if admission did not (webhooks off).
func (r *ContactTransferReconciler) prune(ctx context.Context, s *transferScope) error {
	if s.org == nil {
		return nil
	}
	if err := ensureOwnedBy(ctx, r.Client, s.t, s.org); err != nil {
		return err
	}
	limit := defaultHistoryLimit
	if l := s.org.Spec.Approval.HistoryLimit; l != nil {
		limit = int(*l)
	}
	var list v1alpha1.ContactTransferList
	if err := r.List(ctx, &list, client.InNamespace(s.t.Namespace), client.MatchingFields{index.ByOrganization: s.org.Name}); err != nil {
		return err
	}
	for _, old := range history.Prunable(list.Items, limit) {
		if err := r.Delete(ctx, old, client.Preconditions{UID: &old.UID}); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}

// defaultHistoryLimit is spec.approval.historyLimit when unset.
const defaultHistoryLimit = 100

// load reads the organization's state and works out the parties.
func (r *ContactTransferReconciler) load(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	t := s.t
	if err := r.loadOrganization(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if s.org != nil {
		if err := ensureOwnedBy(ctx, r.Client, t, s.org); err != nil {
			return ctrl.Result{}, err
		}
	}
	if s.org == nil {
		s.facts.Waiting = fmt.Sprintf("spec.organizationRef: organization %q does not exist: create it", t.Spec.OrganizationRef.Name)
		return ctrl.Result{}, nil
	}
	org := s.org
	in, err := state.Load(ctx, r.Client, org, r.Deliverer.now())
	var badCatalogue *state.InvalidCatalogueError
	if errors.As(err, &badCatalogue) {
		s.facts.Waiting = fmt.Sprintf("organization %q has an invalid role catalogue: fix its spec.roles", org.Name)
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
		s.facts.MaxAttempts = *org.Spec.Approval.MaxAttempts
	}
	s.parties = approval.PartiesFor(t, s.role, roles.Evaluate(in))
	if !s.role.Gated(approval.From(t)) {
		s.parties = approval.Parties{Informed: s.parties.Everyone()}
	}
	if approval.Open(t) {
		approval.EnsureRows(t, s.parties)
	}
	return ctrl.Result{}, nil
}

// validate checks the request against the rules while it waits for approvals; once approved, only the
// standing of the contacts is checked again, when the role moves.
func (r *ContactTransferReconciler) validate(_ context.Context, s *transferScope) (ctrl.Result, error) {
	if s.facts.Invalid != "" || s.facts.Waiting != "" || !approval.Open(s.t) {
		return ctrl.Result{}, nil
	}
	if errs := approval.Validate(s.t, s.in); len(errs) > 0 {
		s.facts.Invalid = errs.ToAggregate().Error()
	}
	return ctrl.Result{}, nil
}

// expire sets expiresAt and notices when it passed; it asks to be woken then.
func (r *ContactTransferReconciler) expire(_ context.Context, s *transferScope) (ctrl.Result, error) {
	t := s.t
	if s.org == nil || s.facts.Invalid != "" || s.facts.Waiting != "" {
		return ctrl.Result{}, nil
	}
	if t.Status.ExpiresAt == nil {
		at := approval.Expiry(t.CreationTimestamp, s.org)
		t.Status.ExpiresAt = &at
	}
	left := t.Status.ExpiresAt.Sub(s.facts.Now.Time)
	if left <= 0 {
		s.facts.Expired = true
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: left}, nil
}

// readDecisions applies the approve, refuse and override annotations, and notes a resend request.
func (r *ContactTransferReconciler) readDecisions(_ context.Context, s *transferScope) (ctrl.Result, error) {
	t := s.t
	if s.facts.Invalid != "" || s.facts.Waiting != "" || s.facts.Expired {
		return ctrl.Result{}, nil
	}
	if t.Status.Round == 0 {
		t.Status.Round = 1
	}
	codes := []struct {
		annotation string
		purpose    approval.Purpose
		decision   v1alpha1.Decision
	}{
		{v1alpha1.ApproveAnnotation, approval.PurposeApprove, v1alpha1.DecisionApproved},
		{v1alpha1.RefuseAnnotation, approval.PurposeRefuse, v1alpha1.DecisionRefused},
	}
	for _, c := range codes {
		code, ok := t.Annotations[c.annotation]
		if !ok {
			continue
		}
		s.consumed = append(s.consumed, c.annotation)
		party, outcome := approval.Decide(r.Keys, t, strings.TrimSpace(code), c.purpose, c.decision, v1alpha1.DecisionViaAnnotation, s.facts.Now)
		switch outcome {
		case approval.Recorded:
			if contact := s.contacts[party]; contact != nil {
				approval.RecordAddress(t, party, approval.AddressOf(contact))
			}
		case approval.Wrong:
			r.Recorder.Eventf(t, nil, corev1.EventTypeWarning, "WrongCode", "Decide",
				"%s holds no awaited party's %s code (%d wrong attempts)", c.annotation, c.purpose, t.Status.FailedAttempts)
		case approval.Replay:
			r.Recorder.Eventf(t, nil, corev1.EventTypeNormal, "CodeAlreadyUsed", "Decide",
				"%s holds a code already used or of an earlier round%s: nothing changes", c.annotation, partyNote(party))
		}
	}
	if value, ok := t.Annotations[v1alpha1.OverrideAnnotation]; ok {
		s.consumed = append(s.consumed, v1alpha1.OverrideAnnotation, v1alpha1.OverrideByAnnotation)
		r.override(s, value, t.Annotations[v1alpha1.OverrideByAnnotation])
	}
	if _, ok := t.Annotations[v1alpha1.ResendAnnotation]; ok {
		return r.resend(s), nil
	}
	if c := apimeta.FindStatusCondition(t.Status.Conditions, v1alpha1.ResendLimitedCondition); c != nil && c.Reason == v1alpha1.ResendTooSoonReason {
		// The resend that waited was withdrawn.
		apimeta.RemoveStatusCondition(&t.Status.Conditions, v1alpha1.ResendLimitedCondition)
	}
	return ctrl.Result{}, nil
}

// resend issues a new round of secrets for roster.dev/resend, at most one every ResendInterval and
// MaxRounds in all: a resend asked too soon waits for its time (the annotation stays), one beyond the
// last round is refused.
func (r *ContactTransferReconciler) resend(s *transferScope) ctrl.Result {
	t := s.t
	if !approval.Open(t) || len(approval.Pending(t)) == 0 {
		s.consumed = append(s.consumed, v1alpha1.ResendAnnotation)
		return ctrl.Result{}
	}
	wait, exhausted := approval.ResendWait(t, s.facts.Now.Time)
	if r.Keys.IsOperatorResend(t, t.Annotations[v1alpha1.ResendAnnotation]) {
		// An awaited party's address changed: its secrets go to the new one at once, and those of the
		// old address die, whatever the limits.
		wait, exhausted = 0, false
	}
	switch {
	case exhausted:
		s.consumed = append(s.consumed, v1alpha1.ResendAnnotation)
		conditions.Set(&t.Status.Conditions, t.Generation, v1alpha1.ResendLimitedCondition, metav1.ConditionTrue, v1alpha1.TooManyRoundsReason,
			fmt.Sprintf("%s was refused: this transfer issued its %d rounds of secrets; delete it and request a new one", v1alpha1.ResendAnnotation, approval.MaxRounds))
		r.Recorder.Eventf(t, nil, corev1.EventTypeWarning, v1alpha1.TooManyRoundsReason, "Resend",
			"%s refused: %d rounds of secrets issued already", v1alpha1.ResendAnnotation, approval.MaxRounds)
		return ctrl.Result{}
	case wait > 0:
		conditions.Set(&t.Status.Conditions, t.Generation, v1alpha1.ResendLimitedCondition, metav1.ConditionTrue, v1alpha1.ResendTooSoonReason,
			fmt.Sprintf("%s waits: the last secrets went out at %s, and a transfer issues at most one round every %s; they go out at %s",
				v1alpha1.ResendAnnotation, t.Status.RoundIssuedAt.UTC().Format(time.RFC3339), approval.ResendInterval,
				t.Status.RoundIssuedAt.Add(approval.ResendInterval).UTC().Format(time.RFC3339)))
		return ctrl.Result{RequeueAfter: wait}
	}
	s.consumed = append(s.consumed, v1alpha1.ResendAnnotation)
	apimeta.RemoveStatusCondition(&t.Status.Conditions, v1alpha1.ResendLimitedCondition)
	t.Status.Round++
	return ctrl.Result{}
}

// override records a break-glass decision. Admission lets only users granted the verb approve write the
// annotation, and stamps their name; an annotation without that stamp was not admitted by this operator's
// webhook and is ignored.
func (r *ContactTransferReconciler) override(s *transferScope, value, user string) {
	t := s.t
	if user == "" {
		r.Recorder.Eventf(t, nil, corev1.EventTypeWarning, "OverrideIgnored", "Override",
			"%s was not stamped with its author by the admission webhook: ignored", v1alpha1.OverrideAnnotation)
		return
	}
	if party, d, err := approval.ParseOverride(value); err == nil {
		if row := approval.DecisionOf(t, party); row == d && slices.ContainsFunc(t.Status.Approvals, func(a v1alpha1.PartyApproval) bool {
			return a.Contact == party && a.Via == v1alpha1.DecisionViaOverride && a.User == user
		}) {
			return // already recorded: a retry before the annotation was removed
		}
	}
	party, err := approval.Override(t, value, user, s.facts.Now)
	if err != nil {
		r.Recorder.Eventf(t, nil, corev1.EventTypeWarning, "OverrideIgnored", "Override", "%s", err.Error())
		return
	}
	r.Recorder.Eventf(t, nil, corev1.EventTypeWarning, "DecisionOverridden", "Override",
		"%s recorded the decision %s for %s without its token (break-glass)", user, approval.DecisionOf(t, party), party)
}

func partyNote(party string) string {
	if party == "" {
		return ""
	}
	return " (" + party + ")"
}

// bind, once the transfer is approved, checks the standing of the contacts again and binds the one
// assignment whose holder changes: the one that opened the transfer, the one the outgoing holder holds
// the role through, or a new one for a vacant role. The approval counts for that object only.
func (r *ContactTransferReconciler) bind(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	t := s.t
	if !conditions.IsTrue(t.Status.Conditions, v1alpha1.ApprovedCondition) || approval.Settled(t) || s.facts.Waiting != "" {
		return ctrl.Result{}, nil
	}
	if errs := approval.CheckStanding(t, s.role, s.contacts); len(errs) > 0 {
		s.facts.Overdue = errs.ToAggregate().Error()
		return ctrl.Result{}, nil
	}
	var ra *v1alpha1.RoleAssignment
	if b := t.Status.Assignment; b != nil {
		ra = &v1alpha1.RoleAssignment{}
		err := r.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: b.Name}, ra)
		if client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, err
		}
		if err != nil || string(ra.UID) != b.UID || !ra.DeletionTimestamp.IsZero() {
			s.facts.Gone = fmt.Sprintf("RoleAssignment %s, which this approved transfer was changing, was deleted: the approval counts for no other assignment; create a new ContactTransfer", b.Name)
			return ctrl.Result{}, nil
		}
	} else {
		found, err := r.assignmentToMove(ctx, t)
		if err != nil {
			return ctrl.Result{}, err
		}
		if found == nil && approval.OpenedFor(t) != "" {
			s.facts.Gone = fmt.Sprintf("the RoleAssignment this transfer was opened for (%s) was deleted: the approval counts for no other assignment; create a new ContactTransfer",
				t.Annotations[v1alpha1.OpenedForAnnotation])
			return ctrl.Result{}, nil
		}
		if found == nil {
			found = newAssignmentFor(t)
			if err := controllerutil.SetOwnerReference(s.org, found, r.Scheme()); err != nil {
				return ctrl.Result{}, err
			}
			if err := r.Create(ctx, found); err != nil {
				return ctrl.Result{}, err
			}
		}
		ra = found
		t.Status.Assignment = &v1alpha1.AssignmentBinding{Name: ra.Name, UID: string(ra.UID)}
	}
	s.move = ra
	s.facts.Moved = ra.Status.Holder == t.Spec.To.Name
	if !s.facts.Moved && ra.Status.Holder != approval.From(t) {
		// Another change came first: this approval was for a change from the holder of then.
		s.facts.Gone = fmt.Sprintf("RoleAssignment %s is held by %q now, not by %q: this approval counts for that change only; create a new ContactTransfer",
			ra.Name, ra.Status.Holder, approval.From(t))
		s.move = nil
	}
	return ctrl.Result{}, nil
}

// moveRole points the bound assignment at the new holder, once the binding is written: the assignment
// then takes it in one status write, so that the role never has two holders, nor none.
func (r *ContactTransferReconciler) moveRole(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	ra := s.move
	if ra == nil || s.facts.Moved || ra.Spec.ContactRef.Name == s.t.Spec.To.Name {
		return ctrl.Result{}, nil
	}
	before := ra.DeepCopy()
	ra.Spec.ContactRef.Name = s.t.Spec.To.Name
	return ctrl.Result{}, r.Patch(ctx, ra, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
}

// removeConsumedAnnotations drops the annotations whose effect is recorded. The patch carries the
// resourceVersion that was read, so that a code annotated meanwhile is not deleted unread. When another
// write came between (the status write just made moved the version), the transfer is read again and
// each annotation is dropped if it still holds the value that was consumed: left in place, a wrong code
// would be counted twice.
func (r *ContactTransferReconciler) removeConsumedAnnotations(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	if len(s.consumed) == 0 {
		return ctrl.Result{}, nil
	}
	t := s.t
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		before := t.DeepCopy()
		for _, a := range s.consumed {
			if v, ok := t.Annotations[a]; ok && v == s.before.Annotations[a] {
				delete(t.Annotations, a)
			}
		}
		if changed, err := differs(before, t); err != nil || !changed {
			return err
		}
		err := r.Patch(ctx, t, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if apierrors.IsConflict(err) {
			fresh := &v1alpha1.ContactTransfer{}
			if getErr := r.Deliverer.APIReader.Get(ctx, client.ObjectKeyFromObject(t), fresh); getErr != nil {
				return getErr
			}
			t = fresh
		}
		return err
	})
	return ctrl.Result{}, err
}

// recordTokens records, once per round, the message that brings each awaited party its secrets. The
// secrets themselves are derived again when the message is sent: only the round and the parties are
// recorded.
func (r *ContactTransferReconciler) recordTokens(s *transferScope) {
	t := s.t
	pending := approval.Pending(t)
	if t.Status.NotifiedRound >= t.Status.Round || len(pending) == 0 || !approval.Open(t) {
		return
	}
	n := r.notification(s, notify.TransferRequested, fmt.Sprintf("%s/round-%d", t.UID, t.Status.Round))
	n.Facts[roundFact] = strconv.Itoa(int(t.Status.Round))
	n.Facts[approversFact] = strings.Join(pending, ",")
	recipients := pending
	if t.Status.Round == 1 {
		recipients = append(slices.Clone(pending), s.parties.Informed...)
	}
	n.Recipients = r.recipients(s, recipients, pending)
	r.Deliverer.Record(t, &t.Status.Outbox, s.org, n, fmt.Sprintf("tokens (round %d) sent to %s", t.Status.Round, joinNames(pending)))
	t.Status.NotifiedRound = t.Status.Round
	resetReminders(t)
	issued := s.facts.Now
	t.Status.RoundIssuedAt = &issued
}

// deliver hands the outbox to the delivery engine.
func (r *ContactTransferReconciler) deliver(_ context.Context, s *transferScope) (ctrl.Result, error) {
	r.Deliverer.schedule(s.t)
	return ctrl.Result{}, nil
}

// assignmentToMove finds the assignment whose holder the transfer changes: the one that opened it, or the
// one held by spec.from, or, for a vacant role, one already naming spec.to that holds nothing yet. It
// returns nil when there is none.
func (r *ContactTransferReconciler) assignmentToMove(ctx context.Context, t *v1alpha1.ContactTransfer) (*v1alpha1.RoleAssignment, error) {
	var list v1alpha1.RoleAssignmentList
	if err := r.List(ctx, &list, client.InNamespace(t.Namespace),
		client.MatchingFields{index.ByRoleScope: index.RoleScopeKey(t.Spec.OrganizationRef.Name, t.Spec.Role, t.Spec.Scope)}); err != nil {
		return nil, err
	}
	opener := approval.OpenedFor(t)
	from := approval.From(t)
	for i := range list.Items {
		ra := &list.Items[i]
		if !ra.DeletionTimestamp.IsZero() {
			continue
		}
		switch {
		case opener != "" && string(ra.UID) == opener:
			return ra, nil
		case opener == "" && from != "" && ra.Status.Holder == from:
			return ra, nil
		case opener == "" && from == "" && ra.Status.Holder == "" && ra.Spec.ContactRef.Name == t.Spec.To.Name:
			return ra, nil
		}
	}
	return nil, nil
}

// newAssignmentFor is the assignment a transfer of a vacant role creates.
func newAssignmentFor(t *v1alpha1.ContactTransfer) *v1alpha1.RoleAssignment {
	return &v1alpha1.RoleAssignment{
		ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace,
			Name: boundedName(t.Spec.OrganizationRef.Name, t.Spec.Role, t.Spec.Scope, t.Spec.To.Name),
			// The operator's own writes may skip admission, which adds it to the others.
			Finalizers: []string{v1alpha1.AssignmentFinalizer}},
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
	s := &transferScope{t: t, facts: approval.Facts{Now: metav1.NewTime(r.now())}}
	for _, a := range t.Status.Approvals {
		s.parties.Initiators = append(s.parties.Initiators, a.Contact)
	}
	if from := approval.From(t); from != "" && approval.DecisionOf(t, from) == v1alpha1.DecisionPending && !slices.Contains(s.parties.Initiators, from) {
		s.parties.Informed = []string{from}
	}
	org := &v1alpha1.Organization{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Spec.OrganizationRef.Name}, org); err == nil {
		s.org = org
	} else if !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	if !approval.Settled(t) && s.org != nil {
		if err := r.loadContacts(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
		before := t.DeepCopy()
		n := r.notification(s, notify.TransferCancelled, string(t.UID)+"/cancelled")
		n.Recipients = r.recipients(s, s.parties.Everyone(), nil)
		if !slices.ContainsFunc(t.Status.Outbox, func(d v1alpha1.Delivery) bool { return notify.KeyOf(d) == n.Key }) {
			r.Deliverer.Record(t, &t.Status.Outbox, s.org, n, "deleted before it completed: nothing moves")
		}
		if err := patchStatusLocked(ctx, r.Client, before, t); err != nil {
			return ctrl.Result{}, err
		}
		// The finalizer stays until the engine delivered TransferCancelled, or it keeps failing.
		r.Deliverer.schedule(t)
		if stillTelling(t, r.now()) {
			return ctrl.Result{RequeueAfter: finalizeCheck}, nil
		}
	}
	controllerutil.RemoveFinalizer(t, v1alpha1.TransferFinalizer)
	return ctrl.Result{}, r.Update(ctx, t)
}

// SetupWithManager watches ContactTransfers, and the assignments, contacts and organizations they depend on.
func (r *ContactTransferReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	m := mapper{c: mgr.GetClient()}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.ContactTransfer{}).
		Watches(&v1alpha1.RoleAssignment{}, handler.EnqueueRequestsFromMapFunc(m.transfersOfAssignment)).
		Watches(&v1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(m.transfersOfContact)).
		Watches(&v1alpha1.Organization{}, handler.EnqueueRequestsFromMapFunc(m.transfersOfOrganization),
			builder.WithPredicates(generationOrAnnotationsChanged())).
		WithOptions(opts).
		Named("contacttransfer").
		Complete(r)
}
