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
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestRenderEveryTypeInEveryLocale(t *testing.T) {
	full := transferNotification().Facts
	for _, typ := range allTypes {
		for _, facts := range []map[string]string{full, nil} {
			n := Notification{
				Key: "k", Type: typ, Organization: "acme", Facts: facts,
				Object: ObjectRef{Kind: "Contact", Namespace: "acme-system", Name: "alice"},
			}
			subjects := map[string]string{}
			for _, loc := range []string{"en", "fr", "pt"} {
				r := Recipient{Contact: "bob", DisplayName: "Bob", Email: "bob@example.com", Locale: loc}
				m, err := Render(n, r)
				if err != nil {
					t.Fatalf("%s/%s: %v", typ, loc, err)
				}
				g := NewWithT(t)
				g.Expect(m.Subject).NotTo(BeEmpty(), "%s/%s", typ, loc)
				g.Expect(m.Subject).NotTo(ContainSubstring("\n"))
				g.Expect(m.Subject).To(HavePrefix("["))
				g.Expect(m.Text).NotTo(BeEmpty())
				g.Expect(m.HTML).To(ContainSubstring(`<html lang="` + loc + `">`))
				for _, out := range []string{m.Subject, m.Text, m.HTML} {
					g.Expect(out).NotTo(ContainSubstring("<no value>"), "%s/%s", typ, loc)
					g.Expect(out).NotTo(ContainSubstring("ZgotmplZ"), "%s/%s", typ, loc)
				}
				subjects[loc] = m.Subject
			}
			NewWithT(t).Expect(subjects["fr"]).NotTo(Equal(subjects["en"]), "%s has a French subject", typ)
			NewWithT(t).Expect(subjects["pt"]).NotTo(Equal(subjects["en"]), "%s has a Portuguese subject", typ)
			NewWithT(t).Expect(subjects["pt"]).NotTo(Equal(subjects["fr"]), "%s has a Portuguese subject", typ)
		}
	}
}

func TestRenderUsesFacts(t *testing.T) {
	g := NewWithT(t)
	n := transferNotification()
	n.Type = TransferCompleted

	en, err := Render(n, Recipient{DisplayName: "Bob", Locale: "en"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(en.Subject).To(Equal("[Acme Corp] Transfer of the role billing completed"))
	for _, s := range []string{"Hello Bob,", "bob now holds the role", "Role: billing", "Scope: site-a", "From: alice", "To: bob"} {
		g.Expect(en.Text).To(ContainSubstring(s))
	}

	fr, err := Render(n, Recipient{DisplayName: "Bob", Locale: "fr"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fr.Subject).To(Equal("[Acme Corp] Transfert du rôle billing effectué"))
	for _, s := range []string{"Bonjour Bob,", "bob détient désormais le rôle", "Rôle : billing", "Périmètre : site-a", "Ancien titulaire : alice"} {
		g.Expect(fr.Text).To(ContainSubstring(s))
	}

	pt, err := Render(n, Recipient{DisplayName: "Bob", Locale: "pt"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pt.Subject).To(Equal("[Acme Corp] Transferência da função billing concluída"))
	for _, s := range []string{"Olá Bob,", "bob agora ocupa a função", "Função: billing", "Escopo: site-a", "Titular anterior: alice", "Novo titular: bob"} {
		g.Expect(pt.Text).To(ContainSubstring(s))
	}
	g.Expect(pt.HTML).To(ContainSubstring(`<html lang="pt">`))
	g.Expect(pt.HTML).To(ContainSubstring("<strong>bob</strong> agora ocupa a função"))

	// Without a display name, the organization's name stands in.
	delete(n.Facts, "organizationDisplayName")
	m, err := Render(n, Recipient{Locale: "en"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.Subject).To(HavePrefix("[acme] "))
}

func TestRenderTransferRequested(t *testing.T) {
	n := transferNotification()

	t.Run("party with token and link", func(t *testing.T) {
		g := NewWithT(t)
		m, err := Render(n, n.Recipients[1])
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m.Subject).To(Equal("[Acme Corp] Approval needed: transfer of the role billing"))
		for _, out := range []string{m.Text, m.HTML} {
			g.Expect(out).To(ContainSubstring(bobLink))
			g.Expect(out).To(ContainSubstring("kubectl annotate contacttransfer billing-to-bob -n acme-system roster.dev/approve=" + bobApprove))
			g.Expect(out).To(ContainSubstring("kubectl annotate contacttransfer billing-to-bob -n acme-system roster.dev/refuse=" + bobRefuse))
			g.Expect(out).NotTo(ContainSubstring(aliceToken))
		}
		g.Expect(m.HTML).To(ContainSubstring(`href="` + bobLink + `"`))
		g.Expect(m.Text).To(ContainSubstring("Deadline: 1 July 2026, 12:00 UTC"))
		g.Expect(m.Text).To(ContainSubstring("Requested by: carol"))
		g.Expect(m.Text).To(ContainSubstring("Reason: Alice moves to another team"))
	})

	t.Run("party with a token only", func(t *testing.T) {
		g := NewWithT(t)
		r := n.Recipients[1]
		r.Link = ""
		m, err := Render(n, r)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m.Text).To(ContainSubstring("Approve or refuse with kubectl:"))
		g.Expect(m.Text).To(ContainSubstring("roster.dev/approve=" + bobApprove))
		g.Expect(m.Text).To(ContainSubstring("these codes are personal and work once"))
		g.Expect(m.Text).NotTo(ContainSubstring("https://"))
	})

	t.Run("party in French", func(t *testing.T) {
		g := NewWithT(t)
		m, err := Render(n, n.Recipients[0])
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m.Subject).To(Equal("[Acme Corp] Approbation requise : transfert du rôle billing"))
		g.Expect(m.Text).To(ContainSubstring("Approuvez ou refusez ici :\n" + aliceLink))
		g.Expect(m.Text).To(ContainSubstring("roster.dev/refuse=" + aliceRefuse))
		g.Expect(m.Text).To(ContainSubstring("Échéance : 1 juillet 2026 à 12:00 UTC"))
	})

	t.Run("party in Portuguese", func(t *testing.T) {
		g := NewWithT(t)
		r := n.Recipients[0]
		r.Locale = "pt-BR"
		m, err := Render(n, r)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m.Subject).To(Equal("[Acme Corp] Aprovação necessária: transferência da função billing"))
		g.Expect(m.Text).To(ContainSubstring("Olá Alice Martin,"))
		g.Expect(m.Text).To(ContainSubstring("Aprove ou recuse aqui:\n" + aliceLink))
		g.Expect(m.Text).To(ContainSubstring("Ou, com o kubectl:"))
		g.Expect(m.Text).To(ContainSubstring("roster.dev/refuse=" + aliceRefuse))
		g.Expect(m.Text).To(ContainSubstring("Prazo: 1 de julho de 2026 às 12:00 UTC"))
		g.Expect(m.Text).To(ContainSubstring("Este link e estes códigos são pessoais e de uso único"))
		g.Expect(m.HTML).To(ContainSubstring(`<html lang="pt">`))
		g.Expect(m.HTML).To(ContainSubstring(">Aprovar ou recusar</a>"))
		g.Expect(m.HTML).To(ContainSubstring("1 de julho de 2026 às 12:00 UTC"))
		g.Expect(m.HTML).To(ContainSubstring("Você recebe esta mensagem como contato da organização Acme Corp."))
	})

	t.Run("informed contact", func(t *testing.T) {
		g := NewWithT(t)
		for loc, want := range map[string]string{
			"en": "No action is needed from you. You will be told when the change completes.",
			"fr": "Vous serez informé(e) lorsque le changement sera effectué.",
			"pt": "Você será avisado(a) quando a mudança for concluída.",
		} {
			m, err := Render(n, Recipient{Contact: "carol", DisplayName: "Carol", Locale: loc})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(m.Text).To(ContainSubstring(want))
			for _, out := range []string{m.Text, m.HTML} {
				g.Expect(out).NotTo(ContainSubstring("kubectl"))
				g.Expect(out).NotTo(ContainSubstring("roster.dev/approve"))
				g.Expect(out).NotTo(ContainSubstring(aliceToken))
				g.Expect(out).NotTo(ContainSubstring(bobToken))
			}
		}
	})

	t.Run("vacant role", func(t *testing.T) {
		g := NewWithT(t)
		v := transferNotification()
		delete(v.Facts, "from")
		m, err := Render(v, Recipient{Locale: "en"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m.Text).To(ContainSubstring("From: nobody (the role is vacant)"))
	})
}

func TestRenderLocaleFallback(t *testing.T) {
	g := NewWithT(t)
	n := transferNotification()
	n.Type = RoleGranted
	en, err := Render(n, Recipient{Locale: "en"})
	g.Expect(err).NotTo(HaveOccurred())
	fr, err := Render(n, Recipient{Locale: "fr"})
	g.Expect(err).NotTo(HaveOccurred())
	pt, err := Render(n, Recipient{Locale: "pt"})
	g.Expect(err).NotTo(HaveOccurred())

	for _, loc := range []string{"de", "", "es-419", "zz"} {
		m, err := Render(n, Recipient{Locale: loc})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m).To(Equal(en), "locale %q falls back to English", loc)
	}
	for _, loc := range []string{"fr-CA", "fr_FR", "FR"} {
		m, err := Render(n, Recipient{Locale: loc})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m).To(Equal(fr), "locale %q is French", loc)
	}
	for _, loc := range []string{"pt-BR", "pt_BR", "PT", "pt-PT"} {
		m, err := Render(n, Recipient{Locale: loc})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m).To(Equal(pt), "locale %q is Portuguese", loc)
	}
	g.Expect(pt).NotTo(Equal(en))
}

func TestRenderEscapesHTML(t *testing.T) {
	g := NewWithT(t)
	n := transferNotification()
	n.Facts["reason"] = `<script>alert("x")</script>`
	r := n.Recipients[1]
	r.Link = `javascript:alert(1)`

	m, err := Render(n, r)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.HTML).NotTo(ContainSubstring("<script>"))
	g.Expect(m.HTML).To(ContainSubstring("&lt;script&gt;"))
	g.Expect(m.HTML).NotTo(ContainSubstring(`href="javascript:`))
	g.Expect(m.Text).To(ContainSubstring(`Reason: <script>alert("x")</script>`), "plain text is not escaped")
}

func TestRenderUnknownType(t *testing.T) {
	g := NewWithT(t)
	_, err := Render(Notification{Type: "SomethingElse"}, Recipient{})
	g.Expect(err).To(MatchError(ContainSubstring(`"SomethingElse"`)))
}

func TestRenderTextIsTidy(t *testing.T) {
	g := NewWithT(t)
	for _, typ := range allTypes {
		m, err := Render(Notification{Type: typ, Organization: "acme"}, Recipient{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m.Text).NotTo(ContainSubstring("\n\n\n"), typ)
		g.Expect(m.Text).To(HaveSuffix(".\n"), typ)
		for _, line := range strings.Split(m.Text, "\n") {
			g.Expect(line).To(Equal(strings.TrimRight(line, " ")), typ)
		}
	}
}

func TestRenderTimeLimitedRoles(t *testing.T) {
	facts := map[string]string{"role": "billing", "holder": "bob", "validUntil": "2026-12-31T12:00:00Z"}
	for _, tc := range []struct {
		typ     Type
		stage   string
		locale  string
		subject string
		text    []string
	}{
		{RoleExpiring, "Week", "en", "Role billing ends within a week", []string{"ends on 31 December 2026, 12:00 UTC", "spec.validUntil", "Holder: bob"}},
		{RoleExpiring, "Day", "en", "Role billing ends within a day", []string{"Ends: 31 December 2026, 12:00 UTC"}},
		{RoleExpired, "Ended", "en", "Role billing ended", []string{"bob no longer holds it"}},
		{RoleExpiring, "Day", "fr", "Le rôle billing prend fin dans moins d’un jour", []string{"prend fin le 31 décembre 2026 à 12:00 UTC", "Titulaire : bob"}},
		{RoleExpired, "Ended", "fr", "Le rôle billing a pris fin", []string{"bob ne le détient plus"}},
		{RoleExpiring, "Week", "pt", "A função billing termina em menos de uma semana", []string{"termina em 31 de dezembro de 2026 às 12:00 UTC", "Titular: bob"}},
		{RoleExpired, "Ended", "pt", "A função billing terminou", []string{"bob não a ocupa mais"}},
	} {
		t.Run(string(tc.typ)+"/"+tc.stage+"/"+tc.locale, func(t *testing.T) {
			g := NewWithT(t)
			f := map[string]string{"stage": tc.stage}
			for k, v := range facts {
				f[k] = v
			}
			n := Notification{Key: "k", Type: tc.typ, Organization: "acme", Facts: f,
				Object: ObjectRef{Kind: "RoleAssignment", Namespace: "tenants", Name: "acme-billing"}}
			m, err := Render(n, Recipient{Contact: "alice", Email: "alice@example.com", Locale: tc.locale})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(m.Subject).To(Equal("[acme] " + tc.subject))
			for _, want := range tc.text {
				g.Expect(m.Text).To(ContainSubstring(want))
			}
			g.Expect(m.HTML).To(ContainSubstring("acme-billing"))
		})
	}
}

func TestRenderDeputyCopy(t *testing.T) {
	for _, tc := range []struct{ locale, footer string }{
		{"en", "You receive this copy as the deputy of Alice Martin, who is away."},
		{"fr", "Vous recevez cette copie en tant que suppléant de Alice Martin, qui est absent."},
		{"pt", "Você recebe esta cópia como substituto de Alice Martin, que está ausente."},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			g := NewWithT(t)
			n := transferNotification()
			m, err := Render(n, Recipient{Contact: "dave", Email: "dave@example.com", Locale: tc.locale, DeputyFor: "Alice Martin"})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(m.Text).To(ContainSubstring(tc.footer))
			g.Expect(m.HTML).To(ContainSubstring(tc.footer))
			own, err := Render(n, Recipient{Contact: "alice", Email: "alice@example.com", Locale: tc.locale})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(own.Text).NotTo(ContainSubstring(tc.footer))
		})
	}
}
