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
	"time"

	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/index"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// ContactReconciler keeps a Contact's status true (the roles it holds, whether it can hold roles), makes it
// owned by its Organization, and moves the roles of a disabled contact to its successor.
type ContactReconciler struct {
	client.Client
	Recorder  events.EventRecorder
	Deliverer *Deliverer
	// Reassign starts moving one assignment of a disabled contact to its successor; it reports whether it
	// started something (false when the move is already under way).
	// from is the disabled holder, which keeps a role whose changes need approval until the move; "" for
	// other roles, which it no longer holds.
	// generation, the disabled contact's, names the move: disabling it again starts another one.
	Reassign func(ctx context.Context, ra *v1alpha1.RoleAssignment, successor *v1alpha1.Contact, from string, generation int64) (bool, error)
	// ArrivalWait is the most a contact created with its organization's roster waits for its
	// assignments before its first status.
	ArrivalWait time.Duration
}

// contactScope carries one reconcile's state between phases.
type contactScope struct {
	contact    *v1alpha1.Contact
	org        *v1alpha1.Organization
	catalogue  *roles.Catalogue
	evaluation *roles.Evaluation
	facts      contactFacts
	// cacheBehind is set when the organization exists but the cache has not seen it yet.
	cacheBehind bool
	// lastAssignment is when the organization's newest assignment was created.
	lastAssignment time.Time
}

// contactFacts is what a Contact's status is computed from.
type contactFacts struct {
	organizationMissing bool
	held                []v1alpha1.HeldRole
	// duplicateOf names the older contact of the organization with the same email.
	duplicateOf string
	// successorProblem says why spec.reassignTo cannot take the roles over.
	successorProblem string
	// address is what the address verification needs to know.
	address approval.AddressFacts
}

// +kubebuilder:rbac:groups=roster.dev,resources=contacts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=contacts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=roster.dev,resources=contacttransfers,verbs=patch

// Reconcile runs the contact's phases and patches its status once.
func (r *ContactReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	contact := &v1alpha1.Contact{}
	if err := r.Get(ctx, req.NamespacedName, contact); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !contact.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	before := contact.DeepCopy()
	s := &contactScope{contact: contact}

	result, err := runPhases(ctx, s, r.reconcileOrganization, r.reconcileEmail, r.reconcileAddress, r.reconcileReassignment)
	if err == nil && s.cacheBehind {
		return ctrl.Result{RequeueAfter: cacheLagRetry}, nil
	}
	if now := time.Now(); err == nil && awaitsAssignments(contact, s.org, s.facts.held, s.lastAssignment, r.ArrivalWait, now) {
		// Its assignments enqueue it as they land; this bounds the wait.
		return ctrl.Result{RequeueAfter: arrivalRecheck(contact, s.facts.held, s.lastAssignment, r.ArrivalWait, now)}, nil
	}
	change := approval.AddressUnchanged
	if err == nil {
		setContactStatus(contact, s.facts)
		if s.org != nil {
			change = approval.SetAddress(contact, s.facts.address)
		}
		r.recordDisabled(ctx, s, before)
		r.recordAddressChange(ctx, s, change)
		result = soonest(result, r.reconfirm(ctx, s))
	}
	result, err = finishWithOutbox(ctx, r.Client, r.Deliverer, before, contact, result, err)
	if err == nil && change == approval.AddressChangeCompleted {
		err = r.resendPendingRounds(ctx, contact)
	}
	return result, err
}

// reconcileAddress gathers what the verification of the contact's address depends on: whether the
// organization sends email, whether the contact's approval counts, and whether it used a token sent to
// its verified address.
func (r *ContactReconciler) reconcileAddress(ctx context.Context, s *contactScope) (ctrl.Result, error) {
	c := s.contact
	if s.org == nil {
		return ctrl.Result{}, nil
	}
	n := s.org.Spec.Notifications
	s.facts.address.EmailChannel = n != nil && n.Email != nil
	s.facts.address.Approver = s.catalogue != nil && approval.IsApprover(s.catalogue, s.facts.held)
	var transfers v1alpha1.ContactTransferList
	if err := r.List(ctx, &transfers, client.InNamespace(c.Namespace), client.MatchingFields{index.ByParty: c.Name}); err != nil {
		return ctrl.Result{}, err
	}
	for i := range transfers.Items {
		t := &transfers.Items[i]
		if approval.UsedTokenAt(t, c.Name, c.Status.VerifiedEmail) {
			s.facts.address.UsedToken = true
		}
		if approval.Open(t) && slices.Contains(approval.Pending(t), c.Name) {
			// A party awaited by a transfer: whoever reads its mail decides, so its address is guarded
			// like an approver's.
			s.facts.address.Approver = true
		}
	}
	return ctrl.Result{}, nil
}

// recordAddressChange sends, when a change of address starts, the confirmation link to the new address,
// and tells the old address; for an approver, the old address and the other initiators get the link that
// approves the change.
func (r *ContactReconciler) recordAddressChange(ctx context.Context, s *contactScope, change approval.AddressChange) {
	c := s.contact
	ch := c.Status.EmailChange
	if change != approval.AddressChangeStarted || ch == nil {
		return
	}
	facts := map[string]string{emailFact: ch.Email, roundFact: fmt.Sprint(ch.Round)}
	object := notify.ObjectRef{Kind: "Contact", Namespace: c.Namespace, Name: c.Name, UID: string(c.UID)}
	confirm := notify.Notification{Key: fmt.Sprintf("%s/%s/%d", c.UID, notify.EmailConfirmationRequested, ch.Round),
		Type: notify.EmailConfirmationRequested, Organization: s.org.Name, Facts: facts, Object: object,
		Recipients: recipientsNamed(ctx, r.Client, c.Namespace, []string{c.Name})}
	r.Deliverer.Record(c, &c.Status.Outbox, s.org, confirm, fmt.Sprintf("spec.email changed: %s must confirm it", ch.Email))

	told := []string{c.Name}
	if ch.NeedsApproval {
		told = append(told, slices.DeleteFunc(holdersOf(s.evaluation, roles.Primary, roles.Administrative),
			func(n string) bool { return n == c.Name })...)
		facts = map[string]string{emailFact: ch.Email, roundFact: fmt.Sprint(ch.Round), approversFact: strings.Join(told, ",")}
	}
	tell := notify.Notification{Key: fmt.Sprintf("%s/%s/%d", c.UID, notify.EmailChangeRequested, ch.Round),
		Type: notify.EmailChangeRequested, Organization: s.org.Name, Facts: facts, Object: object,
		Recipients: recipientsNamed(ctx, r.Client, c.Namespace, told)}
	note := fmt.Sprintf("the old address %s is told of the change to %s", c.Status.VerifiedEmail, ch.Email)
	if ch.NeedsApproval {
		note = fmt.Sprintf("the change of address to %s waits for %s (or another initiator) to approve it", ch.Email, c.Status.VerifiedEmail)
	}
	r.Deliverer.Record(c, &c.Status.Outbox, s.org, tell, note)
}

// resendPendingRounds asks every open transfer that awaits the contact for new tokens: the old ones went
// to its previous address.
func (r *ContactReconciler) resendPendingRounds(ctx context.Context, c *v1alpha1.Contact) error {
	var transfers v1alpha1.ContactTransferList
	if err := r.List(ctx, &transfers, client.InNamespace(c.Namespace), client.MatchingFields{index.ByParty: c.Name}); err != nil {
		return err
	}
	for i := range transfers.Items {
		t := &transfers.Items[i]
		if !approval.Open(t) || !slices.Contains(approval.Pending(t), c.Name) {
			continue
		}
		before := t.DeepCopy()
		metav1.SetMetaDataAnnotation(&t.ObjectMeta, v1alpha1.ResendAnnotation, r.Deliverer.Keys.OperatorResend(t, c.Name))
		if err := r.Patch(ctx, t, client.MergeFrom(before)); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}

// reconcileOrganization makes the contact owned by its organization and reads the roles it holds.
func (r *ContactReconciler) reconcileOrganization(ctx context.Context, s *contactScope) (ctrl.Result, error) {
	org := &v1alpha1.Organization{}
	err := r.Get(ctx, client.ObjectKey{Namespace: s.contact.Namespace, Name: s.contact.Spec.OrganizationRef.Name}, org)
	if apierrors.IsNotFound(err) {
		orgKey := client.ObjectKey{Namespace: s.contact.Namespace, Name: s.contact.Spec.OrganizationRef.Name}
		if s.cacheBehind = cacheBehind(ctx, r.Deliverer.APIReader, orgKey, org); s.cacheBehind {
			return ctrl.Result{}, nil
		}
		// Nothing to do until the organization exists: its creation enqueues this contact.
		s.facts.organizationMissing = true
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := ensureOwnedBy(ctx, r.Client, s.contact, org); err != nil {
		return ctrl.Result{}, err
	}
	s.org = org
	in, err := state.Load(ctx, r.Client, org, r.Deliverer.now())
	if err != nil {
		// An invalid catalogue is reported on the Organization; the contact holds nothing meanwhile.
		return ctrl.Result{}, state.IgnoreInvalidCatalogue(err)
	}
	e := roles.Evaluate(in)
	s.evaluation, s.catalogue = &e, in.Catalogue
	s.facts.held = e.ContactRoles[s.contact.Name]
	for i := range in.Assignments {
		if created := in.Assignments[i].CreationTimestamp.Time; created.After(s.lastAssignment) {
			s.lastAssignment = created
		}
	}
	return ctrl.Result{}, nil
}

// reconcileEmail finds an older contact of the organization with the same email (admission rejects
// duplicates; this reports one that slipped through a race).
func (r *ContactReconciler) reconcileEmail(ctx context.Context, s *contactScope) (ctrl.Result, error) {
	c := s.contact
	var same v1alpha1.ContactList
	if err := r.List(ctx, &same, client.InNamespace(c.Namespace),
		client.MatchingFields{index.ByEmail: index.EmailKey(c.Spec.OrganizationRef.Name, c.Spec.Email)}); err != nil {
		return ctrl.Result{}, err
	}
	for i := range same.Items {
		other := &same.Items[i]
		if other.Name != c.Name && other.DeletionTimestamp.IsZero() && olderObject(other, c) {
			s.facts.duplicateOf = other.Name
			break
		}
	}
	return ctrl.Result{}, nil
}

// reconcileReassignment moves each assignment of a disabled contact to spec.reassignTo.
func (r *ContactReconciler) reconcileReassignment(ctx context.Context, s *contactScope) (ctrl.Result, error) {
	c := s.contact
	if !c.Spec.Disabled || c.Spec.ReassignTo == nil || s.facts.organizationMissing || s.catalogue == nil {
		return ctrl.Result{}, nil
	}
	successor := &v1alpha1.Contact{}
	err := r.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Spec.ReassignTo.Name}, successor)
	switch {
	case apierrors.IsNotFound(err):
		s.facts.successorProblem = fmt.Sprintf("spec.reassignTo: contact %q does not exist: create it or name another successor", c.Spec.ReassignTo.Name)
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, err
	case successor.Spec.Disabled:
		s.facts.successorProblem = fmt.Sprintf("spec.reassignTo: contact %q is disabled: enable it or name another successor", successor.Name)
		return ctrl.Result{}, nil
	case successor.Spec.OrganizationRef != c.Spec.OrganizationRef:
		s.facts.successorProblem = fmt.Sprintf("spec.reassignTo: contact %q belongs to organization %q: name a contact of %q", successor.Name, successor.Spec.OrganizationRef.Name, c.Spec.OrganizationRef.Name)
		return ctrl.Result{}, nil
	}
	var assignments v1alpha1.RoleAssignmentList
	if err := r.List(ctx, &assignments, client.InNamespace(c.Namespace), client.MatchingFields{index.ByContact: c.Name}); err != nil {
		return ctrl.Result{}, err
	}
	for i := range assignments.Items {
		ra := &assignments.Items[i]
		if ra.Spec.ContactRef.Name != c.Name || !ra.DeletionTimestamp.IsZero() {
			continue
		}
		from := ""
		if role, ok := s.catalogue.Get(ra.Spec.Role); ok && role.NeedsApproval() && ra.Status.Holder == c.Name {
			from = c.Name
		}
		started, err := r.Reassign(ctx, ra, successor, from, c.Generation)
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("reassigning %s to %s: %w", ra.Name, successor.Name, err)
		}
		if !started {
			continue
		}
		r.Recorder.Eventf(c, ra, "Normal", "RoleReassigned", "Reassign",
			"role %s%s moves from disabled contact %s to %s once the move is approved", ra.Spec.Role, scopeSuffix(ra.Spec.Scope), c.Name, successor.Name)
	}
	return ctrl.Result{}, nil
}

// recordDisabled tells the primary and administrative contacts when a contact is disabled.
func (r *ContactReconciler) recordDisabled(ctx context.Context, s *contactScope, before *v1alpha1.Contact) {
	c := s.contact
	if !c.Spec.Disabled || s.org == nil || conditions.ReadyReason(before.Status.Conditions) == v1alpha1.ContactDisabledReason ||
		conditions.ReadyReason(c.Status.Conditions) != v1alpha1.ContactDisabledReason {
		return
	}
	facts := map[string]string{}
	if c.Spec.ReassignTo != nil {
		facts["to"] = c.Spec.ReassignTo.Name
	}
	n := notify.Notification{
		Key: fmt.Sprintf("%s/%s/%d", c.UID, notify.ContactDisabled, c.Generation), Type: notify.ContactDisabled,
		Organization: s.org.Name, Facts: facts,
		Object:     notify.ObjectRef{Kind: "Contact", Namespace: c.Namespace, Name: c.Name, UID: string(c.UID)},
		Recipients: recipientsNamed(ctx, r.Client, c.Namespace, holdersOf(s.evaluation, roles.Primary, roles.Administrative)),
	}
	r.Deliverer.Record(c, &c.Status.Outbox, s.org, n, "contact "+c.Name+" disabled")
}

// ReassignThroughTransfer opens, for an assignment of a disabled contact, the ContactTransfer that moves
// the role to the successor. For a role whose changes need approval the disabled contact keeps the role
// meanwhile (it is spec.from), and the successor and one initiator (the disabled contact itself, or
// another holder of the role's initiators) approve; the transfer then points the assignment at it.
func ReassignThroughTransfer(c client.Client) func(ctx context.Context, ra *v1alpha1.RoleAssignment, successor *v1alpha1.Contact, from string, generation int64) (bool, error) {
	return func(ctx context.Context, ra *v1alpha1.RoleAssignment, successor *v1alpha1.Contact, from string, generation int64) (bool, error) {
		t := &v1alpha1.ContactTransfer{
			ObjectMeta: metav1.ObjectMeta{Namespace: ra.Namespace, Name: boundedName(ra.Name, "reassign", successor.Name, fmt.Sprintf("g%d", generation)),
				Labels:      map[string]string{v1alpha1.PurposeLabel: v1alpha1.ReassignmentPurpose},
				Annotations: openedForAnnotations(ra)},
			Spec: v1alpha1.ContactTransferSpec{
				OrganizationRef: ra.Spec.OrganizationRef, Role: ra.Spec.Role, Scope: ra.Spec.Scope,
				To:     v1alpha1.LocalObjectReference{Name: successor.Name},
				Reason: fmt.Sprintf("contact %s is disabled and names %s as successor", ra.Spec.ContactRef.Name, successor.Name),
			},
		}
		if from != "" {
			t.Spec.From = &v1alpha1.LocalObjectReference{Name: from}
		}
		// Owned by the organization, as the assignment is: the transfer outlives the assignment.
		for _, ref := range ra.OwnerReferences {
			if ref.Kind == "Organization" && ref.APIVersion == v1alpha1.GroupVersion.String() {
				t.OwnerReferences = append(t.OwnerReferences, metav1.OwnerReference{APIVersion: ref.APIVersion, Kind: ref.Kind, Name: ref.Name, UID: ref.UID})
			}
		}
		err := c.Create(ctx, t)
		if apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return err == nil, err
	}
}

// SetupWithManager watches Contacts, their Organization, and the RoleAssignments naming them.
func (r *ContactReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	m := mapper{c: mgr.GetClient()}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Contact{}, builder.WithPredicates(predicate.Or(generationOrAnnotationsChanged(), emailChangeDecided(), reconfirmationAnswered()))).
		Watches(&v1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(m.contactsWithSameEmail)).
		// The organization's own status is nothing to its contacts.
		Watches(&v1alpha1.Organization{}, enqueueSettled(m.contactsOfOrganization), builder.WithPredicates(generationOrAnnotationsChanged())).
		Watches(&v1alpha1.RoleAssignment{}, enqueueSettled(contactsOfAssignment)).
		Watches(&v1alpha1.ContactTransfer{}, handler.EnqueueRequestsFromMapFunc(contactsDecidingTransfer)).
		WithOptions(opts).
		Named("contact").
		Complete(r)
}

// ensureOwnedBy makes org an owner of obj, so that deleting the organization deletes obj.
func ensureOwnedBy(ctx context.Context, c client.Client, obj client.Object, org *v1alpha1.Organization) error {
	before := obj.DeepCopyObject().(client.Object)
	if err := controllerutil.SetOwnerReference(org, obj, c.Scheme()); err != nil {
		return err
	}
	if changed, err := differs(before, obj); err != nil || !changed {
		return err
	}
	// The whole list is written: do not drop an owner someone else added meanwhile.
	return c.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
}
