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

package notify

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

// Outbox bounds and retry policy.
const (
	// MaxOutbox is the most deliveries an object records; the oldest sent ones go first.
	MaxOutbox = 64
	// keepSent is how many sent deliveries are kept for the audit trail.
	keepSent = 32
	// FailingAfter is the number of failed attempts after which a delivery shows as failing.
	FailingAfter = 3
	// firstRetry and maxRetry bound the exponential backoff between attempts.
	firstRetry = 5 * time.Second
	maxRetry   = 10 * time.Minute
	// maxFacts bounds the facts a delivery records.
	maxFacts = 16
	// maxRecipients bounds the recipients of one delivery; a larger audience is split into parts.
	maxRecipients = 50
)

// Record adds one Pending delivery of n per channel, unless the outbox already holds it: the same cause
// (the same key) never yields two deliveries on a channel. It returns the pending deliveries the full
// outbox had to drop, never sent, for the caller to report.
func Record(outbox *[]v1alpha1.Delivery, n Notification, channels []string, now time.Time) (dropped []v1alpha1.Delivery) {
	recipients := make([]string, 0, len(n.Recipients))
	for _, r := range n.Recipients {
		recipients = append(recipients, r.Contact)
	}
	for part, chunk := range chunks(recipients, maxRecipients) {
		key := n.Key
		if part > 0 {
			key += "#" + strconv.Itoa(part)
		}
		for _, ch := range channels {
			id := key + "/" + ch
			if slices.ContainsFunc(*outbox, func(d v1alpha1.Delivery) bool { return d.ID == id }) {
				continue
			}
			*outbox = append(*outbox, v1alpha1.Delivery{
				ID: id, Type: string(n.Type), Channel: ch, Recipients: chunk, Facts: boundedFacts(n.Facts),
				State: v1alpha1.DeliveryPending, RecordedAt: metav1.NewTime(now),
			})
		}
	}
	return prune(outbox)
}

// chunks splits names into parts of at most size; no names make one empty part (a notification for the
// webhooks only, such as a vacancy nobody can be told about by email).
func chunks(names []string, size int) [][]string {
	if len(names) == 0 {
		return [][]string{nil}
	}
	var out [][]string
	for len(names) > size {
		out = append(out, names[:size:size])
		names = names[size:]
	}
	return append(out, names)
}

// MarkDropped records that a delivery will never be sent: its channel was removed.
func MarkDropped(d *v1alpha1.Delivery, reason string, now time.Time) {
	t := metav1.NewTime(now)
	d.State, d.SentAt, d.NextAttemptAt, d.LastError = v1alpha1.DeliveryDropped, &t, nil, truncate(reason, 1024)
}

// KeyOf returns the notification key of a delivery (its id without the channel).
func KeyOf(d v1alpha1.Delivery) string {
	return strings.TrimSuffix(d.ID, "/"+d.Channel)
}

// Due returns the indexes of the pending deliveries to send now, and how long until the next later one
// (0 when none).
func Due(outbox []v1alpha1.Delivery, now time.Time) (due []int, next time.Duration) {
	for i, d := range outbox {
		if d.State != v1alpha1.DeliveryPending {
			continue
		}
		if d.NextAttemptAt == nil || !now.Before(d.NextAttemptAt.Time) {
			due = append(due, i)
			continue
		}
		if wait := d.NextAttemptAt.Sub(now); next == 0 || wait < next {
			next = wait
		}
	}
	return due, next
}

// MarkSent records a successful send.
func MarkSent(d *v1alpha1.Delivery, now time.Time) {
	t := metav1.NewTime(now)
	d.State, d.SentAt, d.NextAttemptAt, d.LastError = v1alpha1.DeliverySent, &t, nil, ""
}

// MarkFailed records a failed send and when to try again: exponential backoff from 5 s to 10 min, with
// ±20 % jitter so that many failures do not retry in step.
func MarkFailed(d *v1alpha1.Delivery, err error, now time.Time) {
	d.Attempts++
	d.LastError = truncate(err.Error(), 1024)
	wait := firstRetry << min(d.Attempts-1, 16)
	if wait > maxRetry || wait <= 0 {
		wait = maxRetry
	}
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(wait))
	t := metav1.NewTime(now.Add(wait + jitter))
	d.NextAttemptAt = &t
}

// Pending counts the deliveries not sent yet.
func Pending(outbox []v1alpha1.Delivery) int {
	n := 0
	for _, d := range outbox {
		if d.State == v1alpha1.DeliveryPending {
			n++
		}
	}
	return n
}

// Failing returns the pending deliveries that failed FailingAfter times or more.
func Failing(outbox []v1alpha1.Delivery) []v1alpha1.Delivery {
	var out []v1alpha1.Delivery
	for _, d := range outbox {
		if d.State == v1alpha1.DeliveryPending && d.Attempts >= FailingAfter {
			out = append(out, d)
		}
	}
	return out
}

// prune keeps the outbox bounded: the oldest sent deliveries beyond keepSent go; if it is still too
// long, sent deliveries go first, then the oldest pending ones.
func prune(outbox *[]v1alpha1.Delivery) (droppedPending []v1alpha1.Delivery) {
	var sent []int
	for i, d := range *outbox {
		if d.State != v1alpha1.DeliveryPending {
			sent = append(sent, i)
		}
	}
	drop := map[int]bool{}
	if len(*outbox) > MaxOutbox-keepSent && len(sent) > keepSent {
		sort.SliceStable(sent, func(a, b int) bool {
			return (*outbox)[sent[a]].RecordedAt.Before(&(*outbox)[sent[b]].RecordedAt)
		})
		for _, i := range sent[:len(sent)-keepSent] {
			drop[i] = true
		}
	}
	kept := (*outbox)[:0]
	for i, d := range *outbox {
		if !drop[i] {
			kept = append(kept, d)
		}
	}
	// Still too long: sent deliveries go first, then the oldest pending ones.
	for len(kept) > MaxOutbox {
		victim := 0
		for i, d := range kept {
			if d.State != v1alpha1.DeliveryPending {
				victim = i
				break
			}
		}
		if kept[victim].State == v1alpha1.DeliveryPending {
			droppedPending = append(droppedPending, kept[victim])
		}
		kept = append(kept[:victim], kept[victim+1:]...)
	}
	*outbox = kept
	return droppedPending
}

func boundedFacts(facts map[string]string) map[string]string {
	if len(facts) == 0 {
		return nil
	}
	keys := make([]string, 0, len(facts))
	for k, v := range facts {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make(map[string]string, min(len(keys), maxFacts))
	for _, k := range keys[:min(len(keys), maxFacts)] {
		out[k] = truncate(facts[k], 2048)
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
