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
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/notify"
	"roster.dev/roster/internal/roles"
)

// Facts a TransferRequested delivery carries so that the tokens can be derived again when it is sent.
const (
	roundFact     = "round"
	approversFact = "approvers"
	// emailFact is the new address of a change of address.
	emailFact = "email"
	// askedAtFact is when a re-confirmation request was issued (RFC 3339): its secret is derived from it.
	askedAtFact = "askedAt"
)

// stillAwaited reports whether contact is still awaited by obj, a ContactTransfer, in round: a reminder is
// not sent to a party that decided meanwhile, nor for a round that was replaced.
func stillAwaited(obj v1alpha1.OutboxObject, contact string, round int) bool {
	t, ok := obj.(*v1alpha1.ContactTransfer)
	return ok && int(t.Status.Round) == round && approval.Open(t) && slices.Contains(approval.Pending(t), contact)
}

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Deliverer records notifications in an object's outbox and sends them on the organization's channels:
// an email to each recipient over SMTP, a signed POST to each webhook, and Notifier when set. Tokens are
// never recorded: they are derived again, for their party only, at the moment a message is sent.
type Deliverer struct {
	// Client reads contacts from the cache; APIReader reads Secrets straight from the apiserver, so the
	// operator does not cache every Secret of the cluster.
	Client    client.Client
	APIReader client.Reader
	Recorder  events.EventRecorder
	Keys      *approval.Keyring
	// ApprovalBaseURL is the external URL of the approval page.
	ApprovalBaseURL string
	// Notifier, when set, is one more channel ("notifier") every notification goes to.
	Notifier notify.Notifier
	// Destinations says which addresses the email and webhook channels may reach.
	Destinations *notify.Destinations
	Now          func() time.Time
	// engine sends what the outboxes hold; nil for a Deliverer that only records (the approval page's).
	engine *DeliveryEngine
	// breaker leaves alone the destinations that keep failing.
	breaker breaker
}

// schedule hands obj's outbox to the delivery engine: now when something is due, else at the next retry.
func (d *Deliverer) schedule(obj v1alpha1.OutboxObject) {
	if d.engine == nil {
		return
	}
	due, next := notify.Due(*obj.Outbox(), d.now())
	switch {
	case len(due) > 0:
		d.engine.enqueue(obj, 0)
	case next > 0:
		d.engine.enqueue(obj, next)
	}
}

// kindOf is the kind of a Roster object, for the notifications about it.
func (d *Deliverer) kindOf(obj v1alpha1.OutboxObject) string {
	gvk, err := apiutil.GVKForObject(obj, d.Client.Scheme())
	if err != nil {
		return ""
	}
	return gvk.Kind
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Channels lists the channels of an organization.
func (d *Deliverer) Channels(org *v1alpha1.Organization) []string { return d.channels().Names(org) }

// channels is the factory of the organization's notifiers.
func (d *Deliverer) channels() *notify.Channels {
	return &notify.Channels{Secrets: d.APIReader, Destinations: d.Destinations, Extra: d.Notifier}
}

// Record emits n as an Event on obj and records it in the outbox for each channel of org, once per cause:
// a notification whose key the outbox already holds is not told again.
func (d *Deliverer) Record(obj client.Object, outbox *[]v1alpha1.Delivery, org *v1alpha1.Organization, n notify.Notification, note string) {
	eventType := corev1.EventTypeNormal
	if n.Type == notify.RequiredRoleVacant {
		eventType = corev1.EventTypeWarning
	}
	if slices.ContainsFunc(*outbox, func(del v1alpha1.Delivery) bool {
		key := notify.KeyOf(del)
		return key == n.Key || strings.HasPrefix(key, n.Key+"#")
	}) {
		return // told already (a retry of the same cause)
	}
	d.Recorder.Eventf(obj, nil, eventType, string(n.Type), "Notify", note)
	if len(n.Recipients) == 0 && n.Type != notify.RequiredRoleVacant {
		return
	}
	if n.OccurredAt.IsZero() {
		n.OccurredAt = d.now()
	}
	if org != nil && org.Spec.DisplayName != "" && n.Facts["organizationDisplayName"] == "" {
		n.Facts = maps.Clone(n.Facts)
		if n.Facts == nil {
			n.Facts = map[string]string{}
		}
		n.Facts["organizationDisplayName"] = org.Spec.DisplayName
	}
	dropped := notify.Record(outbox, n, d.Channels(org), d.now())
	if len(dropped) == 0 {
		return
	}
	lost := make([]string, 0, len(dropped))
	for _, del := range dropped {
		notify.ObserveDropped(del.Channel, del.Type)
		lost = append(lost, del.Type+" on "+del.Channel)
	}
	d.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, "NotificationsDropped", "Notify",
		"outbox full (%d entries or %d KiB): %d pending notification(s) dropped unsent: %s", notify.MaxOutbox, notify.MaxOutboxBytes>>10, len(dropped), strings.Join(lost, ", "))
}

// Deliver sends the given due deliveries of obj's outbox and marks each sent, or failed with a retry time.
// It returns how long until the next retry (0 when none waits).
func (d *Deliverer) Deliver(ctx context.Context, obj v1alpha1.OutboxObject, org *v1alpha1.Organization, outbox []v1alpha1.Delivery, due []int) time.Duration {
	var skippedUntil time.Time // the earliest time a skipped entry may go
	for _, i := range due {
		del := &outbox[i]
		destination := destinationOf(obj, del.Channel)
		if ctx.Err() != nil {
			skippedUntil = earlier(skippedUntil, d.now()) // the pass is over: left due, not an attempt
			continue
		}
		if until, open := d.breaker.open(destination, d.now()); open {
			// The destination failed earlier in this pass: it is not tried again before until.
			skippedUntil = earlier(skippedUntil, until)
			continue
		}
		err := d.send(ctx, obj, org, *del)
		if errors.Is(err, notify.ErrChannelGone) {
			notify.MarkDropped(del, err.Error(), d.now())
			continue
		}
		if err == nil {
			notify.MarkSent(del, d.now())
			notify.ObserveSent(del.Channel, del.Type, d.now().Sub(del.RecordedAt.Time).Seconds())
			continue
		}
		var partial *notify.PartialError
		if errors.As(err, &partial) {
			// The others have their message: the retry goes to the refused recipients alone. (A deputy's
			// copy is not retried on its own.)
			retry := slices.DeleteFunc(slices.Clone(del.Recipients), func(name string) bool {
				return !slices.Contains(partial.Failed, name)
			})
			if len(retry) == 0 {
				log.FromContext(ctx).Info("a deputy's copy was not delivered", "type", del.Type, "error", err.Error())
				notify.MarkSent(del, d.now())
				continue
			}
			del.Recipients = retry
		}
		// The status shows the class of the error only: the detail of a dial error maps the network.
		log.FromContext(ctx).Info("notification not delivered", "type", del.Type, "channel", del.Channel,
			"attempt", del.Attempts+1, "error", err.Error())
		notify.MarkFailed(del, errors.New(notify.Describe(err)), d.now())
		if holdsWorkers(err) && ctx.Err() == nil { // the pass running out is not the destination's fault
			d.breaker.trip(destination, d.now())
		}
		notify.ObserveFailed(del.Channel, del.Type)
		if del.Attempts == notify.FailingAfter {
			d.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, "NotificationFailed", "Notify",
				"%s notification on %s keeps failing (%d attempts): %s", del.Type, del.Channel, del.Attempts, del.LastError)
		}
	}
	_, next := notify.Due(outbox, d.now())
	return sooner(next, waitUntil(skippedUntil, d.now()))
}

// send delivers one recorded notification on its channel.
func (d *Deliverer) send(ctx context.Context, obj v1alpha1.OutboxObject, org *v1alpha1.Organization, del v1alpha1.Delivery) error {
	if org == nil {
		return &notify.ConfigError{Err: errors.New("the organization is gone")}
	}
	n, err := d.rebuild(ctx, obj, org, del)
	if err != nil {
		return err
	}
	ch, err := d.channels().Notifier(ctx, org, del.Channel)
	if err != nil {
		return err
	}
	return ch.Notify(ctx, n)
}

// rebuild turns a recorded delivery back into a notification, with the recipients' addresses as they are
// now and, for a TransferRequested, each approver's token of the recorded round.
func (d *Deliverer) rebuild(ctx context.Context, obj v1alpha1.OutboxObject, org *v1alpha1.Organization, del v1alpha1.Delivery) (notify.Notification, error) {
	n := notify.Notification{
		Key: notify.KeyOf(del), Type: notify.Type(del.Type), Organization: org.Name, Facts: del.Facts,
		OccurredAt: del.RecordedAt.Time,
		Object:     notify.ObjectRef{Kind: d.kindOf(obj), Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: string(obj.GetUID())},
	}
	approvers := strings.Split(del.Facts[approversFact], ",")
	round, _ := strconv.Atoi(del.Facts[roundFact])
	var away []*v1alpha1.Contact
	for _, name := range del.Recipients {
		c := &v1alpha1.Contact{}
		if err := d.Client.Get(ctx, client.ObjectKey{Namespace: obj.GetNamespace(), Name: name}, c); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return n, err
		}
		party := (n.Type == notify.TransferRequested || n.Type == notify.TransferReminder) && round > 0 && slices.Contains(approvers, name)
		if n.Type == notify.TransferReminder && !stillAwaited(obj, name, round) {
			continue // decided (or a new round) since the reminder was recorded
		}
		r, ok := recipientOf(c, party)
		if !ok {
			continue
		}
		if c.Spec.Away && !c.Spec.Disabled && n.Type != notify.EmailConfirmationRequested && n.Type != notify.ReconfirmationRequested {
			away = append(away, c)
		}
		switch {
		case n.Type == notify.ReconfirmationRequested && round > 0 && name == obj.GetName():
			asked, err := time.Parse(time.RFC3339, del.Facts[askedAtFact])
			if err == nil {
				r.Link = approval.ReconfirmLink(d.ApprovalBaseURL, obj.GetUID(), d.Keys.ReconfirmToken(obj.GetUID(), int32(round), asked))
			}
		case n.Type == notify.EmailConfirmationRequested && round > 0:
			r.Email = del.Facts[emailFact]
			r.Link = approval.ConfirmLink(d.ApprovalBaseURL, obj.GetUID(),
				d.Keys.EmailToken(obj.GetUID(), int32(round), del.Facts[emailFact], name, approval.PurposeConfirmEmail))
		case n.Type == notify.EmailChangeRequested && round > 0 && slices.Contains(approvers, name):
			r.Link = approval.ConfirmLink(d.ApprovalBaseURL, obj.GetUID(),
				d.Keys.EmailToken(obj.GetUID(), int32(round), del.Facts[emailFact], name, approval.PurposeApproveEmail))
		}
		if party {
			uid := obj.GetUID()
			r.Token = d.Keys.Token(uid, int32(round), name, approval.PurposeLink)
			r.Link = approval.Link(d.ApprovalBaseURL, uid, r.Token)
			r.ApproveCode = d.Keys.Token(uid, int32(round), name, approval.PurposeApprove)
			r.RefuseCode = d.Keys.Token(uid, int32(round), name, approval.PurposeRefuse)
		}
		n.Recipients = append(n.Recipients, r)
	}
	return d.withDeputies(ctx, n, away)
}

// withDeputies adds to n, for each away contact, a copy for each of its deputies: an enabled contact of
// the same organization, not away itself and not told already. A copy never carries a token, link or code.
func (d *Deliverer) withDeputies(ctx context.Context, n notify.Notification, away []*v1alpha1.Contact) (notify.Notification, error) {
	for _, c := range away {
		for _, ref := range c.Spec.Deputies {
			if slices.ContainsFunc(n.Recipients, func(r notify.Recipient) bool { return r.Contact == ref.Name }) {
				continue
			}
			deputy := &v1alpha1.Contact{}
			if err := d.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: ref.Name}, deputy); err != nil {
				if apierrors.IsNotFound(err) {
					continue
				}
				return n, err
			}
			r, ok := recipient(deputy)
			if !ok || deputy.Spec.Away || deputy.Spec.OrganizationRef.Name != c.Spec.OrganizationRef.Name {
				continue
			}
			r.DeputyFor = c.Spec.DisplayName
			if r.DeputyFor == "" {
				r.DeputyFor = c.Name
			}
			n.Recipients = append(n.Recipients, r)
		}
	}
	return n, nil
}

// setDeliveredCondition reports on the outbox: False, naming the channel and the error, while a
// notification keeps failing; True once every recorded one is delivered or on its way; absent when the
// object never had one.
func setDeliveredCondition(conds *[]metav1.Condition, generation int64, outbox []v1alpha1.Delivery) {
	if len(outbox) == 0 {
		meta.RemoveStatusCondition(conds, v1alpha1.NotificationsDeliveredCondition)
		return
	}
	if failing := notify.Failing(outbox); len(failing) > 0 {
		f := failing[0]
		conditions.Set(conds, generation, v1alpha1.NotificationsDeliveredCondition, metav1.ConditionFalse, v1alpha1.DeliveryFailingReason,
			fmt.Sprintf("%d notification(s) not delivered; %s on %s failed %d times: %s", len(failing), f.Type, f.Channel, f.Attempts, f.LastError))
		return
	}
	conditions.Set(conds, generation, v1alpha1.NotificationsDeliveredCondition, metav1.ConditionTrue, v1alpha1.DeliveredReason,
		"notifications are delivered")
}

// deliverOutbox sends what is due in an object's outbox, at most maxPerPass deliveries (obj as the
// apiserver has it), then records the outcome in the status with optimistic concurrency. When
// another write came first, it reads the object again and records the same outcome on the fresh copy:
// what was sent is never recorded as pending again, so it is never sent twice. It returns when to look
// again: at once when more was due than one pass sends.
func deliverOutbox(ctx context.Context, c client.Client, d *Deliverer, obj v1alpha1.OutboxObject, org *v1alpha1.Organization) (time.Duration, error) {
	due, next := notify.Due(*obj.Outbox(), d.now())
	// Entries whose destination the breaker leaves alone wait for it, and take no place in the pass.
	var blockedUntil time.Time
	due = slices.DeleteFunc(due, func(i int) bool {
		until, open := d.breaker.open(destinationOf(obj, (*obj.Outbox())[i].Channel), d.now())
		if open {
			blockedUntil = earlier(blockedUntil, until)
		}
		return open
	})
	next = sooner(next, waitUntil(blockedUntil, d.now()))
	if len(due) == 0 {
		return next, nil
	}
	more := len(due) > maxPerPass
	if more {
		due = due[:maxPerPass]
	}
	before := obj.DeepCopyObject().(v1alpha1.OutboxObject)
	next = sooner(next, d.Deliver(ctx, obj, org, *obj.Outbox(), due))
	if more {
		next = time.Millisecond
	}
	outcome := map[string]v1alpha1.Delivery{}
	for _, i := range due {
		outcome[(*obj.Outbox())[i].ID] = (*obj.Outbox())[i]
	}
	setDeliveredCondition(obj.StatusConditions(), obj.GetGeneration(), *obj.Outbox())
	// What was sent is recorded even when the pass ran out of time or the operator is stopping: else it
	// would be sent again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordDeadline)
	defer cancel()
	err := patchStatusLocked(ctx, c, before, obj)
	if !apierrors.IsConflict(err) {
		return next, client.IgnoreNotFound(err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := d.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		before := obj.DeepCopyObject().(v1alpha1.OutboxObject)
		fresh := obj.Outbox()
		for i := range *fresh {
			if o, ok := outcome[(*fresh)[i].ID]; ok {
				(*fresh)[i] = o
			}
		}
		setDeliveredCondition(obj.StatusConditions(), obj.GetGeneration(), *fresh)
		return patchStatusLocked(ctx, c, before, obj)
	})
	return next, client.IgnoreNotFound(err)
}

// finishWithOutbox patches the status once (even when the reconcile failed), then hands what the outbox
// holds to the delivery engine: a reconcile never waits on a mail server or a webhook.
func finishWithOutbox(ctx context.Context, c client.Client, d *Deliverer, before, obj v1alpha1.OutboxObject,
	result ctrl.Result, err error) (ctrl.Result, error) {
	setDeliveredCondition(obj.StatusConditions(), obj.GetGeneration(), *obj.Outbox())
	// A write that adds to the outbox must not replace a newer outbox the cache has not shown yet.
	patch := patchStatus
	if outboxChanged(before, obj) || historyChanged(before, obj) {
		patch = patchStatusLocked
	}
	if patchErr := patch(ctx, c, before, obj); patchErr != nil {
		return result, kerrors.NewAggregate([]error{err, patchErr})
	}
	d.schedule(obj)
	return result, err
}

// holdersOf lists the holders of the given roles, in any scope, each once; none without an evaluation.
func holdersOf(e *roles.Evaluation, roleNames ...string) []string {
	if e == nil {
		return nil
	}
	return e.HoldersOf(roleNames...)
}

// recipientsNamed addresses contacts of a namespace by name, skipping unknown and disabled ones.
func recipientsNamed(ctx context.Context, c client.Reader, namespace string, names []string) []notify.Recipient {
	var out []notify.Recipient
	for _, name := range names {
		contact := &v1alpha1.Contact{}
		if c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, contact) != nil {
			continue
		}
		if r, ok := recipient(contact); ok {
			out = append(out, r)
		}
	}
	return out
}

// outboxChanged tells whether the reconcile recorded something in the outbox.
func outboxChanged(before, obj v1alpha1.OutboxObject) bool {
	return !equality.Semantic.DeepEqual(*before.Outbox(), *obj.Outbox())
}

// historyChanged tells whether an Organization's status.history changed: the write is then based on the
// latest version, so that a history computed from a stale copy never replaces the written one.
func historyChanged(before, obj v1alpha1.OutboxObject) bool {
	b, ok := before.(*v1alpha1.Organization)
	o, ok2 := obj.(*v1alpha1.Organization)
	return ok && ok2 && !equality.Semantic.DeepEqual(b.Status.History, o.Status.History)
}
