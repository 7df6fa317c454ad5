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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DeliveryState is where a notification's delivery on one channel stands.
// +kubebuilder:validation:Enum=Pending;Sent;Dropped
type DeliveryState string

const (
	// DeliveryPending means the notification is recorded and not sent yet (or failed and will be retried).
	DeliveryPending DeliveryState = "Pending"
	// DeliverySent means the channel accepted the notification.
	DeliverySent DeliveryState = "Sent"
	// DeliveryDropped means the channel was removed from the Organization before the notification could
	// be sent; it will not be sent.
	DeliveryDropped DeliveryState = "Dropped"
)

// Delivery is one notification on one channel, recorded before it is sent and marked sent after, so that
// a restart resumes what was not sent and never sends again what was.
type Delivery struct {
	// id is the idempotency key: the email's Message-ID and the webhook's X-Roster-Delivery derive from it.
	// +required
	// +kubebuilder:validation:MaxLength=512
	ID string `json:"id"`

	// type is what the notification is about, e.g. TransferRequested.
	// +required
	// +kubebuilder:validation:MaxLength=64
	Type string `json:"type"`

	// channel is email, or webhook/NAME.
	// +required
	// +kubebuilder:validation:MaxLength=80
	Channel string `json:"channel"`

	// recipients are the names of the Contacts told (a larger audience is split over several deliveries).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	Recipients []string `json:"recipients,omitempty"`

	// facts are the details the message shows (role, from, to, ...). Never a token. Names are at most 64
	// characters, values at most 2048 (the operator cuts a longer value, and marks the cut with …).
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 64 && self[k].size() <= 2048)",message="fact names must be at most 64 characters and values at most 2048"
	Facts map[string]string `json:"facts,omitempty"`

	// state is Pending until the channel accepted it, then Sent; Dropped when its channel was removed.
	// +required
	State DeliveryState `json:"state"`

	// attempts counts the failed sends so far.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`

	// lastError is the last failure, without secrets.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	LastError string `json:"lastError,omitempty"`

	// recordedAt is when the notification was recorded.
	// +required
	RecordedAt metav1.Time `json:"recordedAt"`

	// nextAttemptAt is when a failed send is tried again.
	// +optional
	NextAttemptAt *metav1.Time `json:"nextAttemptAt,omitempty"`

	// sentAt is when the channel accepted it (or when it was dropped).
	// +optional
	SentAt *metav1.Time `json:"sentAt,omitempty"`
}

// NotificationsDeliveredCondition is False while a notification could not be delivered after several
// attempts; its message names the channel and the error.
const NotificationsDeliveredCondition = "NotificationsDelivered"

// Notification reasons.
const (
	// DeliveredReason means every recorded notification was delivered (or is being).
	DeliveredReason = "Delivered"
	// DeliveryFailingReason means a notification keeps failing on a channel.
	DeliveryFailingReason = "DeliveryFailing"
)

// NoticeAnnotation on an Organization asks the operator to send a notice to the holders of roles, as a
// JSON object {"id": "...", "roles": ["..."] (or "role": "..."), "scope": "...", "subject": "...",
// "body": "..."}; with a scope, holders of scoped roles get it only for that scope, and a role nobody
// holds there sends it to the primary contact. The operator records it in the outbox and removes the
// annotation. The id makes the request idempotent.
const NoticeAnnotation = "roster.dev/notice"
