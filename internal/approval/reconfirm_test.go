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
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"roster.dev/roster/api/v1alpha1"
)

func TestReconfirm(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const every, within = 100 * time.Hour, 10 * time.Hour
	const uid = types.UID("0b6f6b4e-8d1c-4c61-9a59-1d6f1b2c3d4e")
	first := t0.Add(FirstReconfirmDelay(uid, every))
	settings := &v1alpha1.ReconfirmationSettings{Every: metav1.Duration{Duration: every}, Within: &metav1.Duration{Duration: within}}
	at := func(t time.Time) *metav1.Time { m := metav1.NewTime(t); return &m }
	req := func(round int32, asked time.Time, lapsed bool) *v1alpha1.ReconfirmationRequest {
		return &v1alpha1.ReconfirmationRequest{Round: round, AskedAt: metav1.NewTime(asked), DueAt: metav1.NewTime(asked.Add(within)), LapseNotified: lapsed}
	}
	cases := []struct {
		name      string
		status    v1alpha1.ContactStatus
		settings  *v1alpha1.ReconfirmationSettings
		principal bool
		now       time.Time
		// want
		ask, lapse bool
		request    *v1alpha1.ReconfirmationRequest
		cond       metav1.ConditionStatus // "" when absent
		reason     string
		next       time.Time
	}{
		{name: "off: nothing, and a condition left over is removed", settings: nil, principal: true, now: t0,
			status: v1alpha1.ContactStatus{ReconfirmationSince: at(t0), Reconfirmation: req(1, t0, false),
				Conditions: []metav1.Condition{{Type: v1alpha1.ReconfirmedCondition, Status: metav1.ConditionUnknown}}}},
		{name: "not a principal holder: no condition, the request dropped, the last answer kept", settings: settings, now: t0,
			status: v1alpha1.ContactStatus{ReconfirmedAt: at(t0), Reconfirmation: req(1, t0, false)}},
		{name: "a new holder: the clock starts, the first request is scheduled", settings: settings, principal: true, now: t0,
			cond: metav1.ConditionUnknown, reason: v1alpha1.AwaitingReconfirmationReason, next: first},
		{name: "just before its first request: nothing yet", settings: settings, principal: true, now: first.Add(-time.Second),
			status: v1alpha1.ContactStatus{ReconfirmationSince: at(t0)},
			cond:   metav1.ConditionUnknown, reason: v1alpha1.AwaitingReconfirmationReason, next: first},
		{name: "the first request goes out", settings: settings, principal: true, now: first,
			status: v1alpha1.ContactStatus{ReconfirmationSince: at(t0)},
			ask:    true, request: req(1, first, false), cond: metav1.ConditionUnknown, reason: v1alpha1.AwaitingReconfirmationReason,
			next: first.Add(within)},
		{name: "past its due date: lapsed, told once", settings: settings, principal: true, now: first.Add(within),
			status: v1alpha1.ContactStatus{ReconfirmationSince: at(t0), Reconfirmation: req(1, first, false)},
			lapse:  true, request: req(1, first, true), cond: metav1.ConditionFalse, reason: v1alpha1.ReconfirmationLapsedReason,
			next: first.Add(every)},
		{name: "lapsed and told: nothing more until the next request", settings: settings, principal: true, now: first.Add(2 * within),
			status:  v1alpha1.ContactStatus{ReconfirmationSince: at(t0), Reconfirmation: req(1, first, true)},
			request: req(1, first, true), cond: metav1.ConditionFalse, reason: v1alpha1.ReconfirmationLapsedReason, next: first.Add(every)},
		{name: "a lapsed holder is asked again every period, in a new round", settings: settings, principal: true, now: first.Add(every),
			status: v1alpha1.ContactStatus{ReconfirmationSince: at(t0), Reconfirmation: req(1, first, true)},
			ask:    true, request: req(2, first.Add(every), false), cond: metav1.ConditionUnknown, reason: v1alpha1.AwaitingReconfirmationReason,
			next: first.Add(every + within)},
		{name: "an operator down through the due date and the next request tells the lapse, then asks again", settings: settings, principal: true,
			now:    first.Add(every),
			status: v1alpha1.ContactStatus{ReconfirmationSince: at(t0), Reconfirmation: req(1, first, false)},
			ask:    true, lapse: true, request: req(2, first.Add(every), false), cond: metav1.ConditionUnknown, reason: v1alpha1.AwaitingReconfirmationReason,
			next: first.Add(every + within)},
		{name: "confirmed: True, next request every after the answer", settings: settings, principal: true, now: first.Add(time.Hour),
			status: v1alpha1.ContactStatus{ReconfirmationSince: at(t0), ReconfirmedAt: at(first.Add(time.Hour))},
			cond:   metav1.ConditionTrue, reason: v1alpha1.ReconfirmedReason, next: first.Add(time.Hour + every)},
		{name: "an old answer does not make a returning holder due at once", settings: settings, principal: true, now: t0,
			status: v1alpha1.ContactStatus{ReconfirmedAt: at(t0.Add(-10 * every))},
			cond:   metav1.ConditionTrue, reason: v1alpha1.ReconfirmedReason, next: first},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{UID: uid, Generation: 3}, Status: tc.status}
			step := Reconfirm(c, ReconfirmFacts{Settings: tc.settings, Principal: tc.principal, Now: tc.now})
			if (step.Ask != nil) != tc.ask || (step.Lapsed != nil) != tc.lapse {
				t.Fatalf("ask %v lapse %v, want %v %v", step.Ask != nil, step.Lapsed != nil, tc.ask, tc.lapse)
			}
			if got := c.Status.Reconfirmation; (got == nil) != (tc.request == nil) || (got != nil && *got != *tc.request) {
				t.Fatalf("request %+v, want %+v", got, tc.request)
			}
			cond := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ReconfirmedCondition)
			switch {
			case tc.cond == "" && cond != nil:
				t.Fatalf("condition %+v, want none", cond)
			case tc.cond != "" && (cond == nil || cond.Status != tc.cond || cond.Reason != tc.reason || cond.ObservedGeneration != 3):
				t.Fatalf("condition %+v, want %s %s", cond, tc.cond, tc.reason)
			}
			if !step.Next.Equal(tc.next) {
				t.Fatalf("next %s, want %s", step.Next, tc.next)
			}
			if tc.settings == nil || !tc.principal {
				if c.Status.ReconfirmationSince != nil {
					t.Fatal("reconfirmationSince kept")
				}
				if tc.status.ReconfirmedAt != nil && c.Status.ReconfirmedAt == nil {
					t.Fatal("reconfirmedAt dropped")
				}
			}
		})
	}
}

func TestFirstReconfirmDelaySpreadsARoster(t *testing.T) {
	const every = 8760 * time.Hour
	days := map[int]bool{}
	for i := range 200 {
		uid := types.UID(string(rune('a'+i%26)) + time.Duration(i).String() + "-uid")
		d := FirstReconfirmDelay(uid, every)
		if d < every/2 || d >= every || d%time.Second != 0 {
			t.Fatalf("delay %s out of [every/2, every)", d)
		}
		if d != FirstReconfirmDelay(uid, every) {
			t.Fatal("not stable")
		}
		days[int(d/(24*time.Hour))] = true
	}
	if len(days) < 100 {
		t.Fatalf("200 contacts fall on %d days only", len(days))
	}
}

func TestReconfirmToken(t *testing.T) {
	k, _ := NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	const uid = types.UID("0b6f6b4e-8d1c-4c61-9a59-1d6f1b2c3d4e")
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tok := k.ReconfirmToken(uid, 1, at)
	others := []string{
		k.ReconfirmToken(uid, 2, at), k.ReconfirmToken(uid, 1, at.Add(time.Second)),
		k.ReconfirmToken("other", 1, at),
		k.Token(uid, 1, "alice", PurposeLink), k.Token(uid, 1, "alice", PurposeReconfirm),
		k.EmailToken(uid, 1, "alice@acme.example", "alice", PurposeConfirmEmail),
	}
	if len(tok) != 43 || slices.Contains(others, tok) {
		t.Fatalf("token %q not distinct", tok)
	}
	c := &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{UID: uid}}
	if k.CheckReconfirmToken(c, tok) {
		t.Fatal("a token works without a request")
	}
	c.Status.Reconfirmation = &v1alpha1.ReconfirmationRequest{Round: 1, AskedAt: metav1.NewTime(at)}
	if !k.CheckReconfirmToken(c, tok) || k.CheckReconfirmToken(c, others[0]) || k.CheckReconfirmToken(c, "") {
		t.Fatal("check")
	}
}

func TestDueReminders(t *testing.T) {
	issued := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const ttl = 100 * time.Hour
	expires := issued.Add(ttl)
	points := []string{"90%", "50%"}
	cases := []struct {
		name  string
		sent  []string
		now   time.Time
		due   []string
		next  time.Time
		exp   time.Time
		point []string
	}{
		{name: "before the first point", now: issued.Add(49 * time.Hour), next: issued.Add(50 * time.Hour)},
		{name: "at 50%", now: issued.Add(50 * time.Hour), due: []string{"50%"}, next: issued.Add(90 * time.Hour)},
		{name: "50% sent", sent: []string{"50%"}, now: issued.Add(60 * time.Hour), next: issued.Add(90 * time.Hour)},
		{name: "both passed at once, in order", now: issued.Add(95 * time.Hour), due: []string{"50%", "90%"}},
		{name: "all sent", sent: []string{"50%", "90%"}, now: issued.Add(95 * time.Hour)},
		{name: "a point at or past the expiry is skipped", now: issued.Add(95 * time.Hour), exp: issued.Add(60 * time.Hour), due: []string{"50%"}},
		{name: "a malformed point is ignored", point: []string{"x", "0%", "100%"}, now: issued.Add(99 * time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, exp := points, expires
			if tc.point != nil {
				p = tc.point
			}
			if !tc.exp.IsZero() {
				exp = tc.exp
			}
			due, next := DueReminders(p, tc.sent, issued, ttl, exp, tc.now)
			if !slices.Equal(due, tc.due) || !next.Equal(tc.next) {
				t.Fatalf("due %v next %s, want %v %s", due, next, tc.due, tc.next)
			}
		})
	}
}
