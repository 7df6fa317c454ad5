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
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"roster.dev/roster/api/v1alpha1"
)

// rosterArrival is how long after an organization's creation its roster is taken to be arriving: a
// GitOps tool applies an organization with its contacts and assignments.
const rosterArrival = 10 * time.Second

// rosterSettle is how long after an assignment's creation the roster it came with is taken to be still
// arriving: the settle delay, and a second more because creation timestamps have whole seconds.
const rosterSettle = settleDelay + time.Second

// awaitsAssignments tells whether contact c, never reported, waits for the assignments arriving with it
// before its first status, so that it is written once, with all its roles: only when it came with its
// organization's roster (within rosterArrival of the organization's creation), while it holds nothing
// or the organization's assignments are still arriving (the last created within rosterSettle), and
// never longer than wait after its own creation. A contact added to an older organization is Ready at
// once; so is one whose first reconcile comes after its roster has arrived.
func awaitsAssignments(c *v1alpha1.Contact, org *v1alpha1.Organization, held []v1alpha1.HeldRole, lastAssignment time.Time, wait time.Duration, now time.Time) bool {
	if org == nil || meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ReadyCondition) != nil {
		return false
	}
	if c.CreationTimestamp.Sub(org.CreationTimestamp.Time) >= rosterArrival || now.Sub(c.CreationTimestamp.Time) >= wait {
		return false
	}
	return len(held) == 0 || now.Sub(lastAssignment) < rosterSettle
}

// arrivalRecheck is when a contact that awaits its assignments looks again: when its wait ends, or, when
// it holds roles already, when its organization's roster has settled. The assignments arriving
// meanwhile bring it back sooner (see enqueueSettled).
func arrivalRecheck(c *v1alpha1.Contact, held []v1alpha1.HeldRole, lastAssignment time.Time, wait time.Duration, now time.Time) time.Duration {
	at := c.CreationTimestamp.Add(wait)
	if settled := lastAssignment.Add(rosterSettle); len(held) > 0 && settled.Before(at) {
		at = settled
	}
	return max(at.Sub(now), 10*time.Millisecond)
}
