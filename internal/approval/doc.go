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

// Package approval is the two-party approval in one home: who takes part in a change of holder
// (PartiesFor), whether it may happen (Validate, CheckStanding), the secrets that decide it and how a
// decision is recorded (Decide, Override), the transfer's status (SetStatus), and the verification of
// contacts' addresses (SetAddress, DecideAddress).
//
// Secrets are derived, never stored: each is the HMAC-SHA256 of (object UID, round, contact, purpose) under
// the operator's key. The operator derives them again to send an email and to check a submitted secret,
// comparing in constant time. A link token, an approve code and a refuse code are unrelated, so a code
// seen in an annotation serves no other decision. A decision is single-use because it is recorded in
// status.approvals; a new round (roster.dev/resend) makes the earlier secrets useless.
//
// Everything here is pure and shared by the controllers, the admission webhooks and the approval page, so
// that they agree on every decision.
package approval
