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
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"errors"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/history"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// OrganizationReconciler keeps an Organization's status true: its effective catalogue with the holders of
// each (role, scope), and whether every required role is held.
type OrganizationReconciler struct {
	client.Client
	Recorder  events.EventRecorder
	Deliverer *Deliverer
}

// organizationScope carries one reconcile's state between phases.
type organizationScope struct {
	org        *v1alpha1.Organization
	in         roles.Input
	evaluation *roles.Evaluation
	// catalogueErr is set when spec.roles does not validate.
	catalogueErr *state.InvalidCatalogueError
	// noticeRead is set when the notice annotation was read, to be removed once recorded.
	noticeRead bool
}

// +kubebuilder:rbac:groups=roster.dev,resources=organizations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=organizations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=roleassignments,verbs=patch
// +kubebuilder:rbac:groups=roster.dev,resources=contacttransfers,verbs=delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile evaluates the organization's roles and patches its status once.
func (r *OrganizationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	org := &v1alpha1.Organization{}
	if err := r.Get(ctx, req.NamespacedName, org); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !org.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, org)
	}
	if controllerutil.AddFinalizer(org, v1alpha1.OrganizationFinalizer) {
		// Admission adds it; this is for an organization admitted without the webhook. The reconcile goes
		// on with the updated copy: the update's event changes no generation, so nothing else brings it back.
		if err := r.Update(ctx, org); err != nil {
			return ctrl.Result{}, err
		}
	}
	before := org.DeepCopy()
	s := &organizationScope{org: org}

	result, err := runPhases(ctx, s, r.evaluateRoles)
	if err == nil {
		setOrganizationStatus(org, s.evaluation, s.catalogueErr)
		r.recordHistory(ctx, s, before)
		r.recordVacancy(ctx, s, before)
		r.recordNotice(ctx, s)
		if s.catalogueErr != nil {
			err = reconcile.TerminalError(s.catalogueErr)
		}
	}
	result, err = finishWithOutbox(ctx, r.Client, r.Deliverer, before, org, result, err)
	if err == nil {
		// The deletions are in the written history: the assignments may go.
		if releaseErr := r.releaseDeleted(ctx, s); releaseErr != nil {
			return result, releaseErr
		}
	}
	if err == nil && s.noticeRead {
		// Recorded in the outbox: the request is done.
		unread := org.DeepCopy()
		delete(org.Annotations, v1alpha1.NoticeAnnotation)
		err = patchObject(ctx, r.Client, unread, org)
	}
	return result, err
}

// finalize tells every holder that the organization is deleted (its roles go with it), then lets it go
// once the message is delivered, or keeps failing: a deletion is never held for long.
func (r *OrganizationReconciler) finalize(ctx context.Context, org *v1alpha1.Organization) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(org, v1alpha1.OrganizationFinalizer) {
		return ctrl.Result{}, nil
	}
	if in, err := state.Load(ctx, r.Client, org, r.Deliverer.now()); err == nil {
		var holders []string
		for _, row := range roles.Evaluate(in).Rows {
			holders = append(holders, row.Holders...)
		}
		slices.Sort(holders)
		before := org.DeepCopy()
		n := notify.Notification{Key: string(org.UID) + "/" + string(notify.OrganizationDeleted), Type: notify.OrganizationDeleted,
			Organization: org.Name, Facts: map[string]string{},
			Object:     notify.ObjectRef{Kind: "Organization", Namespace: org.Namespace, Name: org.Name, UID: string(org.UID)},
			Recipients: recipientsNamed(ctx, r.Client, org.Namespace, slices.Compact(holders))}
		r.Deliverer.Record(org, &org.Status.Outbox, org, n, "organization deleted: every role of its contacts ends")
		if err := patchStatusLocked(ctx, r.Client, before, org); err != nil {
			return ctrl.Result{}, err
		}
		r.Deliverer.schedule(org)
		if stillTelling(org, r.Deliverer.now()) {
			return ctrl.Result{RequeueAfter: finalizeCheck}, nil
		}
	} else if state.IgnoreInvalidCatalogue(err) != nil {
		return ctrl.Result{}, err
	}
	controllerutil.RemoveFinalizer(org, v1alpha1.OrganizationFinalizer)
	return ctrl.Result{}, r.Update(ctx, org)
}

// evaluateRoles applies the role rules to the organization's contacts and assignments.
func (r *OrganizationReconciler) evaluateRoles(ctx context.Context, s *organizationScope) (ctrl.Result, error) {
	in, err := state.Load(ctx, r.Client, s.org, r.Deliverer.now())
	if errors.As(err, &s.catalogueErr) {
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	e := roles.Evaluate(in)
	s.in, s.evaluation = in, &e
	return ctrl.Result{}, nil
}

// recordHistory appends to status.history each change of holder since the status was last written (a
// diff of the holders its roles showed against those they show now, so that an operator restart neither
// loses nor repeats one), and tells the holder of each deleted assignment that its role is revoked.
func (r *OrganizationReconciler) recordHistory(ctx context.Context, s *organizationScope, before *v1alpha1.Organization) {
	if s.evaluation == nil {
		return
	}
	org := s.org
	entries := history.Entries(before.Status.Roles, org.Status.Roles, history.Sources{Now: r.Deliverer.now(), Organization: org,
		Assignments: s.in.Assignments, Results: s.evaluation.Assignments, Transfers: s.in.Transfers, Rows: s.evaluation.Rows})
	org.Status.History = history.Append(org.Status.History, entries...)
	quiet := false // the namespace is being deleted: OrganizationDeleted tells every holder
	for _, e := range entries {
		if e.How != v1alpha1.HolderChangeDeletion {
			continue
		}
		if !quiet {
			ns := &corev1.Namespace{}
			err := r.Deliverer.APIReader.Get(ctx, client.ObjectKey{Name: org.Namespace}, ns)
			quiet = err == nil && !ns.DeletionTimestamp.IsZero()
		}
		if quiet {
			continue
		}
		var uid types.UID
		for i := range s.in.Assignments {
			if s.in.Assignments[i].Name == e.Assignment {
				uid = s.in.Assignments[i].UID
			}
		}
		note := fmt.Sprintf("role %s revoked from %s: RoleAssignment %s deleted", e.Role+scopeSuffix(e.Scope), e.Previous, e.Assignment)
		if e.User != "" {
			note += " by " + e.User
		}
		n := notify.Notification{
			Key: fmt.Sprintf("%s/%s/%s", org.UID, notify.RoleRevoked, uid), Type: notify.RoleRevoked, Organization: org.Name,
			Facts:      map[string]string{"role": e.Role, "scope": e.Scope, "from": e.Previous, "to": ""},
			Object:     notify.ObjectRef{Kind: "Organization", Namespace: org.Namespace, Name: org.Name, UID: string(org.UID)},
			Recipients: recipientsNamed(ctx, r.Client, org.Namespace, []string{e.Previous}),
		}
		r.Deliverer.Record(org, &org.Status.Outbox, org, n, note)
	}
}

// releaseDeleted removes the finalizer of the organization's assignments being deleted, once the status
// that records their deletion is written.
func (r *OrganizationReconciler) releaseDeleted(ctx context.Context, s *organizationScope) error {
	for i := range s.in.Assignments {
		ra := &s.in.Assignments[i]
		if ra.DeletionTimestamp.IsZero() || !controllerutil.ContainsFinalizer(ra, v1alpha1.AssignmentFinalizer) {
			continue
		}
		// Its pending changes go with it (each tells its parties it is cancelled); settled ones stay.
		for j := range s.in.Transfers {
			t := &s.in.Transfers[j]
			if approval.OpenedFor(t) == string(ra.UID) && !approval.Settled(t) && t.DeletionTimestamp.IsZero() {
				if err := r.Delete(ctx, t, client.Preconditions{UID: &t.UID}); client.IgnoreNotFound(err) != nil {
					return err
				}
			}
		}
		if err := releaseAssignment(ctx, r.Client, ra); err != nil {
			return err
		}
	}
	return nil
}

// recordVacancy tells the primary and administrative contacts when a required role becomes vacant (or
// the set of vacant roles changes).
func (r *OrganizationReconciler) recordVacancy(ctx context.Context, s *organizationScope, before *v1alpha1.Organization) {
	org := s.org
	now := meta.FindStatusCondition(org.Status.Conditions, v1alpha1.RolesSatisfiedCondition)
	was := meta.FindStatusCondition(before.Status.Conditions, v1alpha1.RolesSatisfiedCondition)
	if s.evaluation == nil || now == nil || now.Status != metav1.ConditionFalse || (was != nil && was.Message == now.Message) {
		return
	}
	var vacant []string
	for _, row := range s.evaluation.Vacant() {
		vacant = append(vacant, row.Role+scopeSuffix(row.Scope))
	}
	n := notify.Notification{
		Key: fmt.Sprintf("%s/%s/%s", org.UID, notify.RequiredRoleVacant, before.ResourceVersion), Type: notify.RequiredRoleVacant,
		Organization: org.Name, Facts: map[string]string{"role": strings.Join(vacant, ", "), "organizationDisplayName": org.Spec.DisplayName},
		Object:     notify.ObjectRef{Kind: "Organization", Namespace: org.Namespace, Name: org.Name, UID: string(org.UID)},
		Recipients: recipientsNamed(ctx, r.Client, org.Namespace, holdersOf(s.evaluation, roles.Primary, roles.Administrative)),
	}
	r.Deliverer.Record(org, &org.Status.Outbox, org, n, now.Message)
}

// notice is what an external system asks the operator to send to a role's holders.
type notice struct {
	ID string `json:"id"`
	// Role names one role; Roles several. Both may be given.
	Role  string   `json:"role"`
	Roles []string `json:"roles"`
	// Scope, when set, limits the holders of scoped roles to that scope.
	Scope   string `json:"scope"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// names are the roles the notice is for, each once.
func (n notice) names() []string {
	out := slices.Clone(n.Roles)
	if n.Role != "" {
		out = append(out, n.Role)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// noticeRecipients returns who gets a notice for the named roles: the holders of each role (of scoped
// roles, in scope only, when one is given); for a role nobody holds there, the primary contact, as IBM
// states. It also returns the roles that fell back to the primary, and the names that are no role of the
// catalogue.
func noticeRecipients(e roles.Evaluation, names []string, scope string) (recipients, fellBack, unknown []string) {
	for _, name := range names {
		known, held := false, false
		for _, row := range e.Rows {
			if row.Role != name {
				continue
			}
			known = true
			if scope != "" && row.Scope != "" && row.Scope != scope {
				continue
			}
			for _, h := range row.Holders {
				held = true
				if !slices.Contains(recipients, h) {
					recipients = append(recipients, h)
				}
			}
		}
		switch {
		case !known:
			unknown = append(unknown, name)
		case !held:
			fellBack = append(fellBack, name)
			for _, h := range holdersOf(&e, roles.Primary) {
				if !slices.Contains(recipients, h) {
					recipients = append(recipients, h)
				}
			}
		}
	}
	return recipients, fellBack, unknown
}

// recordNotice records the notice the roster.dev/notice annotation asks for, to the roles' holders.
func (r *OrganizationReconciler) recordNotice(ctx context.Context, s *organizationScope) {
	org := s.org
	raw, ok := org.Annotations[v1alpha1.NoticeAnnotation]
	if !ok || s.evaluation == nil {
		return
	}
	s.noticeRead = true
	var req notice
	if err := json.Unmarshal([]byte(raw), &req); err != nil || req.ID == "" || len(req.names()) == 0 || req.Subject == "" {
		r.Recorder.Eventf(org, nil, corev1.EventTypeWarning, "InvalidNotice", "Notify",
			`annotation %s must be a JSON object with "id", "role" (or "roles"), an optional "scope", "subject" and "body"; nothing was sent`,
			v1alpha1.NoticeAnnotation)
		return
	}
	names := req.names()
	recipients, fellBack, unknown := noticeRecipients(*s.evaluation, names, req.Scope)
	if len(unknown) == len(names) {
		r.Recorder.Eventf(org, nil, corev1.EventTypeWarning, "InvalidNotice", "Notify",
			"notice %s names %s, no role of this organization's catalogue; nothing was sent", req.ID, strings.Join(unknown, ", "))
		return
	}
	facts := map[string]string{"role": strings.Join(names, ", "), "scope": req.Scope, "subject": req.Subject, "body": req.Body,
		"organizationDisplayName": org.Spec.DisplayName}
	note := fmt.Sprintf("notice %s sent to the holders of %s", req.ID, strings.Join(names, ", "))
	if req.Scope != "" {
		note += " in scope " + req.Scope
	}
	if len(fellBack) > 0 {
		facts["fallback"] = strings.Join(fellBack, ", ")
		note += fmt.Sprintf("; nobody holds %s there: sent to the primary contact instead", strings.Join(fellBack, ", "))
	}
	if len(unknown) > 0 {
		note += fmt.Sprintf("; %s is no role of the catalogue: skipped", strings.Join(unknown, ", "))
	}
	n := notify.Notification{
		Key: fmt.Sprintf("%s/%s/%s", org.UID, notify.Notice, req.ID), Type: notify.Notice, Organization: org.Name, Facts: facts,
		Object:     notify.ObjectRef{Kind: "Organization", Namespace: org.Namespace, Name: org.Name, UID: string(org.UID)},
		Recipients: recipientsNamed(ctx, r.Client, org.Namespace, recipients),
	}
	r.Deliverer.Record(org, &org.Status.Outbox, org, n, note)
}

// SetupWithManager watches Organizations, and the Contacts and RoleAssignments that name them.
func (r *OrganizationReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Organization{}, builder.WithPredicates(generationOrAnnotationsChanged())).
		Watches(&v1alpha1.Contact{}, enqueueSettled(organizationOf)).
		Watches(&v1alpha1.RoleAssignment{}, enqueueSettled(organizationOf)).
		WithOptions(opts).
		Named("organization").
		Complete(r)
}
