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

	"roster.dev/roster/api/v1alpha1"
)

func TestAwaitsAssignments(t *testing.T) {
	orgCreated := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	const wait = 5 * time.Second
	tests := []struct {
		name string
		// created and at are the contact's creation and the reconcile's time, after the organization's
		created, at time.Duration
		reported    bool
		held        []v1alpha1.HeldRole
		// lastAssignment is the organization's newest assignment's creation, after the organization's
		lastAssignment time.Duration
		noOrg          bool
		wait           time.Duration
		want           bool
	}{
		{name: "created with its organization", created: time.Second, at: 2 * time.Second, want: true},
		{name: "created with its organization, waited long enough", created: time.Second, at: time.Second + wait, want: false},
		{name: "added to an older organization", created: rosterArrival, at: rosterArrival + 10*time.Millisecond, want: false},
		{name: "it holds a role and the roster has arrived", created: time.Second, at: 4 * time.Second, held: []v1alpha1.HeldRole{{Role: "billing"}},
			lastAssignment: 4*time.Second - rosterSettle, want: false},
		{name: "it holds a role and assignments are still arriving", created: time.Second, at: 2 * time.Second, held: []v1alpha1.HeldRole{{Role: "billing"}},
			lastAssignment: time.Second, want: true},
		{name: "assignments still arriving, waited long enough", created: time.Second, at: time.Second + wait, held: []v1alpha1.HeldRole{{Role: "billing"}},
			lastAssignment: wait, want: false},
		{name: "it was reported before", created: time.Second, at: 2 * time.Second, reported: true, want: false},
		{name: "its organization is missing", created: time.Second, at: 2 * time.Second, noOrg: true, want: false},
		{name: "no wait configured", created: time.Second, at: time.Second, wait: -1, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(orgCreated)}}
			if tt.noOrg {
				org = nil
			}
			c := &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(orgCreated.Add(tt.created))}}
			if tt.reported {
				c.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ReadyCondition, Status: metav1.ConditionTrue}}
			}
			w := wait
			if tt.wait < 0 {
				w = 0
			}
			if got := awaitsAssignments(c, org, tt.held, orgCreated.Add(tt.lastAssignment), w, orgCreated.Add(tt.at)); got != tt.want {
				t.Fatalf("awaitsAssignments = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestArrivalRecheck(t *testing.T) {
	created := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	const wait = 5 * time.Second
	holds := []v1alpha1.HeldRole{{Role: "billing"}}
	tests := []struct {
		name           string
		held           []v1alpha1.HeldRole
		lastAssignment time.Duration // after the contact's creation
		at             time.Duration
		want           time.Duration
	}{
		{name: "holding nothing: at the end of its wait", at: time.Second, want: wait - time.Second},
		{name: "holding roles: when the roster settled", held: holds, lastAssignment: time.Second, at: 1500 * time.Millisecond,
			want: time.Second + rosterSettle - 1500*time.Millisecond},
		{name: "holding roles, the roster settles after the wait: at the end of the wait", held: holds, lastAssignment: 4 * time.Second,
			at: 4 * time.Second, want: time.Second},
		{name: "already due: soon", at: wait + time.Second, want: 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &v1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)}}
			if got := arrivalRecheck(c, tt.held, created.Add(tt.lastAssignment), wait, created.Add(tt.at)); got != tt.want {
				t.Fatalf("arrivalRecheck = %v, want %v", got, tt.want)
			}
		})
	}
}
