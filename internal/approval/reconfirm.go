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

package approval

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/conditions"
	"roster.dev/roster/internal/roles"
)

// PurposeReconfirm is the secret of the link that answers a re-confirmation request.
const PurposeReconfirm Purpose = "reconfirm"

// DefaultReconfirmWithin is how long a holder has to answer when spec.reconfirmation.within is not set.
const DefaultReconfirmWithin = 336 * time.Hour

// ReconfirmToken returns the secret of the link of the re-confirmation request of the contact with UID
// contactUID asked at askedAt in round: derived like Token from its own first field and purpose, so that
// it is unrelated to any transfer's or change of address's secret. askedAt makes each request's secret
// unique: the link of an answered request never works for a later one, even of the same round.
func (k *Keyring) ReconfirmToken(contactUID types.UID, round int32, askedAt time.Time) string {
	return k.derive("reconfirm", string(contactUID), strconv.FormatInt(int64(round), 10),
		strconv.FormatInt(askedAt.Unix(), 10), string(PurposeReconfirm))
}

// CheckReconfirmToken reports whether secret answers the contact's request in progress (constant time).
func (k *Keyring) CheckReconfirmToken(c *v1alpha1.Contact, secret string) bool {
	r := c.Status.Reconfirmation
	if r == nil || secret == "" {
		return false
	}
	return SecretsEqual(k.ReconfirmToken(c.UID, r.Round, r.AskedAt.Time), secret)
}

// ReconfirmLink is the URL of the page that answers a re-confirmation request:
// baseURL/reconfirm/CONTACT-UID?token=TOKEN.
func ReconfirmLink(baseURL string, contactUID types.UID, token string) string {
	return strings.TrimSuffix(baseURL, "/") + "/reconfirm/" + url.PathEscape(string(contactUID)) + "?token=" + url.QueryEscape(token)
}

// HoldsPrincipalRole reports whether one of the held roles is not notification-only.
func HoldsPrincipalRole(cat *roles.Catalogue, held []v1alpha1.HeldRole) bool {
	if cat == nil {
		return false
	}
	return slices.ContainsFunc(held, func(h v1alpha1.HeldRole) bool {
		r, ok := cat.Get(h.Role)
		return ok && !r.NotificationOnly
	})
}

// ReconfirmFacts is what a contact's re-confirmation depends on.
type ReconfirmFacts struct {
	// Settings are the organization's spec.reconfirmation; nil when off.
	Settings *v1alpha1.ReconfirmationSettings
	// Principal is true when the contact holds a principal role.
	Principal bool
	Now       time.Time
}

// ReconfirmStep is what the status change asks to be told.
type ReconfirmStep struct {
	// Ask is the new request whose email must be recorded; nil when none.
	Ask *v1alpha1.ReconfirmationRequest
	// Lapsed is the request whose lapse must be told to the primary and administrative contacts.
	Lapsed *v1alpha1.ReconfirmationRequest
	// Next is when to look again (the next request or due date); zero when nothing waits.
	Next time.Time
}

// Reconfirm brings the contact's re-confirmation status up to date at f.Now: it starts its clock, issues a
// request when one is due, marks a request past its due date as lapsed once, and sets the Reconfirmed
// condition. A contact that holds no principal role, or whose organization asks for no re-confirmation,
// has none of it (status.reconfirmedAt, a past answer, is kept).
func Reconfirm(c *v1alpha1.Contact, f ReconfirmFacts) ReconfirmStep {
	st := &c.Status
	if f.Settings == nil || !f.Principal {
		st.Reconfirmation, st.ReconfirmationSince = nil, nil
		meta.RemoveStatusCondition(&st.Conditions, v1alpha1.ReconfirmedCondition)
		return ReconfirmStep{}
	}
	every, within := f.Settings.Every.Duration, DefaultReconfirmWithin
	if f.Settings.Within != nil {
		within = f.Settings.Within.Duration
	}
	within = min(within, every)
	now := f.Now.Truncate(time.Second)
	if st.ReconfirmationSince == nil {
		since := metav1.NewTime(now)
		st.ReconfirmationSince = &since
	}
	var step ReconfirmStep
	if r := st.Reconfirmation; r != nil && !r.LapseNotified && !now.Before(r.DueAt.Time) {
		r.LapseNotified = true
		step.Lapsed = r.DeepCopy()
	}
	next := NextReconfirmRequest(c, every)
	if !now.Before(next) {
		round := int32(1)
		if st.Reconfirmation != nil {
			round = st.Reconfirmation.Round + 1
		}
		st.Reconfirmation = &v1alpha1.ReconfirmationRequest{Round: round, AskedAt: metav1.NewTime(now), DueAt: metav1.NewTime(now.Add(within))}
		step.Ask = st.Reconfirmation.DeepCopy()
		next = NextReconfirmRequest(c, every)
	}
	step.Next = next
	if r := st.Reconfirmation; r != nil && !r.LapseNotified {
		step.Next = r.DueAt.Time
	}
	setReconfirmedCondition(c, next)
	return step
}

// NextReconfirmRequest is when the contact is asked next: every after the request in progress; else every
// after its last answer, but not before its first request, between every/2 and every after
// status.reconfirmationSince at a point fixed by its UID.
func NextReconfirmRequest(c *v1alpha1.Contact, every time.Duration) time.Time {
	st := c.Status
	if st.Reconfirmation != nil {
		return st.Reconfirmation.AskedAt.Add(every)
	}
	var first time.Time
	if st.ReconfirmationSince != nil {
		first = st.ReconfirmationSince.Add(FirstReconfirmDelay(c.UID, every))
	}
	if st.ReconfirmedAt != nil && st.ReconfirmedAt.Add(every).After(first) {
		return st.ReconfirmedAt.Add(every)
	}
	return first
}

// FirstReconfirmDelay is the delay of a contact's first request: between every/2 and every, fixed by its
// UID, in whole seconds.
func FirstReconfirmDelay(uid types.UID, every time.Duration) time.Duration {
	half := every / 2
	if half < 2*time.Second {
		return every
	}
	h := fnv.New64a()
	h.Write([]byte(uid))
	return half + time.Duration(h.Sum64()%uint64(half/time.Second))*time.Second
}

// setReconfirmedCondition sets Reconfirmed from the status; next is the next request.
func setReconfirmedCondition(c *v1alpha1.Contact, next time.Time) {
	st := &c.Status
	gen := c.Generation
	r := st.Reconfirmation
	switch {
	case r != nil && r.LapseNotified:
		conditions.Set(&st.Conditions, gen, v1alpha1.ReconfirmedCondition, metav1.ConditionFalse, v1alpha1.ReconfirmationLapsedReason,
			fmt.Sprintf("asked on %s to confirm it is still the right contact, and did not by %s: the primary and administrative contacts were told; the roles are kept; its link still works until the next request on %s",
				stamp(r.AskedAt.Time), stamp(r.DueAt.Time), stamp(next)))
	case r != nil:
		conditions.Set(&st.Conditions, gen, v1alpha1.ReconfirmedCondition, metav1.ConditionUnknown, v1alpha1.AwaitingReconfirmationReason,
			fmt.Sprintf("asked on %s (round %d) to confirm it is still the right contact, by its emailed link; due by %s", stamp(r.AskedAt.Time), r.Round, stamp(r.DueAt.Time)))
	case st.ReconfirmedAt != nil:
		conditions.Set(&st.Conditions, gen, v1alpha1.ReconfirmedCondition, metav1.ConditionTrue, v1alpha1.ReconfirmedReason,
			fmt.Sprintf("confirmed on %s that it is still the right contact; next request on %s", stamp(st.ReconfirmedAt.Time), stamp(next)))
	default:
		conditions.Set(&st.Conditions, gen, v1alpha1.ReconfirmedCondition, metav1.ConditionUnknown, v1alpha1.AwaitingReconfirmationReason,
			fmt.Sprintf("never asked yet: the first request goes out on %s", stamp(next)))
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Reminder points: a ContactTransfer's undecided parties are reminded at percentages of tokenTTL after
// the round's tokens went out.

// ReminderFraction parses a point of spec.approval.reminders ("50%"); ok is false for anything else.
func ReminderFraction(point string) (float64, bool) {
	n, err := strconv.Atoi(strings.TrimSuffix(point, "%"))
	if err != nil || !strings.HasSuffix(point, "%") || n < 1 || n > 99 {
		return 0, false
	}
	return float64(n) / 100, true
}

// DueReminders returns the points of spec.approval.reminders that are due at now for a round whose tokens
// went out at issued, and not sent yet (in sent): every passed point is returned, so that it is
// recorded as done, but only the latest one needs an email. next is the time of the next point
// (zero when none is left before expires).
func DueReminders(points, sent []string, issued time.Time, ttl time.Duration, expires, now time.Time) (due []string, next time.Time) {
	for _, p := range points {
		f, ok := ReminderFraction(p)
		if !ok || slices.Contains(sent, p) {
			continue
		}
		at := issued.Add(time.Duration(f * float64(ttl)))
		if !expires.IsZero() && !at.Before(expires) {
			continue
		}
		if now.Before(at) {
			next = earliest(next, at)
			continue
		}
		due = append(due, p)
	}
	slices.SortFunc(due, func(a, b string) int {
		fa, _ := ReminderFraction(a)
		fb, _ := ReminderFraction(b)
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	})
	return due, next
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
