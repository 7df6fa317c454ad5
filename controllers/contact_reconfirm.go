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
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
)

// reconfirm brings the contact's periodic re-confirmation up to date (approval.Reconfirm) and records, in
// the same status write, the request's email to the contact and the lapse's to the primary and
// administrative contacts. It asks to be woken at the next request or due date.
func (r *ContactReconciler) reconfirm(ctx context.Context, s *contactScope) ctrl.Result {
	c := s.contact
	if s.org != nil && s.catalogue == nil {
		return ctrl.Result{} // an invalid catalogue: nothing is known of the roles, nothing changes
	}
	f := approval.ReconfirmFacts{Now: r.Deliverer.now(), Principal: approval.HoldsPrincipalRole(s.catalogue, s.facts.held) && !c.Spec.Disabled}
	if s.org != nil {
		f.Settings = s.org.Spec.Reconfirmation
	}
	step := approval.Reconfirm(c, f)
	if req := step.Lapsed; req != nil {
		n := reconfirmNotification(c, s.org, notify.ReconfirmationLapsed, req)
		n.Facts["holder"] = c.Name
		n.Recipients = recipientsNamed(ctx, r.Client, c.Namespace, holdersOf(s.evaluation, roles.Primary, roles.Administrative))
		r.Deliverer.Record(c, &c.Status.Outbox, s.org, n,
			fmt.Sprintf("%s did not confirm by %s that it is still the right contact: the primary and administrative contacts are told; its roles are kept",
				c.Name, req.DueAt.UTC().Format(time.RFC3339)))
	}
	if req := step.Ask; req != nil {
		n := reconfirmNotification(c, s.org, notify.ReconfirmationRequested, req)
		if rcpt, ok := recipient(c); ok {
			n.Recipients = []notify.Recipient{rcpt}
		}
		r.Deliverer.Record(c, &c.Status.Outbox, s.org, n,
			fmt.Sprintf("%s is asked (round %d) to confirm by %s that it is still the right contact", c.Name, req.Round, req.DueAt.UTC().Format(time.RFC3339)))
	}
	if step.Next.IsZero() {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: waitUntil(step.Next, f.Now)}
}

// reconfirmNotification describes a re-confirmation request; its key names the request by the time it was
// asked, so that each request is told once.
func reconfirmNotification(c *v1alpha1.Contact, org *v1alpha1.Organization, typ notify.Type, req *v1alpha1.ReconfirmationRequest) notify.Notification {
	n := notify.Notification{
		Key:  fmt.Sprintf("%s/%s/%d-%d", c.UID, typ, req.Round, req.AskedAt.Unix()),
		Type: typ, Organization: c.Spec.OrganizationRef.Name, OccurredAt: req.AskedAt.Time,
		Facts: map[string]string{roundFact: fmt.Sprint(req.Round), askedAtFact: req.AskedAt.UTC().Format(time.RFC3339),
			"dueAt": req.DueAt.UTC().Format(time.RFC3339)},
		Object: notify.ObjectRef{Kind: "Contact", Namespace: c.Namespace, Name: c.Name, UID: string(c.UID)},
	}
	if org != nil {
		n.Facts["organizationDisplayName"] = org.Spec.DisplayName
	}
	return n
}

// reconfirmationAnswered passes the status writes of the re-confirmation page (status.reconfirmedAt), so
// that the contact's condition follows at once.
func reconfirmationAnswered() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			before, after := e.ObjectOld.(*v1alpha1.Contact), e.ObjectNew.(*v1alpha1.Contact)
			return !equality.Semantic.DeepEqual(before.Status.ReconfirmedAt, after.Status.ReconfirmedAt)
		},
	}
}
