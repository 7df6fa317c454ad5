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
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

// outboxNow is the clock of the outbox tests.
var outboxNow = time.Date(2026, time.March, 4, 5, 6, 7, 0, time.UTC)

func outboxNotification(key string) Notification {
	return Notification{
		Key:  key,
		Type: RoleGranted,
		Recipients: []Recipient{
			{Contact: "alice", DisplayName: "Alice", Email: "alice@acme.example"},
			{Contact: "frank", DisplayName: "Frank", Email: "frank@acme.example"},
		},
		Facts: map[string]string{"role": "technical", "to": "frank"},
	}
}

func at(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}

func TestOutboxRecordOneDeliveryPerChannel(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	Record(&outbox, outboxNotification("uid-1/RoleGranted/3"), []string{"email", "webhook/ops"}, outboxNow)

	want := func(channel string) v1alpha1.Delivery {
		return v1alpha1.Delivery{
			ID: "uid-1/RoleGranted/3/" + channel, Type: "RoleGranted", Channel: channel,
			Recipients: []string{"alice", "frank"},
			Facts:      map[string]string{"role": "technical", "to": "frank"},
			State:      v1alpha1.DeliveryPending, RecordedAt: metav1.NewTime(outboxNow),
		}
	}
	g.Expect(outbox).To(Equal([]v1alpha1.Delivery{want("email"), want("webhook/ops")}))
}

func TestOutboxRecordSameKeyTwiceRecordsNothingNew(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	n := outboxNotification("uid-1/RoleGranted/3")
	Record(&outbox, n, []string{"email", "webhook/ops"}, outboxNow)
	MarkSent(&outbox[0], outboxNow)
	first := append([]v1alpha1.Delivery(nil), outbox...)

	again := n
	again.Recipients = []Recipient{{Contact: "bob"}}
	again.Facts = map[string]string{"role": "billing"}
	Record(&outbox, again, []string{"email", "webhook/ops"}, outboxNow.Add(time.Hour))
	g.Expect(outbox).To(Equal(first), "the same key must not be recorded again, nor change the recorded deliveries")

	// A channel added since records the same key on that channel only.
	Record(&outbox, n, []string{"email", "webhook/ops", "notifier"}, outboxNow.Add(time.Hour))
	g.Expect(outbox).To(HaveLen(3))
	g.Expect(outbox[:2]).To(Equal(first))
	g.Expect(outbox[2].ID).To(Equal("uid-1/RoleGranted/3/notifier"))
	g.Expect(outbox[2].State).To(Equal(v1alpha1.DeliveryPending))

	// Another key is another notification.
	Record(&outbox, outboxNotification("uid-1/RoleGranted/4"), []string{"email"}, outboxNow)
	g.Expect(outbox).To(HaveLen(4))
	g.Expect(outbox[3].ID).To(Equal("uid-1/RoleGranted/4/email"))
}

func TestOutboxRecordWithoutChannelsRecordsNothing(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	Record(&outbox, outboxNotification("uid-1/RoleGranted/3"), nil, outboxNow)
	g.Expect(outbox).To(BeEmpty())
}

func TestOutboxRecordFacts(t *testing.T) {
	many := map[string]string{"empty-a": "", "empty-b": ""}
	for i := range 20 {
		many[fmt.Sprintf("fact-%02d", i)] = fmt.Sprintf("value-%02d", i)
	}
	first16 := map[string]string{}
	for i := range 16 {
		first16[fmt.Sprintf("fact-%02d", i)] = fmt.Sprintf("value-%02d", i)
	}
	tests := []struct {
		name  string
		facts map[string]string
		want  map[string]string
	}{
		{name: "no facts", facts: nil, want: nil},
		{name: "empty values are dropped", facts: map[string]string{"role": "technical", "reason": "", "scope": ""},
			want: map[string]string{"role": "technical"}},
		{name: "bounded to the first 16 keys in order, after empty values are dropped", facts: many, want: first16},
		{name: "long values are cut to 2048 bytes, ending with a mark", facts: map[string]string{"body": strings.Repeat("x", 3000)},
			want: map[string]string{"body": strings.Repeat("x", 2045) + "…"}},
		{name: "names longer than 64 bytes are left out",
			facts: map[string]string{strings.Repeat("n", 65): "v", strings.Repeat("m", 64): "w"},
			want:  map[string]string{strings.Repeat("m", 64): "w"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var outbox []v1alpha1.Delivery
			n := outboxNotification("k")
			n.Facts = tt.facts
			Record(&outbox, n, []string{"email"}, outboxNow)
			g.Expect(outbox).To(HaveLen(1))
			if tt.want == nil {
				g.Expect(outbox[0].Facts).To(BeNil())
			} else {
				g.Expect(outbox[0].Facts).To(Equal(tt.want))
			}
		})
	}
}

func TestOutboxRecordRecipientsAreContactNames(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	n := outboxNotification("k")
	n.Recipients = []Recipient{{Contact: "bob", Email: "bob@acme.example", Token: "secret-token", Link: "https://x/?t=secret-token"}}
	Record(&outbox, n, []string{"email"}, outboxNow)
	g.Expect(outbox).To(HaveLen(1))
	g.Expect(outbox[0].Recipients).To(Equal([]string{"bob"}))
	g.Expect(fmt.Sprintf("%+v", outbox[0])).NotTo(ContainSubstring("secret-token"))
}

func TestKeyOf(t *testing.T) {
	tests := []struct {
		name string
		d    v1alpha1.Delivery
		want string
	}{
		{name: "email", d: v1alpha1.Delivery{ID: "uid-1/TransferRequested/round-1/email", Channel: "email"}, want: "uid-1/TransferRequested/round-1"},
		{name: "webhook with a slash in its channel", d: v1alpha1.Delivery{ID: "uid-1/RoleGranted/3/webhook/ops", Channel: "webhook/ops"}, want: "uid-1/RoleGranted/3"},
		{name: "an id without its channel is returned whole", d: v1alpha1.Delivery{ID: "uid-1/RoleGranted/3", Channel: "email"}, want: "uid-1/RoleGranted/3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(KeyOf(tt.d)).To(Equal(tt.want))
		})
	}
}

func TestKeyOfRecordedDeliveries(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	Record(&outbox, outboxNotification("uid-9/Notice/7"), []string{"email", "webhook/ops", "notifier"}, outboxNow)
	g.Expect(outbox).To(HaveLen(3))
	for _, d := range outbox {
		g.Expect(KeyOf(d)).To(Equal("uid-9/Notice/7"))
	}
}

func TestDue(t *testing.T) {
	pending := func(next *metav1.Time) v1alpha1.Delivery {
		return v1alpha1.Delivery{State: v1alpha1.DeliveryPending, NextAttemptAt: next}
	}
	sent := v1alpha1.Delivery{State: v1alpha1.DeliverySent, SentAt: at(outboxNow.Add(-time.Hour))}
	sentWithOldRetry := v1alpha1.Delivery{State: v1alpha1.DeliverySent, NextAttemptAt: at(outboxNow.Add(-time.Minute))}
	tests := []struct {
		name     string
		outbox   []v1alpha1.Delivery
		wantDue  []int
		wantNext time.Duration
	}{
		{name: "empty outbox"},
		{name: "a new pending delivery is due now", outbox: []v1alpha1.Delivery{pending(nil)}, wantDue: []int{0}},
		{name: "a retry time in the past is due", outbox: []v1alpha1.Delivery{pending(at(outboxNow.Add(-time.Second)))}, wantDue: []int{0}},
		{name: "a retry time of exactly now is due", outbox: []v1alpha1.Delivery{pending(at(outboxNow))}, wantDue: []int{0}},
		{name: "a retry time in the future is not due and sets next",
			outbox: []v1alpha1.Delivery{pending(at(outboxNow.Add(30 * time.Second)))}, wantNext: 30 * time.Second},
		{name: "sent deliveries are never due", outbox: []v1alpha1.Delivery{sent, sentWithOldRetry}},
		{
			name: "mixed: due indexes and the soonest later retry",
			outbox: []v1alpha1.Delivery{
				sent,
				pending(nil),
				pending(at(outboxNow.Add(2 * time.Minute))),
				sentWithOldRetry,
				pending(at(outboxNow.Add(-time.Minute))),
				pending(at(outboxNow.Add(45 * time.Second))),
				pending(at(outboxNow.Add(5 * time.Minute))),
			},
			wantDue:  []int{1, 4},
			wantNext: 45 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			due, next := Due(tt.outbox, outboxNow)
			g.Expect(due).To(Equal(tt.wantDue))
			g.Expect(next).To(Equal(tt.wantNext))
		})
	}
}

func TestMarkSent(t *testing.T) {
	g := NewWithT(t)
	d := v1alpha1.Delivery{ID: "k/email", Channel: "email", State: v1alpha1.DeliveryPending, Attempts: 2,
		LastError: "timeout", NextAttemptAt: at(outboxNow.Add(-time.Second)), RecordedAt: metav1.NewTime(outboxNow.Add(-time.Hour))}

	MarkSent(&d, outboxNow)

	g.Expect(d).To(Equal(v1alpha1.Delivery{ID: "k/email", Channel: "email", State: v1alpha1.DeliverySent, Attempts: 2,
		SentAt: at(outboxNow), RecordedAt: metav1.NewTime(outboxNow.Add(-time.Hour))}))
	due, next := Due([]v1alpha1.Delivery{d}, outboxNow.Add(time.Hour))
	g.Expect(due).To(BeEmpty())
	g.Expect(next).To(BeZero())
}

func TestMarkFailed(t *testing.T) {
	g := NewWithT(t)
	d := v1alpha1.Delivery{ID: "k/email", Channel: "email", State: v1alpha1.DeliveryPending}

	MarkFailed(&d, errors.New("535 authentication failed"), outboxNow)
	g.Expect(d.Attempts).To(Equal(int32(1)))
	g.Expect(d.LastError).To(Equal("535 authentication failed"))
	g.Expect(d.State).To(Equal(v1alpha1.DeliveryPending))
	g.Expect(d.NextAttemptAt).NotTo(BeNil())

	long := strings.Repeat("e", 2000)
	MarkFailed(&d, errors.New(long), outboxNow)
	g.Expect(d.Attempts).To(Equal(int32(2)))
	g.Expect(d.LastError).To(Equal(long[:1021] + "…"))
	g.Expect(d.State).To(Equal(v1alpha1.DeliveryPending))

	// A failed delivery is not due before its retry time, and is due from it on.
	due, next := Due([]v1alpha1.Delivery{d}, outboxNow)
	g.Expect(due).To(BeEmpty())
	g.Expect(next).To(Equal(d.NextAttemptAt.Sub(outboxNow)))
	due, _ = Due([]v1alpha1.Delivery{d}, d.NextAttemptAt.Time)
	g.Expect(due).To(Equal([]int{0}))
}

func TestMarkFailedBackoff(t *testing.T) {
	tests := []struct {
		attempts int32 // attempts before the failure
		base     time.Duration
	}{
		{0, 5 * time.Second},
		{1, 10 * time.Second},
		{2, 20 * time.Second},
		{3, 40 * time.Second},
		{4, 80 * time.Second},
		{5, 160 * time.Second},
		{6, 320 * time.Second},
		{7, 10 * time.Minute}, // 640 s is capped
		{8, 10 * time.Minute},
		{16, 10 * time.Minute},
		{40, 10 * time.Minute},
		{1000, 10 * time.Minute},
	}
	const calls = 300
	for _, tt := range tests {
		t.Run(fmt.Sprintf("after %d attempts", tt.attempts), func(t *testing.T) {
			g := NewWithT(t)
			lo := time.Duration(0.8 * float64(tt.base))
			hi := time.Duration(1.2 * float64(tt.base))
			shortest, longest := time.Duration(1<<62), time.Duration(0)
			for range calls {
				d := v1alpha1.Delivery{State: v1alpha1.DeliveryPending, Attempts: tt.attempts}
				MarkFailed(&d, errors.New("boom"), outboxNow)
				g.Expect(d.Attempts).To(Equal(tt.attempts + 1))
				g.Expect(d.NextAttemptAt).NotTo(BeNil())
				wait := d.NextAttemptAt.Sub(outboxNow)
				g.Expect(wait).To(And(BeNumerically(">=", lo), BeNumerically("<=", hi)),
					"wait %s outside [%s, %s]", wait, lo, hi)
				shortest, longest = min(shortest, wait), max(longest, wait)
			}
			// The jitter spreads the retries: over many calls some land well below and some well above the
			// base delay (each side of ±10 % has a 1 in 4 chance per call).
			g.Expect(shortest).To(BeNumerically("<", time.Duration(0.9*float64(tt.base))))
			g.Expect(longest).To(BeNumerically(">", time.Duration(1.1*float64(tt.base))))
		})
	}
}

func TestFailing(t *testing.T) {
	d := func(id string, state v1alpha1.DeliveryState, attempts int32) v1alpha1.Delivery {
		return v1alpha1.Delivery{ID: id, State: state, Attempts: attempts}
	}
	tests := []struct {
		name    string
		outbox  []v1alpha1.Delivery
		wantIDs []string
	}{
		{name: "empty outbox"},
		{name: "fewer than 3 attempts is not failing",
			outbox: []v1alpha1.Delivery{d("a", v1alpha1.DeliveryPending, 0), d("b", v1alpha1.DeliveryPending, 2)}},
		{name: "a sent delivery is not failing whatever its attempts",
			outbox: []v1alpha1.Delivery{d("a", v1alpha1.DeliverySent, 3), d("b", v1alpha1.DeliverySent, 9)}},
		{
			name: "pending deliveries with 3 or more attempts, in outbox order",
			outbox: []v1alpha1.Delivery{d("a", v1alpha1.DeliveryPending, 7), d("b", v1alpha1.DeliveryPending, 2),
				d("c", v1alpha1.DeliverySent, 4), d("d", v1alpha1.DeliveryPending, 3)},
			wantIDs: []string{"a", "d"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var ids []string
			for _, f := range Failing(tt.outbox) {
				ids = append(ids, f.ID)
			}
			g.Expect(ids).To(Equal(tt.wantIDs))
		})
	}
}

// TestOutboxPruneKeepsPendingAndNewestSent records 100 notifications, marking all but every tenth sent.
func TestOutboxPruneKeepsPendingAndNewestSent(t *testing.T) {
	g := NewWithT(t)
	isPending := func(i int) bool { return i%10 == 9 }
	id := func(i int) string { return fmt.Sprintf("uid-1/RoleGranted/%03d/email", i) }
	var outbox []v1alpha1.Delivery
	for i := range 100 {
		Record(&outbox, outboxNotification(fmt.Sprintf("uid-1/RoleGranted/%03d", i)), []string{"email"},
			outboxNow.Add(time.Duration(i)*time.Minute))
		if !isPending(i) {
			last := &outbox[len(outbox)-1]
			g.Expect(last.ID).To(Equal(id(i)))
			MarkSent(last, outboxNow.Add(time.Duration(i)*time.Minute))
		}
		g.Expect(len(outbox)).To(BeNumerically("<=", 64))
	}

	var wantPending, wantSent []string
	for i := 99; i >= 0; i-- {
		switch {
		case isPending(i):
			wantPending = append(wantPending, id(i))
		case len(wantSent) < 32:
			wantSent = append(wantSent, id(i))
		}
	}
	var gotPending, gotSent []string
	for _, d := range outbox {
		if d.State == v1alpha1.DeliveryPending {
			gotPending = append(gotPending, d.ID)
		} else {
			gotSent = append(gotSent, d.ID)
		}
	}
	g.Expect(outbox).To(HaveLen(42))
	g.Expect(gotPending).To(ConsistOf(wantPending), "every pending delivery is kept")
	g.Expect(gotSent).To(ConsistOf(wantSent), "the 32 newest sent deliveries are kept")
}

func TestOutboxPruneBoundsPendingDeliveries(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	for i := range 100 {
		Record(&outbox, outboxNotification(fmt.Sprintf("k%03d", i)), []string{"email"}, outboxNow.Add(time.Duration(i)*time.Second))
	}
	g.Expect(outbox).To(HaveLen(64))
	g.Expect(outbox[0].ID).To(Equal("k036/email"), "the oldest go first")
	g.Expect(outbox[63].ID).To(Equal("k099/email"))
}

func TestPrune(t *testing.T) {
	// entry is a delivery recorded minute minutes after outboxNow.
	entry := func(name string, state v1alpha1.DeliveryState, minute int) v1alpha1.Delivery {
		return v1alpha1.Delivery{ID: name, State: state, RecordedAt: metav1.NewTime(outboxNow.Add(time.Duration(minute) * time.Minute))}
	}
	ids := func(outbox []v1alpha1.Delivery) []string {
		out := make([]string, 0, len(outbox))
		for _, d := range outbox {
			out = append(out, d.ID)
		}
		return out
	}

	t.Run("nothing goes while at most 32 are sent", func(t *testing.T) {
		g := NewWithT(t)
		var outbox []v1alpha1.Delivery
		for i := range 32 {
			outbox = append(outbox, entry(fmt.Sprintf("s%02d", i), v1alpha1.DeliverySent, i))
			outbox = append(outbox, entry(fmt.Sprintf("p%02d", i), v1alpha1.DeliveryPending, i))
		}
		want := ids(outbox)
		prune(&outbox)
		g.Expect(ids(outbox)).To(Equal(want))
	})

	t.Run("the oldest sent by recordedAt go, not the first in the list", func(t *testing.T) {
		g := NewWithT(t)
		var outbox []v1alpha1.Delivery
		for i := range 33 {
			outbox = append(outbox, entry(fmt.Sprintf("s%02d", i), v1alpha1.DeliverySent, 100+i))
		}
		// The oldest sent delivery sits at the end of the list; a pending one older still is kept.
		outbox = append(outbox, entry("oldest-sent", v1alpha1.DeliverySent, 1), entry("old-pending", v1alpha1.DeliveryPending, 0))
		prune(&outbox)
		got := ids(outbox)
		g.Expect(got).To(HaveLen(33))
		g.Expect(got).NotTo(ContainElement("oldest-sent"))
		g.Expect(got).NotTo(ContainElement("s00"))
		g.Expect(got).To(ContainElements("s01", "s32", "old-pending"))
	})
}

func TestOutboxPruneDropsSentBeforePending(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	now := time.Now()
	for i := range 40 {
		Record(&outbox, Notification{Key: fmt.Sprintf("sent-%02d", i), Type: RoleGranted}, []string{"email"}, now)
		MarkSent(&outbox[len(outbox)-1], now)
	}
	for i := range 50 {
		Record(&outbox, Notification{Key: fmt.Sprintf("pending-%02d", i), Type: RoleGranted}, []string{"email"}, now)
	}
	g.Expect(outbox).To(HaveLen(MaxOutbox))
	pending := 0
	for _, d := range outbox {
		if d.State == v1alpha1.DeliveryPending {
			pending++
		}
	}
	g.Expect(pending).To(Equal(50), "every unsent delivery is kept while sent ones can go")
}

func TestOutboxRecordReportsThePendingItDrops(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	now := time.Now()
	for i := range MaxOutbox {
		g.Expect(Record(&outbox, Notification{Key: fmt.Sprintf("pending-%02d", i), Type: RoleGranted}, []string{"email"}, now)).To(BeEmpty())
	}
	dropped := Record(&outbox, Notification{Key: "one-too-many", Type: Notice}, []string{"email"}, now)
	g.Expect(dropped).To(HaveLen(1))
	g.Expect(dropped[0].ID).To(Equal("pending-00/email"), "the oldest pending one goes, and the caller hears of it")
	g.Expect(outbox).To(HaveLen(MaxOutbox))
}

func TestOutboxRecordSplitsALargeAudience(t *testing.T) {
	g := NewWithT(t)
	n := Notification{Key: "org/Notice/cve", Type: Notice}
	for i := range 70 {
		n.Recipients = append(n.Recipients, Recipient{Contact: fmt.Sprintf("c%02d", i)})
	}
	var outbox []v1alpha1.Delivery
	Record(&outbox, n, []string{"email", "webhook/audit"}, time.Now())
	g.Expect(outbox).To(HaveLen(4))
	g.Expect(outbox[0].ID).To(Equal("org/Notice/cve/email"))
	g.Expect(outbox[0].Recipients).To(HaveLen(50))
	g.Expect(outbox[2].ID).To(Equal("org/Notice/cve#1/email"))
	g.Expect(outbox[2].Recipients).To(HaveLen(20))
	g.Expect(KeyOf(outbox[2])).To(Equal("org/Notice/cve#1"), "each part has its own idempotency key")
	Record(&outbox, n, []string{"email", "webhook/audit"}, time.Now())
	g.Expect(outbox).To(HaveLen(4), "the same cause records nothing new")
}

func TestMarkDropped(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	Record(&outbox, Notification{Key: "k", Type: RoleGranted, Recipients: []Recipient{{Contact: "a"}}}, []string{"webhook/gone"}, time.Now())
	MarkDropped(&outbox[0], "channel removed", time.Now())
	due, next := Due(outbox, time.Now())
	g.Expect(due).To(BeEmpty())
	g.Expect(next).To(BeZero())
	g.Expect(Failing(outbox)).To(BeEmpty())
	g.Expect(outbox[0].State).To(Equal(v1alpha1.DeliveryDropped))
}

// fatNotification records about 33 KiB per channel: 16 facts of 2048 bytes.
func fatNotification(key string) Notification {
	n := Notification{Key: key, Type: Notice, Recipients: []Recipient{{Contact: "alice"}}, Facts: map[string]string{}}
	for i := range 16 {
		n.Facts[fmt.Sprintf("fact-%02d", i)] = strings.Repeat("x", MaxFactBytes)
	}
	return n
}

func outboxJSONSize(t *testing.T, outbox []v1alpha1.Delivery) int {
	t.Helper()
	b, err := json.Marshal(outbox)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestOutboxRecordKeepsTheBudget(t *testing.T) {
	// fits is how many fat deliveries the budget holds.
	var one []v1alpha1.Delivery
	Record(&one, fatNotification("probe"), []string{"email"}, outboxNow)
	perEntry := outboxJSONSize(t, one) - 2
	fits := (MaxOutboxBytes - 2 + 1) / (perEntry + 1)
	if fits < 4 || fits >= MaxOutbox {
		t.Fatalf("a fat delivery takes %d bytes: the budget holds %d of them; the cases below want a few", perEntry, fits)
	}

	// existing builds an outbox of fat deliveries, the i-th recorded i minutes after outboxNow, sent when
	// its letter in states is s, pending when p.
	existing := func(states string) []v1alpha1.Delivery {
		var outbox []v1alpha1.Delivery
		for i, st := range states {
			Record(&outbox, fatNotification(fmt.Sprintf("k%02d", i)), []string{"email"}, outboxNow.Add(time.Duration(i)*time.Minute))
			if st == 's' {
				MarkSent(&outbox[len(outbox)-1], outboxNow.Add(time.Duration(i)*time.Minute))
			}
		}
		return outbox
	}
	id := func(i int) string { return fmt.Sprintf("k%02d/email", i) }
	ids := func(outbox []v1alpha1.Delivery) []string {
		var out []string
		for _, d := range outbox {
			out = append(out, d.ID)
		}
		return out
	}
	// kept lists the ids of n existing deliveries but gone, then those of the new one on channels.
	kept := func(n int, gone []int, channels ...string) []string {
		var out []string
		for i := range n {
			if !slices.Contains(gone, i) {
				out = append(out, id(i))
			}
		}
		for _, ch := range channels {
			out = append(out, "new/"+ch)
		}
		return out
	}
	tests := []struct {
		name        string
		states      string
		channels    []string // of the new delivery
		wantIDs     []string
		wantDropped []string
	}{
		{name: "under the budget nothing goes", states: strings.Repeat("p", fits-1), channels: []string{"email"},
			wantIDs: kept(fits-1, nil, "email")},
		{name: "over the budget the oldest sent goes, even when a pending one is older",
			states: "pss" + strings.Repeat("p", fits-3), channels: []string{"email"},
			wantIDs: kept(fits, []int{1}, "email")},
		{name: "sent deliveries go oldest first, as many as needed",
			states: "sps" + strings.Repeat("s", fits-3), channels: []string{"email", "webhook/ops"},
			wantIDs: kept(fits, []int{0, 2}, "email", "webhook/ops")},
		{name: "pending deliveries go only when no sent one is left, oldest first, and are reported",
			states: "psp" + strings.Repeat("p", fits-3), channels: []string{"email", "webhook/ops", "notifier"},
			wantIDs: kept(fits, []int{0, 1, 2}, "email", "webhook/ops", "notifier"), wantDropped: []string{id(0), id(2)}},
		{name: "the new delivery itself stays: the oldest go", states: strings.Repeat("p", fits), channels: []string{"email"},
			wantIDs: kept(fits, []int{0}, "email"), wantDropped: []string{id(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			outbox := existing(tt.states)
			g.Expect(outboxJSONSize(t, outbox)).To(BeNumerically("<=", MaxOutboxBytes), "the outbox before")

			dropped := Record(&outbox, fatNotification("new"), tt.channels, outboxNow.Add(time.Hour))

			g.Expect(ids(outbox)).To(Equal(tt.wantIDs))
			g.Expect(ids(dropped)).To(Equal(tt.wantDropped))
			g.Expect(outboxJSONSize(t, outbox)).To(BeNumerically("<=", MaxOutboxBytes))
		})
	}
}

func TestOutboxRecordStaysWithinTheCRDs(t *testing.T) {
	g := NewWithT(t)
	var outbox []v1alpha1.Delivery
	long := strings.Repeat("é", 300) // a notice id of 600 bytes
	for i := range 300 {
		n := fatNotification(fmt.Sprintf("uid-1/Notice/%s-%03d", long[:2*(i%300)], i))
		for j := range i % 120 { // up to 3 parts of 50 recipients of 253 characters
			n.Recipients = append(n.Recipients, Recipient{Contact: fmt.Sprintf("%0253d", j)})
		}
		for k := range n.Facts {
			n.Facts[k] = n.Facts[k][:i%MaxFactBytes]
		}
		Record(&outbox, n, []string{"email", "webhook/" + strings.Repeat("w", 63)}, outboxNow.Add(time.Duration(i)*time.Second))
		if i%3 == 0 {
			MarkSent(&outbox[len(outbox)-1], outboxNow)
		}

		g.Expect(len(outbox)).To(BeNumerically("<=", MaxOutbox))
		g.Expect(outboxJSONSize(t, outbox)).To(BeNumerically("<=", MaxOutboxBytes))
		chars := 0
		for _, d := range outbox {
			g.Expect(utf8.RuneCountInString(d.ID)).To(BeNumerically("<=", 512), "the CRDs' maxLength of id")
			chars += utf8.RuneCountInString(d.ID)
			for _, r := range d.Recipients {
				chars += utf8.RuneCountInString(r)
			}
			for k, v := range d.Facts {
				chars += utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
			}
		}
		g.Expect(chars).To(BeNumerically("<=", MaxOutboxBytes))
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "a value within the bound is kept", in: strings.Repeat("x", 2048), want: strings.Repeat("x", 2048)},
		{name: "one byte over is cut with a mark", in: strings.Repeat("x", 2049), want: strings.Repeat("x", 2045) + "…"},
		{name: "two-byte characters", in: strings.Repeat("é", 1100), want: strings.Repeat("é", 1022) + "…"},
		{name: "a three-byte character is not split", in: strings.Repeat("€", 1000), want: strings.Repeat("€", 681) + "…"},
		{name: "a four-byte character is not split", in: "x" + strings.Repeat("😀", 600), want: "x" + strings.Repeat("😀", 511) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var outbox []v1alpha1.Delivery
			n := outboxNotification("k")
			n.Facts = map[string]string{"body": tt.in}
			Record(&outbox, n, []string{"email"}, outboxNow)
			got := outbox[0].Facts["body"]
			g.Expect(got).To(Equal(tt.want))
			g.Expect(len(got)).To(BeNumerically("<=", MaxFactBytes))
			g.Expect(utf8.ValidString(got)).To(BeTrue())
		})
	}
}

func TestOutboxIDsStayUnique(t *testing.T) {
	long := "uid-1/Notice/" + strings.Repeat("n", 600)
	tests := []struct {
		name    string
		keys    []string
		channel string
	}{
		{name: "ids within the bound are KEY/CHANNEL", keys: []string{"uid-1/RoleGranted/3", "uid-1/RoleGranted/4"}, channel: "email"},
		{name: "long keys that differ only at their end", keys: []string{long + "-a", long + "-b"}, channel: "webhook/audit"},
		{name: "a long key and its parts", keys: []string{long, long + "#1", long + "#2"}, channel: "email"},
		{name: "long keys of multibyte characters", keys: []string{strings.Repeat("é", 300) + "1", strings.Repeat("é", 300) + "2"}, channel: "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var outbox []v1alpha1.Delivery
			for _, k := range tt.keys {
				Record(&outbox, Notification{Key: k, Type: Notice}, []string{tt.channel}, outboxNow)
			}
			g.Expect(outbox).To(HaveLen(len(tt.keys)), "one delivery per key")
			seen := map[string]bool{}
			for i, d := range outbox {
				g.Expect(seen[d.ID]).To(BeFalse(), "ids are unique")
				seen[d.ID] = true
				g.Expect(len(d.ID)).To(BeNumerically("<=", 512))
				g.Expect(utf8.ValidString(d.ID)).To(BeTrue())
				g.Expect(d.ID).To(HaveSuffix("/" + tt.channel))
				if len(tt.keys[i])+len("/"+tt.channel) <= 512 {
					g.Expect(KeyOf(d)).To(Equal(tt.keys[i]), "a short key is the id's KEY")
				}
			}
			before := slices.Clone(outbox)
			for _, k := range tt.keys {
				Record(&outbox, Notification{Key: k, Type: Notice}, []string{tt.channel}, outboxNow.Add(time.Hour))
			}
			g.Expect(outbox).To(Equal(before), "the same key gets the same id: recorded once")
		})
	}
}
