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
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify/smtptest"
)

const (
	testUser     = "roster-mailer"
	testPassword = "s3cr3t-Pa55word!"
	aliceToken   = "tok-alice-7f3a9c2e1b"
	bobToken     = "tok-bob-0d4e8b6a55"
	aliceLink    = "https://approve.example.com/t/tok-alice-7f3a9c2e1b"
	bobLink      = "https://approve.example.com/t/tok-bob-0d4e8b6a55"
	aliceApprove = "apv-alice-51c0de"
	aliceRefuse  = "ref-alice-9e2f11"
	bobApprove   = "apv-bob-77aa01"
	bobRefuse    = "ref-bob-3b3b3b"
)

// transferNotification is a TransferRequested told to both parties (alice in French, bob in English, each
// with a token and a link), to carol (German, so English, informed) and to dave (no email).
func transferNotification() Notification {
	return Notification{
		Key:          "6f1c2d3e-uid/TransferRequested/1",
		Type:         TransferRequested,
		Organization: "acme",
		Object:       ObjectRef{Kind: "ContactTransfer", Namespace: "acme-system", Name: "billing-to-bob", UID: "6f1c2d3e-uid"},
		Recipients: []Recipient{
			{Contact: "alice", DisplayName: "Alice Martin", Email: "alice@example.com", Locale: "fr", Token: aliceToken, Link: aliceLink,
				ApproveCode: aliceApprove, RefuseCode: aliceRefuse},
			{Contact: "bob", DisplayName: "Bob Stone", Email: "bob@example.com", Locale: "en", Token: bobToken, Link: bobLink,
				ApproveCode: bobApprove, RefuseCode: bobRefuse},
			{Contact: "carol", DisplayName: "Carol Weber", Email: "carol@example.com", Locale: "de"},
			{Contact: "dave", DisplayName: "Dave", Locale: "en"},
		},
		Facts: map[string]string{
			"role": "billing", "scope": "site-a", "from": "alice", "to": "bob", "requestedBy": "carol",
			"reason": "Alice moves to another team", "expiresAt": "2026-07-01T12:00:00Z",
			"transfer": "billing-to-bob", "organizationDisplayName": "Acme Corp",
		},
		OccurredAt: time.Date(2026, 6, 24, 9, 30, 0, 0, time.UTC),
	}
}

// smtpConfig returns the client configuration that reaches srv.
func smtpConfig(srv *smtptest.Server) SMTPConfig {
	o := srv.Options()
	return SMTPConfig{
		Host:      srv.Host(),
		Port:      srv.Port(),
		From:      "Roster <roster@example.com>",
		TLS:       o.TLS,
		Username:  o.Username,
		Password:  o.Password,
		Timeout:   5 * time.Second,
		TLSConfig: srv.TLSConfig(),
		Dial:      loopback.DialContext,
	}
}

// byRecipient indexes received messages by their single envelope recipient.
func byRecipient(t testing.TB, msgs []smtptest.Message) map[string]smtptest.Message {
	t.Helper()
	out := map[string]smtptest.Message{}
	for _, m := range msgs {
		if len(m.To) != 1 {
			t.Fatalf("message for %v: want exactly one recipient", m.To)
		}
		if _, dup := out[m.To[0]]; dup {
			t.Fatalf("two messages for %s", m.To[0])
		}
		if m.ParseError != nil {
			t.Fatalf("message for %s: %v", m.To[0], m.ParseError)
		}
		out[m.To[0]] = m
	}
	return out
}

func TestEmailTLSModes(t *testing.T) {
	for _, mode := range []v1alpha1.SMTPTLSMode{v1alpha1.SMTPTLSStartTLS, v1alpha1.SMTPTLSImplicit, v1alpha1.SMTPTLSNone} {
		t.Run(string(mode), func(t *testing.T) {
			g := NewWithT(t)
			srv := smtptest.Start(t, smtptest.Options{TLS: mode, Username: testUser, Password: testPassword})
			n := transferNotification()

			g.Expect(NewEmailNotifier(smtpConfig(srv)).Notify(context.Background(), n)).To(Succeed())

			msgs := srv.Messages()
			g.Expect(msgs).To(HaveLen(3), "one message per recipient with an email")
			g.Expect(srv.Connections()).To(Equal(1), "all recipients over one connection")
			got := byRecipient(t, msgs)
			g.Expect(got).To(HaveKey("alice@example.com"))
			g.Expect(got).To(HaveKey("bob@example.com"))
			g.Expect(got).To(HaveKey("carol@example.com"))

			for addr, m := range got {
				g.Expect(m.TLS).To(Equal(mode != v1alpha1.SMTPTLSNone), "TLS for %s", addr)
				g.Expect(m.User).To(Equal(testUser))
				g.Expect(m.From).To(Equal("roster@example.com"))
				g.Expect(m.ContentType).To(Equal("multipart/alternative"))
				g.Expect(m.Text).NotTo(BeEmpty())
				g.Expect(m.HTML).To(ContainSubstring("<!DOCTYPE html>"))
				g.Expect(m.Header.Get("X-Roster-Notification")).To(Equal("TransferRequested"))
				from, err := mail.ParseAddress(m.Header.Get("From"))
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(from.Address).To(Equal("roster@example.com"))
			}

			alice, bob, carol := got["alice@example.com"], got["bob@example.com"], got["carol@example.com"]

			// To: "DisplayName <email>".
			to, err := mail.ParseAddress(alice.Header.Get("To"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(*to).To(Equal(mail.Address{Name: "Alice Martin", Address: "alice@example.com"}))

			// Message-ID: <KEY.CONTACT@roster.dev>, sanitised, one per recipient.
			g.Expect(alice.Header.Get("Message-ID")).To(Equal("<6f1c2d3e-uid=2FTransferRequested=2F1.alice@roster.dev>"))
			g.Expect(bob.Header.Get("Message-ID")).To(Equal("<" + MessageID(n.Key, "bob") + ">"))
			g.Expect(carol.Header.Get("Message-ID")).To(Equal("<" + MessageID(n.Key, "carol") + ">"))
			g.Expect(carol.MessageID).To(Equal(MessageID(n.Key, "carol")))
			for _, m := range got {
				id, err := mail.ParseAddress(strings.Trim(m.Header.Get("Message-ID"), "<>"))
				g.Expect(err).NotTo(HaveOccurred(), "Message-ID is a valid addr-spec")
				g.Expect(id.Address).To(HaveSuffix("@roster.dev"))
			}

			// Locale: French for alice, English for bob, English fallback for carol ("de").
			g.Expect(alice.Subject).To(Equal("[Acme Corp] Approbation requise : transfert du rôle billing"))
			g.Expect(alice.Text).To(ContainSubstring("Bonjour Alice Martin,"))
			g.Expect(alice.HTML).To(ContainSubstring(`<html lang="fr">`))
			g.Expect(bob.Subject).To(Equal("[Acme Corp] Approval needed: transfer of the role billing"))
			g.Expect(bob.Text).To(ContainSubstring("Hello Bob Stone,"))
			g.Expect(carol.Subject).To(Equal("[Acme Corp] Transfer of the role billing requested"))
			g.Expect(carol.Text).To(ContainSubstring("Hello Carol Weber,"))
			g.Expect(carol.Text).To(ContainSubstring("You will be told when the change completes."))
			g.Expect(carol.HTML).To(ContainSubstring(`<html lang="en">`))

			// Each party's token and link are in that party's message only.
			for _, part := range []string{alice.Text, alice.HTML} {
				g.Expect(part).To(ContainSubstring(aliceLink))
				g.Expect(part).To(ContainSubstring("kubectl annotate contacttransfer billing-to-bob -n acme-system roster.dev/approve=" + aliceApprove))
				g.Expect(part).To(ContainSubstring("kubectl annotate contacttransfer billing-to-bob -n acme-system roster.dev/refuse=" + aliceRefuse))
			}
			for _, part := range []string{bob.Text, bob.HTML} {
				g.Expect(part).To(ContainSubstring(bobLink))
				g.Expect(part).To(ContainSubstring("roster.dev/approve=" + bobApprove))
			}
			for _, check := range []struct {
				m      smtptest.Message
				absent []string
			}{
				{alice, []string{bobToken, bobApprove, bobRefuse}},
				{bob, []string{aliceToken, aliceApprove, aliceRefuse}},
				{carol, []string{aliceToken, bobToken, aliceApprove, bobRefuse, "roster.dev/approve", "kubectl"}},
			} {
				for _, s := range check.absent {
					for _, part := range []string{check.m.Text, check.m.HTML, check.m.Subject, string(check.m.Data)} {
						g.Expect(part).NotTo(ContainSubstring(s), "%s must not carry %q", check.m.To[0], s)
					}
				}
			}
		})
	}
}

func TestEmailMessageIDIsStableAcrossRetries(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSStartTLS})
	e := NewEmailNotifier(smtpConfig(srv))
	n := transferNotification()

	g.Expect(e.Notify(context.Background(), n)).To(Succeed())
	first := byRecipient(t, srv.Messages())
	srv.Reset()
	g.Expect(e.Notify(context.Background(), n)).To(Succeed())
	second := byRecipient(t, srv.Messages())

	g.Expect(second).To(HaveLen(len(first)))
	for addr, m := range first {
		g.Expect(second[addr].Header.Get("Message-ID")).To(Equal(m.Header.Get("Message-ID")))
	}

	other := n
	other.Key = "6f1c2d3e-uid/TransferRequested/2"
	srv.Reset()
	g.Expect(e.Notify(context.Background(), other)).To(Succeed())
	third := byRecipient(t, srv.Messages())
	g.Expect(third["bob@example.com"].Header.Get("Message-ID")).NotTo(Equal(first["bob@example.com"].Header.Get("Message-ID")))
}

// TestEmailInPortuguese sends a party's request in Brazilian Portuguese: subject, bodies and lang survive
// the encoding.
func TestEmailInPortuguese(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSStartTLS})
	n := transferNotification()
	alice := n.Recipients[0]
	alice.Locale = "pt-BR"
	n.Recipients = []Recipient{alice}

	g.Expect(NewEmailNotifier(smtpConfig(srv)).Notify(context.Background(), n)).To(Succeed())

	got := byRecipient(t, srv.Messages())
	g.Expect(got).To(HaveLen(1))
	m := got["alice@example.com"]
	g.Expect(m.Subject).To(Equal("[Acme Corp] Aprovação necessária: transferência da função billing"))
	g.Expect(m.Text).To(ContainSubstring("Olá Alice Martin,"))
	g.Expect(m.Text).To(ContainSubstring("Prazo: 1 de julho de 2026 às 12:00 UTC"))
	g.Expect(m.HTML).To(ContainSubstring(`<html lang="pt">`))
	g.Expect(m.HTML).To(ContainSubstring("Olá Alice Martin,"))
	for _, part := range []string{m.Text, m.HTML} {
		g.Expect(part).To(ContainSubstring(aliceLink))
		g.Expect(part).To(ContainSubstring("roster.dev/approve=" + aliceApprove))
	}
}

func TestEmailStartTLSIsMandatory(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSStartTLS, NoStartTLS: true})

	err := NewEmailNotifier(smtpConfig(srv)).Notify(context.Background(), transferNotification())

	g.Expect(err).To(MatchError(ContainSubstring("STARTTLS")))
	g.Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("127.0.0.1:%d", srv.Port())))
	g.Expect(srv.Messages()).To(BeEmpty())
}

func TestEmailRejectsUntrustedCertificate(t *testing.T) {
	for _, mode := range []v1alpha1.SMTPTLSMode{v1alpha1.SMTPTLSStartTLS, v1alpha1.SMTPTLSImplicit} {
		t.Run(string(mode), func(t *testing.T) {
			g := NewWithT(t)
			srv := smtptest.Start(t, smtptest.Options{TLS: mode, Username: testUser, Password: testPassword})
			cfg := smtpConfig(srv)
			cfg.TLSConfig = nil // the system roots do not trust the test certificate

			err := NewEmailNotifier(cfg).Notify(context.Background(), transferNotification())

			g.Expect(err).To(MatchError(ContainSubstring("certificate")))
			g.Expect(err.Error()).NotTo(ContainSubstring(testPassword))
			g.Expect(srv.Messages()).To(BeEmpty())
		})
	}
}

func TestEmailWrongPassword(t *testing.T) {
	for _, mode := range []v1alpha1.SMTPTLSMode{v1alpha1.SMTPTLSStartTLS, v1alpha1.SMTPTLSImplicit, v1alpha1.SMTPTLSNone} {
		t.Run(string(mode), func(t *testing.T) {
			g := NewWithT(t)
			srv := smtptest.Start(t, smtptest.Options{TLS: mode, Username: testUser, Password: testPassword})
			cfg := smtpConfig(srv)
			cfg.Password = "wrong-" + testPassword

			err := NewEmailNotifier(cfg).Notify(context.Background(), transferNotification())

			g.Expect(err).To(HaveOccurred())
			msg := err.Error()
			g.Expect(msg).To(ContainSubstring(fmt.Sprintf("127.0.0.1:%d", srv.Port())))
			g.Expect(msg).To(ContainSubstring("AUTH"))
			for _, secret := range []string{
				cfg.Password, testPassword,
				base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + cfg.Password)),
				aliceToken, bobToken,
			} {
				g.Expect(msg).NotTo(ContainSubstring(secret))
			}
			g.Expect(srv.Messages()).To(BeEmpty())
		})
	}
}

func TestEmailNoTLSKeepsCredentialsOffTheNetwork(t *testing.T) {
	g := NewWithT(t)
	// 127.0.0.2 is a loopback address, but not one the library recognises as localHost: it stands for a
	// relay on the network, where a password must not travel in clear text.
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSNone, Username: testUser, Password: testPassword, Host: "127.0.0.2"})

	err := NewEmailNotifier(smtpConfig(srv)).Notify(context.Background(), transferNotification())

	g.Expect(err).To(MatchError(ContainSubstring("unencrypted connection")))
	g.Expect(err.Error()).NotTo(ContainSubstring(testPassword))
	g.Expect(srv.Messages()).To(BeEmpty())

	// Without credentials, None sends in clear text to any host.
	cfg := smtpConfig(srv)
	cfg.Username, cfg.Password = "", ""
	srv2 := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSNone, Host: "127.0.0.2"})
	cfg.Port = srv2.Port()
	g.Expect(NewEmailNotifier(cfg).Notify(context.Background(), transferNotification())).To(Succeed())
	g.Expect(srv2.Messages()).To(HaveLen(3))
}

func TestEmailServerDown(t *testing.T) {
	g := NewWithT(t)
	cfg := SMTPConfig{
		Host: "127.0.0.1", Port: smtptest.ClosedPort(t), From: "roster@example.com", TLS: v1alpha1.SMTPTLSStartTLS,
		Username: testUser, Password: testPassword, Timeout: 2 * time.Second, Dial: loopback.DialContext,
	}

	err := NewEmailNotifier(cfg).Notify(context.Background(), transferNotification())

	g.Expect(err).To(MatchError(ContainSubstring(fmt.Sprintf("127.0.0.1:%d", cfg.Port))))
	g.Expect(err.Error()).NotTo(ContainSubstring(testPassword))
}

func TestEmailWithoutRecipientsSendsNothing(t *testing.T) {
	g := NewWithT(t)
	cfg := SMTPConfig{Host: "127.0.0.1", Port: smtptest.ClosedPort(t), From: "roster@example.com"}
	n := transferNotification()
	n.Recipients = []Recipient{{Contact: "dave"}}

	g.Expect(NewEmailNotifier(cfg).Notify(context.Background(), n)).To(Succeed(), "no connection attempted")
}

func TestEmailCancelledContext(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSStartTLS})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := NewEmailNotifier(smtpConfig(srv)).Notify(ctx, transferNotification())

	g.Expect(err).To(MatchError(context.Canceled))
	g.Expect(srv.Messages()).To(BeEmpty())
}

func TestEmailContextEndsASend(t *testing.T) {
	g := NewWithT(t)
	stall := make(chan struct{})
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSStartTLS, StallData: stall})
	t.Cleanup(func() { close(stall) }) // runs before the server's cleanup
	cfg := smtpConfig(srv)
	cfg.Timeout = 30 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()

	start := time.Now()
	err := NewEmailNotifier(cfg).Notify(ctx, transferNotification())

	g.Expect(err).To(MatchError(context.DeadlineExceeded))
	g.Expect(time.Since(start)).To(BeNumerically("<", 5*time.Second), "the stalled send was cut short")
}

func TestEmailUnknownTLSMode(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
	cfg := smtpConfig(srv)
	cfg.TLS = "Sometimes"

	g.Expect(NewEmailNotifier(cfg).Notify(context.Background(), transferNotification())).
		To(MatchError(ContainSubstring(`unknown TLS mode "Sometimes"`)))
	g.Expect(srv.Messages()).To(BeEmpty())
}

func TestMessageID(t *testing.T) {
	g := NewWithT(t)
	g.Expect(MessageID("abc/RoleGranted/3", "alice")).To(Equal("abc=2FRoleGranted=2F3.alice@roster.dev"))
	g.Expect(MessageID("k", "alice.smith")).To(Equal("k.alice=2Esmith@roster.dev"))
	g.Expect(MessageID("k", "")).To(Equal("k._@roster.dev"))
	g.Expect(MessageID("k", "_")).To(Equal("k.=5F@roster.dev"))
	g.Expect(MessageID("k", "a_b")).To(Equal("k.a_b@roster.dev"))
	g.Expect(MessageID("key 1", "bob")).To(Equal(MessageID("key 1", "bob")), "stable")

	// Injective: the dot between key and contact cannot be confused with a dot inside either.
	g.Expect(MessageID("a.b", "c")).NotTo(Equal(MessageID("a", "b.c")))
	g.Expect(MessageID("a/b", "c")).NotTo(Equal(MessageID("a:b", "c")))

	// Valid dot-atom characters only, and bounded.
	long := MessageID(strings.Repeat("k", 300), "<alice@example.com>\r\n")
	g.Expect(len(long)).To(BeNumerically("<", 80))
	for _, id := range []string{long, MessageID("ü <x>\"@;", "c d")} {
		addr, err := mail.ParseAddress("<" + id + ">")
		g.Expect(err).NotTo(HaveOccurred(), id)
		g.Expect(addr.Address).To(Equal(id))
	}
}

func TestRedact(t *testing.T) {
	g := NewWithT(t)
	base := fmt.Errorf("wrapped: %w", context.DeadlineExceeded)
	g.Expect(redact(base, []string{"pw"})).To(BeIdenticalTo(base), "nothing to hide keeps the chain")
	err := redact(fmt.Errorf("login with hunter2 failed: %w", context.DeadlineExceeded), []string{"hunter2"})
	g.Expect(err.Error()).To(Equal("login with [redacted] failed: context deadline exceeded"))
	g.Expect(err).NotTo(MatchError(context.DeadlineExceeded), "a redacted error does not unwrap to the original")
	g.Expect(redact(nil, []string{"x"})).To(Succeed())
}

func BenchmarkEmail1000(b *testing.B) {
	const count = 1000
	srv := smtptest.Start(b, smtptest.Options{TLS: v1alpha1.SMTPTLSStartTLS, Username: testUser, Password: testPassword})
	cfg := smtpConfig(srv)
	// Resume TLS sessions, as a long-running operator with one tls.Config would.
	cfg.TLSConfig.ClientSessionCache = tls.NewLRUClientSessionCache(16)
	e := NewEmailNotifier(cfg)
	ctx := context.Background()

	var messages, duplicates int
	var elapsed time.Duration
	round := 0
	for b.Loop() {
		round++
		srv.Reset()
		start := time.Now()
		for i := range count {
			n := Notification{
				Key:          fmt.Sprintf("bench-%d/RoleGranted/%d", round, i),
				Type:         RoleGranted,
				Organization: "acme",
				Object:       ObjectRef{Kind: "RoleAssignment", Namespace: "acme-system", Name: fmt.Sprintf("ra-%d", i)},
				Recipients: []Recipient{{
					Contact: fmt.Sprintf("contact-%d", i), DisplayName: fmt.Sprintf("Contact %d", i),
					Email: fmt.Sprintf("contact-%d@example.com", i), Locale: []string{"en", "fr", "pt"}[i%3],
				}},
				Facts:      map[string]string{"role": "billing", "to": fmt.Sprintf("contact-%d", i)},
				OccurredAt: time.Now(),
			}
			if err := e.Notify(ctx, n); err != nil {
				b.Fatalf("notification %d: %v", i, err)
			}
		}
		elapsed += time.Since(start)

		seen := map[string]bool{}
		for _, m := range srv.Messages() {
			if m.ParseError != nil {
				b.Fatal(m.ParseError)
			}
			id := m.MessageID
			if seen[id] {
				duplicates++
			}
			seen[id] = true
			messages++
		}
	}
	b.ReportMetric(float64(messages)/float64(b.N), "messages/op")
	b.ReportMetric(float64(duplicates), "duplicates")
	b.Logf("%d rounds of %d notifications over SMTP (STARTTLS + AUTH PLAIN, one connection each): %s, %s per message",
		b.N, count, elapsed.Round(time.Millisecond), (elapsed / time.Duration(b.N*count)).Round(time.Microsecond))
	if want := count * b.N; messages != want || duplicates != 0 {
		b.Fatalf("received %d messages with %d duplicate Message-IDs, want %d and 0", messages, duplicates, want)
	}
}

func TestEmailDisplayNamesAreEncodedNotParsed(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
	n := transferNotification()
	n.Recipients[0].DisplayName = `Alice "the boss" Martin\`
	n.Recipients[1].DisplayName = "Bob\r\nBcc: mallory@evil.example"

	g.Expect(NewEmailNotifier(smtpConfig(srv)).Notify(context.Background(), n)).To(Succeed())

	got := byRecipient(t, srv.Messages())
	g.Expect(got).To(HaveKey("alice@example.com"))
	g.Expect(got).To(HaveKey("bob@example.com"))
	g.Expect(got).NotTo(HaveKey("mallory@evil.example"))
	header, _, _ := strings.Cut(string(got["bob@example.com"].Data), "\r\n\r\n")
	g.Expect(header).NotTo(MatchRegexp(`(?m)^Bcc:`), "no header injected")
	g.Expect(string(got["bob@example.com"].Data)).NotTo(MatchRegexp(`(?m)^Bcc:`), "nor a line break in the greeting")
	g.Expect(got["alice@example.com"].Header.Get("To")).To(ContainSubstring("alice@example.com"))
}

func TestEmailARefusedRecipientDoesNotBlockTheOthers(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSNone, RejectRcpt: []string{"bob@example.com"}})
	n := transferNotification()
	n.Recipients = append(n.Recipients, Recipient{Contact: "erin", Email: "not an address"})

	err := NewEmailNotifier(smtpConfig(srv)).Notify(context.Background(), n)

	var partial *PartialError
	g.Expect(errors.As(err, &partial)).To(BeTrue(), "%v", err)
	g.Expect(partial.Failed).To(ConsistOf("bob", "erin"))
	got := byRecipient(t, srv.Messages())
	g.Expect(got).To(HaveKey("alice@example.com"))
	g.Expect(got).To(HaveKey("carol@example.com"))
	g.Expect(got).NotTo(HaveKey("bob@example.com"))
	g.Expect(err.Error()).NotTo(ContainSubstring(bobToken))
}
