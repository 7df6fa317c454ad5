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

// Package conditions sets the kstatus-compatible conditions every Roster kind reports: Ready as the
// summary, and Stalled, abnormal-true, present only while a person must change something.
package conditions

import (
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

// Set sets a condition for the given generation; lastTransitionTime only moves when the status does. A
// message longer than the CRDs allow is cut to fit, and ends with …
func Set(conds *[]metav1.Condition, generation int64, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: bounded(message), ObservedGeneration: generation,
	})
}

// bounded cuts message to v1alpha1.MaxConditionMessage characters, the last one being …
func bounded(message string) string {
	if utf8.RuneCountInString(message) <= v1alpha1.MaxConditionMessage {
		return message
	}
	n := 0
	for i := range message {
		if n == v1alpha1.MaxConditionMessage-1 {
			return message[:i] + "…"
		}
		n++
	}
	return message
}

// SetReady sets Ready and keeps Stalled in step: Stalled is present (True) only when stalled is set.
func SetReady(conds *[]metav1.Condition, generation int64, ready bool, stalled bool, reason, message string) {
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	Set(conds, generation, v1alpha1.ReadyCondition, status, reason, message)
	if stalled {
		Set(conds, generation, v1alpha1.StalledCondition, metav1.ConditionTrue, reason, message)
	} else {
		meta.RemoveStatusCondition(conds, v1alpha1.StalledCondition)
	}
}

// IsTrue reports whether the condition typ is present and True.
func IsTrue(conds []metav1.Condition, typ string) bool {
	return meta.IsStatusConditionTrue(conds, typ)
}

// ReadyReason is the reason of the Ready condition, "" when absent.
func ReadyReason(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, v1alpha1.ReadyCondition); c != nil {
		return c.Reason
	}
	return ""
}
