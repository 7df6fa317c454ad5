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

package roles

import (
	"time"

	"roster.dev/roster/api/v1alpha1"
)

// Notice periods before an assignment's spec.validUntil.
const (
	WeekNotice = 7 * 24 * time.Hour
	DayNotice  = 24 * time.Hour
)

// ExpiryStageAt returns the notice due at now about an assignment valid until validUntil ("" when none
// is due yet), and when the next one falls due (zero after the end).
func ExpiryStageAt(validUntil, now time.Time) (stage v1alpha1.ExpiryStage, next time.Time) {
	switch {
	case !now.Before(validUntil):
		return v1alpha1.ExpiryEnded, time.Time{}
	case !now.Before(validUntil.Add(-DayNotice)):
		return v1alpha1.ExpiryDay, validUntil
	case !now.Before(validUntil.Add(-WeekNotice)):
		return v1alpha1.ExpiryWeek, validUntil.Add(-DayNotice)
	}
	return "", validUntil.Add(-WeekNotice)
}
