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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

// Outbox bounds and retry policy.
const (
	// MaxOutbox is the most deliveries an object records; the oldest sent ones go first.
	MaxOutbox = 64
	// MaxOutboxBytes is the most bytes of JSON an outbox takes once a delivery is recorded: beyond it the
	// oldest sent deliveries go, then the oldest pending ones. The CRDs allow its ids, recipients and facts
	// as many characters in all (a character is at least a byte), so that no object nears etcd's request
	// limit whatever it holds (api/v1alpha1/size_test.go adds it up).
	MaxOutboxBytes = 256 << 10
	// MaxFactBytes bounds the value of a fact; a longer one is cut on a character boundary and ends with
	// truncationMark.
	MaxFactBytes = 2048
	// MaxFactName bounds the name of a fact; the CRDs refuse longer ones, so Record leaves them out.
	MaxFactName = 64
	// maxIDBytes is the CRDs' bound on a delivery's id; a longer key is shortened (deliveryID).
	maxIDBytes = 512
	// maxErrorBytes bounds lastError.
	maxErrorBytes = 1024
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

// truncationMark ends a value that was cut to fit its bound.
const truncationMark = "…"

// Record adds one Pending delivery of n per channel, unless the outbox already holds it: the same cause
// (the same key) never yields two deliveries on a channel. It keeps the outbox within MaxOutbox
// deliveries and MaxOutboxBytes, sent deliveries going before pending ones, and returns the pending
// deliveries it had to drop, never sent, for the caller to report.
func Record(outbox *[]v1alpha1.Delivery, n Notification, channels []string, now time.Time) (dropped []v1alpha1.Delivery) {
	recipients := make([]string, 0, len(n.Recipients))
	for _, r := range n.Recipients {
		recipients = append(recipients, r.Contact)
	}
	facts := boundedFacts(n.Facts)
	for part, chunk := range chunks(recipients, maxRecipients) {
		key := n.Key
		if part > 0 {
			key += "#" + strconv.Itoa(part)
		}
		for _, ch := range channels {
			id := deliveryID(key, ch)
			if slices.ContainsFunc(*outbox, func(d v1alpha1.Delivery) bool { return d.ID == id }) {
				continue
			}
			*outbox = append(*outbox, v1alpha1.Delivery{
				ID: id, Type: string(n.Type), Channel: ch, Recipients: chunk, Facts: maps.Clone(facts),
				State: v1alpha1.DeliveryPending, RecordedAt: metav1.NewTime(now),
			})
		}
	}
	dropped = prune(outbox)
	return append(dropped, fit(outbox, MaxOutboxBytes)...)
}

// deliveryID is KEY/CHANNEL. A key too long for the CRDs' bound on ids (a notice's id is the requester's)
// keeps its beginning and ends with a hash of the whole key, so that two keys never share an id and the
// same key always gets the same one.
func deliveryID(key, channel string) string {
	id := key + "/" + channel
	if len(id) <= maxIDBytes {
		return id
	}
	sum := sha256.Sum256([]byte(key))
	hash := "~" + hex.EncodeToString(sum[:16])
	return cutBytes(key, maxIDBytes-len(hash)-len("/"+channel)) + hash + "/" + channel
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
	d.State, d.SentAt, d.NextAttemptAt, d.LastError = v1alpha1.DeliveryDropped, &t, nil, truncate(reason, maxErrorBytes)
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
	d.LastError = truncate(err.Error(), maxErrorBytes)
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

// fit keeps the JSON of the outbox within limit bytes: the oldest sent (or dropped) deliveries go first,
// and only when they are not enough the oldest pending ones, which it returns.
func fit(outbox *[]v1alpha1.Delivery, limit int) (droppedPending []v1alpha1.Delivery) {
	sizes := make([]int, len(*outbox))
	total := 2 + max(len(*outbox)-1, 0) // [ , ]
	for i := range *outbox {
		sizes[i] = jsonSize((*outbox)[i])
		total += sizes[i]
	}
	if total <= limit {
		return nil
	}
	order := make([]int, len(*outbox))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		da, db := (*outbox)[order[a]], (*outbox)[order[b]]
		if pa, pb := da.State == v1alpha1.DeliveryPending, db.State == v1alpha1.DeliveryPending; pa != pb {
			return pb // sent before pending
		}
		return da.RecordedAt.Before(&db.RecordedAt)
	})
	drop := map[int]bool{}
	for _, i := range order {
		if total <= limit {
			break
		}
		drop[i] = true
		total -= sizes[i] + 1
		if (*outbox)[i].State == v1alpha1.DeliveryPending {
			droppedPending = append(droppedPending, (*outbox)[i])
		}
	}
	kept := (*outbox)[:0]
	for i, d := range *outbox {
		if !drop[i] {
			kept = append(kept, d)
		}
	}
	*outbox = kept
	return droppedPending
}

// jsonSize is the size of d in the JSON the API server stores.
func jsonSize(d v1alpha1.Delivery) int {
	b, err := json.Marshal(d)
	if err != nil {
		return 0 // a Delivery always encodes
	}
	return len(b)
}

// boundedFacts keeps the first maxFacts facts by name that have a value and a name within MaxFactName,
// each value cut to MaxFactBytes.
func boundedFacts(facts map[string]string) map[string]string {
	if len(facts) == 0 {
		return nil
	}
	keys := make([]string, 0, len(facts))
	for k, v := range facts {
		if v != "" && len(k) <= MaxFactName {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make(map[string]string, min(len(keys), maxFacts))
	for _, k := range keys[:min(len(keys), maxFacts)] {
		out[k] = truncate(facts[k], MaxFactBytes)
	}
	return out
}

// truncate returns s when it fits in n bytes, else its beginning cut on a character boundary and ended
// with truncationMark, n bytes at most in all.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cutBytes(s, n-len(truncationMark)) + truncationMark
}

// cutBytes returns the longest beginning of s of at most n bytes that ends on a character boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
