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
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// RoleAssignmentReconciler reports whether a RoleAssignment is in effect and who holds the role through it.
type RoleAssignmentReconciler struct {
	client.Client
	Recorder  events.EventRecorder
	Deliverer *Deliverer
}

// assignmentScope carries one reconcile's state between phases.
type assignmentScope struct {
	ra     *v1alpha1.RoleAssignment
	org    *v1alpha1.Organization
	result roles.AssignmentResult
	// evaluation is the organization's, when it could be evaluated.
	evaluation *roles.Evaluation
	// generation is that of the assignment the verdict is about, and requester its
	// roster.dev/requested-by annotation: the cache may have read that copy after ra.
	generation int64
	requester  string
	change     holderChange
	// now is the one time this reconcile judges spec.validUntil at.
	now time.Time
	// cacheBehind is set when the organization or the contact exists but the cache has not seen it yet.
	cacheBehind bool
}

// +kubebuilder:rbac:groups=roster.dev,resources=roleassignments,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=roleassignments/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=contacttransfers,verbs=create;delete

// Reconcile evaluates the assignment against its organization's rules and patches its status once.
func (r *RoleAssignmentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ra := &v1alpha1.RoleAssignment{}
	if err := r.Get(ctx, req.NamespacedName, ra); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ra.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.releaseInTeardown(ctx, ra)
	}
	if controllerutil.AddFinalizer(ra, v1alpha1.AssignmentFinalizer) {
		// Admission adds it; this is for an assignment admitted without the webhook. The reconcile goes on
		// with the updated copy: the update's event changes no generation, so nothing else brings it back.
		if err := r.Update(ctx, ra); err != nil {
			return ctrl.Result{}, err
		}
	}
	before := ra.DeepCopy()
	s := &assignmentScope{ra: ra, now: r.Deliverer.now()}

	result, err := runPhases(ctx, s, r.evaluate, r.reconcileHolderChange)
	if err == nil && s.cacheBehind {
		return ctrl.Result{RequeueAfter: cacheLagRetry}, nil
	}
	if err == nil {
		setAssignmentStatus(ra, s.result, s.change)
		r.recordHolderChange(ctx, s, before)
		result = soonest(result, r.recordExpiry(ctx, s, before))
	}
	return finishWithOutbox(ctx, r.Client, r.Deliverer, before, ra, result, err)
}

// releaseInTeardown removes the finalizer of a deleted assignment at once, with no notice, when its
// organization or its namespace is going (or its organization cannot record it: missing, or with an
// invalid catalogue). Otherwise the organization's reconcile removes it once the deletion is in its history.
func (r *RoleAssignmentReconciler) releaseInTeardown(ctx context.Context, ra *v1alpha1.RoleAssignment) error {
	if !controllerutil.ContainsFinalizer(ra, v1alpha1.AssignmentFinalizer) {
		return nil
	}
	org := &v1alpha1.Organization{}
	key := client.ObjectKey{Namespace: ra.Namespace, Name: ra.Spec.OrganizationRef.Name}
	err := r.Get(ctx, key, org)
	if apierrors.IsNotFound(err) {
		err = r.Deliverer.APIReader.Get(ctx, key, org)
	}
	if client.IgnoreNotFound(err) != nil {
		return err
	}
	_, badCatalogue := roles.NewCatalogue(org.Spec.Roles)
	if err == nil && org.DeletionTimestamp.IsZero() && len(badCatalogue) == 0 {
		ns := &corev1.Namespace{}
		if err := r.Deliverer.APIReader.Get(ctx, client.ObjectKey{Name: ra.Namespace}, ns); client.IgnoreNotFound(err) != nil {
			return err
		}
		if ns.DeletionTimestamp.IsZero() {
			return nil
		}
	}
	return releaseAssignment(ctx, r.Client, ra)
}

// releaseAssignment removes the assignment's finalizer; the write carries the version read, so that a
// finalizer someone else added meanwhile is not dropped.
func releaseAssignment(ctx context.Context, c client.Client, ra *v1alpha1.RoleAssignment) error {
	before := ra.DeepCopy()
	if !controllerutil.RemoveFinalizer(ra, v1alpha1.AssignmentFinalizer) {
		return nil
	}
	return client.IgnoreNotFound(c.Patch(ctx, ra, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})))
}

// evaluate makes the assignment owned by its organization and judges it with the role rules.
func (r *RoleAssignmentReconciler) evaluate(ctx context.Context, s *assignmentScope) (ctrl.Result, error) {
	ra := s.ra
	org := &v1alpha1.Organization{}
	err := r.Get(ctx, client.ObjectKey{Namespace: ra.Namespace, Name: ra.Spec.OrganizationRef.Name}, org)
	if apierrors.IsNotFound(err) {
		orgKey := client.ObjectKey{Namespace: ra.Namespace, Name: ra.Spec.OrganizationRef.Name}
		if s.cacheBehind = cacheBehind(ctx, r.Deliverer.APIReader, orgKey, org); s.cacheBehind {
			return ctrl.Result{}, nil
		}
		s.result = roles.AssignmentResult{Reason: v1alpha1.OrganizationNotFoundReason,
			Message: fmt.Sprintf("spec.organizationRef: organization %q does not exist: create it or fix the reference", ra.Spec.OrganizationRef.Name)}
		s.endIfEnded()
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := ensureOwnedBy(ctx, r.Client, ra, org); err != nil {
		return ctrl.Result{}, err
	}
	s.org = org
	in, err := state.Load(ctx, r.Client, org, s.now)
	var invalid *state.InvalidCatalogueError
	if errors.As(err, &invalid) {
		s.result = roles.AssignmentResult{Reason: v1alpha1.InvalidCatalogueReason,
			Message: fmt.Sprintf("organization %q has an invalid role catalogue: fix its spec.roles", org.Name)}
		s.endIfEnded()
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	ev := roles.Evaluate(in)
	s.evaluation = &ev
	s.result = ev.Assignments[ra.Name]
	if s.result.Reason == v1alpha1.ContactNotFoundReason {
		holder := client.ObjectKey{Namespace: ra.Namespace, Name: ra.Spec.ContactRef.Name}
		if s.cacheBehind = cacheBehind(ctx, r.Deliverer.APIReader, holder, &v1alpha1.Contact{}); s.cacheBehind {
			return ctrl.Result{}, nil
		}
	}
	s.generation, s.requester = ra.Generation, ra.Annotations[v1alpha1.RequestedByAnnotation]
	for i := range in.Assignments {
		if in.Assignments[i].Name == ra.Name {
			// The verdict is about this copy, which the cache may have read after ra.
			s.generation = in.Assignments[i].Generation
			s.requester = in.Assignments[i].Annotations[v1alpha1.RequestedByAnnotation]
		}
	}
	return ctrl.Result{}, nil
}

// endIfEnded makes an assignment whose spec.validUntil has passed hold nothing even when the rules cannot
// be applied (no organization, an invalid catalogue), which otherwise keep the holder.
func (s *assignmentScope) endIfEnded() {
	if roles.Ended(s.ra, s.now) {
		s.result = roles.EndedResult(s.ra)
	}
}

// reconcileHolderChange opens the ContactTransfer that a new holder of a gated role needs (a changed
// spec.contactRef, a new assignment for a vacant place, a reassignment), and cancels the ones a later
// change made obsolete. It opens none while an approved transfer to the same contact is binding this
// assignment.
func (r *RoleAssignmentReconciler) reconcileHolderChange(ctx context.Context, s *assignmentScope) (ctrl.Result, error) {
	ra := s.ra
	var related v1alpha1.ContactTransferList
	if err := r.List(ctx, &related, client.InNamespace(ra.Namespace),
		client.MatchingFields{index.ByRoleScope: index.RoleScopeKey(ra.Spec.OrganizationRef.Name, ra.Spec.Role, ra.Spec.Scope)}); err != nil {
		return ctrl.Result{}, err
	}
	want := ""
	if s.result.Pending != "" {
		want = gatedTransferName(ra.Name, s.result.Holder, s.result.Pending, s.generation)
		if open := openChange(related.Items, ra, s.result.Holder, s.result.Pending, s.requester); open != "" {
			want = open // an edit of another field (spec.validUntil) keeps the change and its secrets
		}
	}
	for i := range related.Items {
		t := &related.Items[i]
		if want != "" && t.Spec.To.Name == s.result.Pending && !approval.Settled(t) && t.DeletionTimestamp.IsZero() &&
			conditions.IsTrue(t.Status.Conditions, v1alpha1.ApprovedCondition) &&
			(t.Status.Assignment == nil || t.Status.Assignment.UID == string(ra.UID)) {
			s.change.transfer = t.Name // an approved transfer is moving the role here
			return ctrl.Result{}, nil
		}
	}
	for i := range related.Items {
		t := &related.Items[i]
		if !openedFor(t, ra) || t.Labels[v1alpha1.PurposeLabel] != v1alpha1.HolderChangePurpose ||
			t.Name == want || !t.DeletionTimestamp.IsZero() || approval.Settled(t) ||
			meta.IsStatusConditionTrue(t.Status.Conditions, v1alpha1.ApprovedCondition) {
			continue
		}
		// spec.contactRef moved on: the pending change it carried is cancelled.
		if err := r.Delete(ctx, t); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, err
		}
	}
	if want == "" {
		return ctrl.Result{}, nil
	}
	s.change.transfer = want
	t := &v1alpha1.ContactTransfer{}
	err := r.Get(ctx, client.ObjectKey{Namespace: ra.Namespace, Name: want}, t)
	if apierrors.IsNotFound(err) {
		t = gatedTransfer(ra, want, s.result.Holder, s.result.Pending, s.requester)
		if err := controllerutil.SetOwnerReference(s.org, t, r.Scheme()); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.Create(ctx, t); err != nil {
			if apierrors.IsInvalid(err) || apierrors.IsForbidden(err) {
				// Admission refused the change (for instance an Overdue billing contact): say why.
				s.change.refused, s.change.message = true, err.Error()
				s.change.requesterRefused = t.Spec.RequestedBy != nil && blames(err, "spec.requestedBy.name")
				return ctrl.Result{}, nil
			}
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if !openedFor(t, ra) {
		// Someone else's object has the name: never adopt it.
		s.change.refused = true
		s.change.message = fmt.Sprintf("ContactTransfer %s exists and is not this assignment's: delete it", want)
		return ctrl.Result{}, nil
	}
	if approval.Settled(t) && !meta.IsStatusConditionTrue(t.Status.Conditions, v1alpha1.CompletedCondition) {
		s.change.refused = true
		if c := meta.FindStatusCondition(t.Status.Conditions, v1alpha1.ReadyCondition); c != nil {
			s.change.message = c.Message
		}
	}
	return ctrl.Result{}, nil
}

// openChange returns the name of the open transfer this assignment opened for the same change of holder,
// asked by the same requester, if any.
func openChange(transfers []v1alpha1.ContactTransfer, ra *v1alpha1.RoleAssignment, from, to, requester string) string {
	for i := range transfers {
		t := &transfers[i]
		if openedFor(t, ra) && t.Labels[v1alpha1.PurposeLabel] == v1alpha1.HolderChangePurpose &&
			t.DeletionTimestamp.IsZero() && !approval.Settled(t) && t.Spec.To.Name == to && approval.From(t) == from &&
			approval.RequestedBy(t) == requester {
			return t.Name
		}
	}
	return ""
}

// openedForAnnotations name the assignment a transfer of the operator is opened for. The transfer is
// owned by the organization, not by the assignment: it stays as an audit record when the assignment goes.
func openedForAnnotations(ra *v1alpha1.RoleAssignment) map[string]string {
	return map[string]string{v1alpha1.OpenedForAnnotation: ra.Name, v1alpha1.OpenedForUIDAnnotation: string(ra.UID)}
}

// openedFor tells whether the operator opened the transfer for this assignment.
func openedFor(t *v1alpha1.ContactTransfer, ra *v1alpha1.RoleAssignment) bool {
	return approval.OpenedFor(t) == string(ra.UID)
}

// gatedTransferName names the transfer of an assignment's change from one holder to another, or to a
// first holder; the assignment's generation makes each edit of spec.contactRef a change of its own.
func gatedTransferName(assignment, from, to string, generation int64) string {
	g := fmt.Sprintf("g%d", generation)
	if from == "" {
		return boundedName(assignment, "to", to, g)
	}
	return boundedName(assignment, from, "to", to, g)
}

// gatedTransfer is the ContactTransfer a new holder of a gated role opens. No requester is named unless
// the assignment's roster.dev/requested-by annotation names one: the incoming contact and any one holder
// of the role's initiators (the outgoing holder included) approve.
func gatedTransfer(ra *v1alpha1.RoleAssignment, name, from, to, requester string) *v1alpha1.ContactTransfer {
	t := &v1alpha1.ContactTransfer{
		ObjectMeta: metav1.ObjectMeta{Namespace: ra.Namespace, Name: name,
			Labels:      map[string]string{v1alpha1.PurposeLabel: v1alpha1.HolderChangePurpose},
			Annotations: openedForAnnotations(ra)},
		Spec: v1alpha1.ContactTransferSpec{
			OrganizationRef: ra.Spec.OrganizationRef, Role: ra.Spec.Role, Scope: ra.Spec.Scope,
			To:     v1alpha1.LocalObjectReference{Name: to},
			Reason: fmt.Sprintf("RoleAssignment %s gives role %s to %s", ra.Name, ra.Spec.Role, to),
		},
	}
	if from != "" {
		t.Spec.From = &v1alpha1.LocalObjectReference{Name: from}
		t.Spec.Reason = fmt.Sprintf("spec.contactRef of RoleAssignment %s changed from %s to %s", ra.Name, from, to)
	}
	if requester != "" {
		t.Spec.RequestedBy = &v1alpha1.LocalObjectReference{Name: requester}
	}
	return t
}

// recordHolderChange tells the contacts concerned when the role is granted to or revoked from them. The
// key names the state it changed from (its resourceVersion), so a retry never tells twice.
func (r *RoleAssignmentReconciler) recordHolderChange(ctx context.Context, s *assignmentScope, before *v1alpha1.RoleAssignment) {
	ra := s.ra
	was, is := before.Status.Holder, ra.Status.Holder
	if was == is {
		return
	}
	role := ra.Spec.Role + scopeSuffix(ra.Spec.Scope)
	facts := map[string]string{"role": ra.Spec.Role, "scope": ra.Spec.Scope, "from": was, "to": is}
	tell := func(typ notify.Type, contact, note string) {
		n := notify.Notification{
			Key: fmt.Sprintf("%s/%s/%s/%s", ra.UID, typ, contact, before.ResourceVersion), Type: typ,
			Organization: ra.Spec.OrganizationRef.Name, Facts: facts,
			Object:     notify.ObjectRef{Kind: "RoleAssignment", Namespace: ra.Namespace, Name: ra.Name, UID: string(ra.UID)},
			Recipients: recipientsNamed(ctx, r.Client, ra.Namespace, []string{contact}),
		}
		r.Deliverer.Record(ra, &ra.Status.Outbox, s.org, n, note)
	}
	if was != "" && s.result.Reason != v1alpha1.ExpiredReason { // recordExpiry tells of the end
		tell(notify.RoleRevoked, was, fmt.Sprintf("role %s revoked from %s", role, was))
	}
	if is != "" {
		tell(notify.RoleGranted, is, fmt.Sprintf("role %s granted to %s", role, is))
	}
}

// recordExpiry tells the holder, the primary and the administrative contacts 7 days and 1 day before
// spec.validUntil, and when it has passed, once each, while the assignment is (or was until its end) in
// effect. It returns when to look again.
func (r *RoleAssignmentReconciler) recordExpiry(ctx context.Context, s *assignmentScope, before *v1alpha1.RoleAssignment) ctrl.Result {
	ra := s.ra
	if ra.Spec.ValidUntil == nil {
		ra.Status.ExpiryNotice = nil
		return ctrl.Result{}
	}
	now := s.now
	end := ra.Spec.ValidUntil.Time
	stage, next := roles.ExpiryStageAt(end, now)
	var result ctrl.Result
	if !next.IsZero() {
		result.RequeueAfter = next.Sub(now)
	}
	holder := ra.Status.Holder
	if stage == v1alpha1.ExpiryEnded {
		holder = before.Status.Holder
	}
	told := ra.Status.ExpiryNotice
	// Compared to the second: the status keeps no fraction of it.
	if stage == "" || holder == "" || (told != nil && told.ValidUntil.Unix() == end.Unix() && told.Stage == stage) {
		return result
	}
	typ := notify.RoleExpiring
	if stage == v1alpha1.ExpiryEnded {
		typ = notify.RoleExpired
	}
	names := append([]string{holder}, holdersOf(s.evaluation, roles.Primary, roles.Administrative)...)
	slices.Sort(names[1:])
	n := notify.Notification{
		Key:          fmt.Sprintf("%s/%s/%s/%d", ra.UID, typ, stage, end.Unix()),
		Type:         typ,
		Organization: ra.Spec.OrganizationRef.Name,
		Facts: map[string]string{"role": ra.Spec.Role, "scope": ra.Spec.Scope, "holder": holder,
			"validUntil": end.UTC().Format(time.RFC3339), "stage": string(stage)},
		Object:     notify.ObjectRef{Kind: "RoleAssignment", Namespace: ra.Namespace, Name: ra.Name, UID: string(ra.UID)},
		Recipients: recipientsNamed(ctx, r.Client, ra.Namespace, slices.Compact(names)),
	}
	note := fmt.Sprintf("role %s of %s ends at %s", ra.Spec.Role+scopeSuffix(ra.Spec.Scope), holder, end.UTC().Format(time.RFC3339))
	if stage == v1alpha1.ExpiryEnded {
		note = fmt.Sprintf("role %s of %s ended at %s (spec.validUntil)", ra.Spec.Role+scopeSuffix(ra.Spec.Scope), holder, end.UTC().Format(time.RFC3339))
	}
	r.Deliverer.Record(ra, &ra.Status.Outbox, s.org, n, note)
	ra.Status.ExpiryNotice = &v1alpha1.ExpiryNotice{ValidUntil: *ra.Spec.ValidUntil, Stage: stage}
	return result
}

// SetupWithManager watches RoleAssignments, their Organization and Contacts, and competing assignments.
func (r *RoleAssignmentReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	m := mapper{c: mgr.GetClient()}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.RoleAssignment{}, builder.WithPredicates(generationOrAnnotationsChanged())).
		Watches(&v1alpha1.RoleAssignment{}, handler.EnqueueRequestsFromMapFunc(m.competingAssignments)).
		Watches(&v1alpha1.Organization{}, handler.EnqueueRequestsFromMapFunc(m.assignmentsOfOrganization),
			builder.WithPredicates(generationOrAnnotationsChanged())).
		// The rules read a contact's spec, never its status (which lists the roles these assignments give).
		Watches(&v1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(m.assignmentsOfContact),
			builder.WithPredicates(generationOrAnnotationsChanged())).
		Watches(&v1alpha1.ContactTransfer{}, handler.EnqueueRequestsFromMapFunc(m.assignmentsOfTransfer)).
		WithOptions(opts).
		Named("roleassignment").
		Complete(r)
}

// blames reports whether an admission refusal names the field among its causes.
func blames(err error, fieldPath string) bool {
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Details == nil {
		return false
	}
	return slices.ContainsFunc(status.Status().Details.Causes, func(c metav1.StatusCause) bool { return c.Field == fieldPath })
}
