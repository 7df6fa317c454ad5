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
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Delivery metrics, served with controller-runtime's on the manager's metrics endpoint.
var (
	sentTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_notifications_sent_total",
		Help: "Notifications delivered, by channel (email, webhook) and type.",
	}, []string{"channel", "type"})
	failedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_notifications_failed_total",
		Help: "Failed notification sends (each is retried), by channel and type.",
	}, []string{"channel", "type"})
	droppedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_notifications_dropped_total",
		Help: "Pending notifications dropped unsent because an object's outbox was full, by channel and type.",
	}, []string{"channel", "type"})
	deliverySeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "roster_notification_delivery_seconds",
		Help:    "Time from recording a notification to its delivery, by channel.",
		Buckets: []float64{0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600},
	}, []string{"channel"})
)

func init() {
	metrics.Registry.MustRegister(sentTotal, failedTotal, droppedTotal, deliverySeconds)
}

// ObserveSent counts a delivery and how long it took since it was recorded.
func ObserveSent(channel, typ string, seconds float64) {
	kind := ChannelKind(channel)
	sentTotal.WithLabelValues(kind, typ).Inc()
	deliverySeconds.WithLabelValues(kind).Observe(seconds)
}

// ObserveFailed counts a failed send.
func ObserveFailed(channel, typ string) {
	failedTotal.WithLabelValues(ChannelKind(channel), typ).Inc()
}

// ObserveDropped counts a pending delivery dropped unsent.
func ObserveDropped(channel, typ string) {
	droppedTotal.WithLabelValues(ChannelKind(channel), typ).Inc()
}

// ChannelKind keeps metric cardinality low: "webhook/audit" counts as "webhook".
func ChannelKind(channel string) string {
	for i := range channel {
		if channel[i] == '/' {
			return channel[:i]
		}
	}
	return channel
}

// Collectors are the delivery metrics, for the tests that list what the operator exports.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{sentTotal, failedTotal, droppedTotal, deliverySeconds}
}
