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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"roster.dev/roster/api/v1alpha1"
)

func TestAwaitsAssignments(t *testing.T) {
	start := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	org := types.NamespacedName{Namespace: "tenants", Name: "acme"}
	other := types.NamespacedName{Namespace: "tenants", Name: "globex"}
	tests := []struct {
		name string
		// arrivals of org's objects, as offsets from start
		arrived []time.Duration
		// arrivalsElsewhere are those of another organization
		arrivedElsewhere []time.Duration
		at               time.Duration
		created          time.Duration
		reported         bool
		held             []v1alpha1.HeldRole
		want             bool
	}{
		{name: "created alone", arrived: []time.Duration{0}, at: 10 * time.Millisecond, want: false},
		{name: "created with others", arrived: []time.Duration{0, 20 * time.Millisecond}, at: 30 * time.Millisecond, want: true},
		{name: "its roster arrived a while ago", arrived: []time.Duration{0, 20 * time.Millisecond}, at: 20*time.Millisecond + settleDelay, want: false},
		{name: "another organization is arriving", arrived: []time.Duration{0}, arrivedElsewhere: []time.Duration{0, 10 * time.Millisecond},
			at: 20 * time.Millisecond, want: false},
		{name: "it already holds a role", arrived: []time.Duration{0, 20 * time.Millisecond}, at: 30 * time.Millisecond,
			held: []v1alpha1.HeldRole{{Role: "billing"}}, want: false},
		{name: "it was reported before", arrived: []time.Duration{0, 20 * time.Millisecond}, at: 30 * time.Millisecond, reported: true, want: false},
		{name: "it waited long enough", arrived: []time.Duration{maxArrivalWait - 10*time.Millisecond, maxArrivalWait},
			at: maxArrivalWait + 10*time.Millisecond, want: false},
		{name: "nothing arrived", at: 0, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var now time.Time
			a := newArrivals()
			a.now = func() time.Time { return now }
			for _, d := range tt.arrived {
				now = start.Add(d)
				a.note(org)
			}
			for _, d := range tt.arrivedElsewhere {
				now = start.Add(d)
				a.note(other)
			}
			now = start.Add(tt.at)
			c := &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Namespace: org.Namespace, Name: "alice",
				CreationTimestamp: metav1.NewTime(start.Add(tt.created))}}
			c.Spec.OrganizationRef.Name = org.Name
			if tt.reported {
				c.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ReadyCondition, Status: metav1.ConditionTrue}}
			}
			if got := a.awaitsAssignments(c, tt.held); got != tt.want {
				t.Fatalf("awaitsAssignments = %v, want %v", got, tt.want)
			}
		})
	}
	var none *arrivals
	if none.awaitsAssignments(&v1alpha1.Contact{}, nil) {
		t.Fatal("a reconciler without arrivals must never wait")
	}
}
