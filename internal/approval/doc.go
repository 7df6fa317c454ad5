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

// Package approval holds the personal single-use approval tokens of a ContactTransfer and the rules of
// who takes part in it.
//
// A token is derived, not stored: it is the HMAC-SHA256 of (transfer UID, round, contact) under the
// operator's secret key, so that the operator can send the same token again after a restart without
// keeping it anywhere. Only its SHA-256 hash is stored, in a Secret the transfer owns; a new round
// (roster.dev/resend) gives every party a new token and makes the old ones useless. A used token dies
// when its hash is removed from that Secret.
//
// Who takes part (PartiesOf) and whether a transfer may happen at all (Validate, CheckStanding) are pure
// functions shared by the admission webhook and the controller, so that they agree on every decision.
package approval
