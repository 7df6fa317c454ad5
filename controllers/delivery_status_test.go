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
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

func TestSetDeliveredCondition(t *testing.T) {
	pending := func(id, channel string, attempts int32, lastError string) v1alpha1.Delivery {
		return v1alpha1.Delivery{ID: id + "/" + channel, Type: "TransferRequested", Channel: channel, State: v1alpha1.DeliveryPending,
			Attempts: attempts, LastError: lastError, RecordedAt: metav1.NewTime(past)}
	}
	sent := func(id, channel string, attempts int32) v1alpha1.Delivery {
		d := pending(id, channel, attempts, "")
		d.State, d.SentAt = v1alpha1.DeliverySent, &metav1.Time{Time: past}
		return d
	}
	ready := condAt(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "fine", 2, past)
	tests := []struct {
		name    string
		initial []metav1.Condition
		outbox  []v1alpha1.Delivery
		want    []wantCondition
	}{
		{
			name: "an empty outbox removes the condition and keeps the others",
			initial: []metav1.Condition{ready,
				condAt(v1alpha1.NotificationsDeliveredCondition, metav1.ConditionTrue, v1alpha1.DeliveredReason, "delivered", 2, past)},
			want: []wantCondition{{v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ReconciledReason, "fine", 2}},
		},
		{
			name: "an empty outbox adds no condition",
		},
		{
			name:   "a delivery failing 3 times is DeliveryFailing naming the channel and error",
			outbox: []v1alpha1.Delivery{sent("k1", "email", 0), pending("k2", "webhook/ops", 3, "connection refused")},
			want: []wantCondition{{v1alpha1.NotificationsDeliveredCondition, metav1.ConditionFalse, v1alpha1.DeliveryFailingReason,
				"1 notification(s) not delivered; TransferRequested on webhook/ops failed 3 times: connection refused", 4}},
		},
		{
			name: "several failing deliveries are counted and the first is named",
			outbox: []v1alpha1.Delivery{pending("k1", "email", 5, "535 authentication failed"), pending("k2", "webhook/ops", 4, "timeout"),
				pending("k3", "email", 1, "")},
			want: []wantCondition{{v1alpha1.NotificationsDeliveredCondition, metav1.ConditionFalse, v1alpha1.DeliveryFailingReason,
				"2 notification(s) not delivered; TransferRequested on email failed 5 times: 535 authentication failed", 4}},
		},
		{
			name:   "two failed attempts are not failing yet",
			outbox: []v1alpha1.Delivery{pending("k1", "email", 2, "timeout")},
			want: []wantCondition{{v1alpha1.NotificationsDeliveredCondition, metav1.ConditionTrue, v1alpha1.DeliveredReason,
				"notifications are delivered", 4}},
		},
		{
			name:    "a sent delivery is delivered whatever its attempts, and replaces a failing condition",
			initial: []metav1.Condition{condAt(v1alpha1.NotificationsDeliveredCondition, metav1.ConditionFalse, v1alpha1.DeliveryFailingReason, "failing", 2, past)},
			outbox:  []v1alpha1.Delivery{sent("k1", "webhook/ops", 6)},
			want: []wantCondition{{v1alpha1.NotificationsDeliveredCondition, metav1.ConditionTrue, v1alpha1.DeliveredReason,
				"notifications are delivered", 4}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			conds := append([]metav1.Condition(nil), tt.initial...)
			setDeliveredCondition(&conds, 4, tt.outbox)
			expectConditions(g, conds, tt.want...)
		})
	}
}
