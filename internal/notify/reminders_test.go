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
	"testing"

	. "github.com/onsi/gomega"
)

func TestRenderRemindersAndReconfirmation(t *testing.T) {
	const link = "https://roster.example.com/x?token=T"
	for _, tc := range []struct {
		typ             Type
		locale, subject string
		facts           map[string]string
		recipient       Recipient
		text, notInText []string
	}{
		{TransferReminder, "en", "[acme] Reminder: your approval is still needed for transfer of the role billing",
			map[string]string{"role": "billing", "expiresAt": "2026-03-08T12:00:00Z", "reminder": "50%"},
			Recipient{Link: link, ApproveCode: "A", RefuseCode: "R"},
			[]string{"still waits for your decision, and expires on 8 March 2026, 12:00 UTC", link, "roster.dev/approve=A", "work once"}, nil},
		{TransferReminder, "fr", "[acme] Rappel : votre approbation est toujours requise pour le transfert du rôle billing",
			map[string]string{"role": "billing"}, Recipient{Link: link}, []string{link, "usage unique"}, nil},
		{TransferReminder, "pt", "[acme] Lembrete: ainda pendente: transferência da função billing",
			map[string]string{"role": "billing"}, Recipient{DeputyFor: "Bob"}, nil, []string{"uso único", "token="}},
		{ReconfirmationRequested, "en", "[acme] Are you still the right contact?",
			map[string]string{"dueAt": "2026-03-15T12:00:00Z"}, Recipient{Link: link},
			[]string{"by 15 March 2026, 12:00 UTC", "Confirm here:\n" + link, "works once"}, nil},
		{ReconfirmationRequested, "fr", "[acme] Êtes-vous toujours le bon contact ?",
			map[string]string{"dueAt": "2026-03-15T12:00:00Z"}, Recipient{Link: link}, []string{"avant le 15 mars 2026 à 12:00 UTC", link}, nil},
		{ReconfirmationLapsed, "en", "[acme] bob did not confirm it is still the right contact",
			map[string]string{"holder": "bob", "dueAt": "2026-03-15T12:00:00Z"}, Recipient{},
			[]string{"Its roles are kept", "Holder: bob"}, nil},
		{ReconfirmationLapsed, "pt", "[acme] bob não confirmou que ainda é o contato certo",
			map[string]string{"holder": "bob"}, Recipient{}, []string{"Suas funções são mantidas"}, nil},
	} {
		t.Run(string(tc.typ)+"/"+tc.locale, func(t *testing.T) {
			g := NewWithT(t)
			r := tc.recipient
			r.Locale = tc.locale
			m, err := Render(Notification{Type: tc.typ, Organization: "acme", Facts: tc.facts,
				Object: ObjectRef{Kind: "Contact", Namespace: "ns", Name: "bob"}}, r)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(m.Subject).To(Equal(tc.subject))
			for _, s := range tc.text {
				g.Expect(m.Text).To(ContainSubstring(s))
			}
			for _, s := range tc.notInText {
				g.Expect(m.Text).NotTo(ContainSubstring(s))
			}
			if r.Link != "" {
				g.Expect(m.HTML).To(ContainSubstring(`href="https://roster.example.com/x?token=T"`))
			}
		})
	}
}
