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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
)

func TestBreaker(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var b breaker
	if _, open := b.open("ns/acme/webhook/audit", now); open {
		t.Fatal("a destination never tripped is open")
	}
	b.trip("ns/acme/webhook/audit", now)
	if until, open := b.open("ns/acme/webhook/audit", now.Add(breakerCooldown-time.Second)); !open || !until.Equal(now.Add(breakerCooldown)) {
		t.Errorf("within the cooldown: open %v until %s; want open until %s", open, until, now.Add(breakerCooldown))
	}
	if _, open := b.open("ns/acme/email", now); open {
		t.Error("another destination of the same organization is not left alone")
	}
	if _, open := b.open("ns/acme/webhook/audit", now.Add(breakerCooldown)); open {
		t.Error("after the cooldown the destination is tried again")
	}
	if len(b.until) != 0 {
		t.Errorf("a closed breaker is forgotten, got %v", b.until)
	}
}

func TestHoldsWorkers(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("webhook: %w", context.DeadlineExceeded), true},
		{&notify.WebhookStatusError{Webhook: "audit", StatusCode: 503}, false},
		{&notify.ConfigError{Err: errors.New("secret missing")}, false},
		{fmt.Errorf("dial: %w", notify.ErrDestinationNotAllowed), false},
	} {
		if got := holdsWorkers(tc.err); got != tc.want {
			t.Errorf("holdsWorkers(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestWaits(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		a, b, want time.Duration
	}{{0, 0, 0}, {0, time.Second, time.Second}, {time.Minute, 0, time.Minute}, {time.Minute, time.Second, time.Second}} {
		if got := sooner(tc.a, tc.b); got != tc.want {
			t.Errorf("sooner(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
	if got := waitUntil(time.Time{}, now); got != 0 {
		t.Errorf("waitUntil(zero) = %s, want 0", got)
	}
	if got := waitUntil(now.Add(-time.Minute), now); got != time.Second {
		t.Errorf("a time passed waits a second, not a busy loop: got %s", got)
	}
	if got := earlier(time.Time{}, now); !got.Equal(now) {
		t.Errorf("earlier(zero, now) = %s", got)
	}
	if got := earlier(now, now.Add(time.Minute)); !got.Equal(now) {
		t.Errorf("earlier(now, later) = %s", got)
	}
}

func TestStillTelling(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	transfer := func(deletedAgo time.Duration, states ...v1alpha1.Delivery) *v1alpha1.ContactTransfer {
		tr := &v1alpha1.ContactTransfer{}
		deleted := metav1.NewTime(now.Add(-deletedAgo))
		tr.DeletionTimestamp = &deleted
		tr.Status.Outbox = states
		return tr
	}
	pending := v1alpha1.Delivery{ID: "k/email", State: v1alpha1.DeliveryPending}
	failing := v1alpha1.Delivery{ID: "k/email", State: v1alpha1.DeliveryPending, Attempts: notify.FailingAfter}
	sent := v1alpha1.Delivery{ID: "k/email", State: v1alpha1.DeliverySent}
	for _, tc := range []struct {
		name string
		t    *v1alpha1.ContactTransfer
		want bool
	}{
		{"pending, just deleted", transfer(time.Second, pending), true},
		{"sent", transfer(time.Second, sent), false},
		{"failing", transfer(time.Second, failing), false},
		{"pending past the grace", transfer(finalizeGrace, pending), false},
	} {
		if got := stillTelling(tc.t, now); got != tc.want {
			t.Errorf("%s: stillTelling = %v, want %v", tc.name, got, tc.want)
		}
	}
}
