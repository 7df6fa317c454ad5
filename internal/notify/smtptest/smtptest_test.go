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

package smtptest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/wneessen/go-mail"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify/smtptest"
)

const (
	user     = "mailer"
	password = "pa55-w0rd"
)

// sendGoMail sends one multipart/alternative message with go-mail: STARTTLS (mandatory), then AUTH with
// the given mechanism, trusting the server through its PEM certificate as a Kubernetes-configured client
// would.
func sendGoMail(t *testing.T, srv *smtptest.Server, auth mail.SMTPAuthType, pass, subject string) error {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CACertPEM()) {
		t.Fatal("CACertPEM holds no certificate")
	}
	c, err := mail.NewClient(srv.Host(),
		mail.WithPort(srv.Port()),
		mail.WithTLSPolicy(mail.TLSMandatory),
		mail.WithTLSConfig(&tls.Config{RootCAs: pool, ServerName: srv.Host(), MinVersion: tls.VersionTLS12}),
		mail.WithSMTPAuth(auth), mail.WithUsername(user), mail.WithPassword(pass),
		mail.WithTimeout(5*time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	m := mail.NewMsg()
	if err := m.From("Roster <roster@example.com>"); err != nil {
		t.Fatal(err)
	}
	if err := m.To("Alice <alice@example.com>", "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	m.Subject(subject)
	m.SetMessageIDWithValue("id-1.alice@roster.dev")
	m.SetBodyString(mail.TypeTextPlain, "Bonjour Alice, ça va ? "+strings.Repeat("long line ", 20))
	m.AddAlternativeString(mail.TypeTextHTML, `<p lang="fr">Bonjour <b>Alice</b>, ça va ?</p>`)
	return c.DialAndSendWithContext(context.Background(), m)
}

func TestStartTLSWithAuth(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{Username: user, Password: password})
	g.Expect(srv.Options().TLS).To(Equal(v1alpha1.SMTPTLSStartTLS), "the default mode")
	g.Expect(srv.Host()).To(Equal("127.0.0.1"))

	for _, auth := range []mail.SMTPAuthType{mail.SMTPAuthPlain, mail.SMTPAuthLogin} {
		srv.Reset()
		g.Expect(sendGoMail(t, srv, auth, password, "Résumé: "+string(auth))).To(Succeed(), string(auth))

		msgs := srv.Messages()
		g.Expect(msgs).To(HaveLen(1))
		m := msgs[0]
		g.Expect(m.ParseError).NotTo(HaveOccurred())
		g.Expect(m.From).To(Equal("roster@example.com"))
		g.Expect(m.To).To(Equal([]string{"alice@example.com", "bob@example.com"}))
		g.Expect(m.TLS).To(BeTrue())
		g.Expect(m.User).To(Equal(user))
		g.Expect(m.MessageID).To(Equal("id-1.alice@roster.dev"))
		g.Expect(m.Subject).To(Equal("Résumé: " + string(auth)))
		g.Expect(m.Header.Get("To")).To(ContainSubstring("<alice@example.com>"))
		g.Expect(m.ContentType).To(Equal("multipart/alternative"))
		g.Expect(m.Text).To(HavePrefix("Bonjour Alice, ça va ? long line"))
		g.Expect(m.HTML).To(Equal(`<p lang="fr">Bonjour <b>Alice</b>, ça va ?</p>`))
		g.Expect(string(m.Data)).NotTo(ContainSubstring("ça va"), "the parts were transfer-encoded")
		g.Expect(srv.Connections()).To(Equal(1))
	}

	srv.Reset()
	g.Expect(sendGoMail(t, srv, mail.SMTPAuthLogin, "wrong", "x")).To(MatchError(ContainSubstring("535")))
	g.Expect(sendGoMail(t, srv, mail.SMTPAuthPlain, "wrong", "x")).To(MatchError(ContainSubstring("535")))
	g.Expect(srv.Messages()).To(BeEmpty())
}

func TestNetSMTPBase64SinglePart(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{Username: user, Password: password})

	c, err := smtp.Dial(srv.Addr())
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = c.Close() }()
	g.Expect(c.Mail("roster@example.com")).To(MatchError(ContainSubstring("STARTTLS")), "TLS first")
	g.Expect(c.StartTLS(srv.TLSConfig())).To(Succeed())
	g.Expect(c.Mail("roster@example.com")).To(MatchError(ContainSubstring("authenticate")), "AUTH first")
	g.Expect(c.Auth(smtp.PlainAuth("", user, password, srv.Host()))).To(Succeed())
	g.Expect(c.Mail("roster@example.com")).To(Succeed())
	g.Expect(c.Rcpt("carol@example.com")).To(Succeed())
	w, err := c.Data()
	g.Expect(err).NotTo(HaveOccurred())
	_, err = w.Write([]byte("Message-ID: <single@example.com>\r\nSubject: =?UTF-8?B?SGFsbG8gV2VsdA==?=\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"SGVsbG8g\r\nQ2Fyb2w=\r\n"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(w.Close()).To(Succeed())
	g.Expect(c.Quit()).To(Succeed())

	msgs := srv.Messages()
	g.Expect(msgs).To(HaveLen(1))
	g.Expect(msgs[0].ParseError).NotTo(HaveOccurred())
	g.Expect(msgs[0].MessageID).To(Equal("single@example.com"))
	g.Expect(msgs[0].Subject).To(Equal("Hallo Welt"))
	g.Expect(msgs[0].ContentType).To(Equal("text/plain"))
	g.Expect(msgs[0].Text).To(Equal("Hello Carol"))
	g.Expect(msgs[0].HTML).To(BeEmpty())
}

func TestImplicitTLS(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSImplicit})

	conn, err := tls.Dial("tcp", srv.Addr(), srv.TLSConfig())
	g.Expect(err).NotTo(HaveOccurred())
	c, err := smtp.NewClient(conn, srv.Host())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Mail("roster@example.com")).To(Succeed())
	g.Expect(c.Rcpt("dave@example.com")).To(Succeed())
	w, err := c.Data()
	g.Expect(err).NotTo(HaveOccurred())
	_, _ = w.Write([]byte("Subject: hi\r\n\r\nhello\r\n"))
	g.Expect(w.Close()).To(Succeed())
	g.Expect(c.Quit()).To(Succeed())

	g.Expect(srv.Messages()).To(ConsistOf(And(
		HaveField("TLS", BeTrue()), HaveField("User", BeEmpty()), HaveField("Text", "hello\r\n"),
	)))
}

func TestStopRestart(t *testing.T) {
	g := NewWithT(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: v1alpha1.SMTPTLSNone})
	port := srv.Port()
	send := func() error {
		return smtp.SendMail(srv.Addr(), nil, "roster@example.com", []string{"erin@example.com"}, []byte("Subject: up\r\n\r\nup\r\n"))
	}

	g.Expect(send()).To(Succeed())

	srv.Stop()
	srv.Stop() // idempotent
	_, err := net.DialTimeout("tcp", srv.Addr(), time.Second)
	g.Expect(err).To(MatchError(ContainSubstring("refused")))
	g.Expect(send()).NotTo(Succeed())

	srv.Restart()
	srv.Restart() // idempotent
	g.Expect(srv.Port()).To(Equal(port))
	g.Expect(send()).To(Succeed())
	g.Expect(srv.Messages()).To(HaveLen(2), "messages survive a restart")

	srv.Reset()
	g.Expect(srv.Messages()).To(BeEmpty())
	g.Expect(srv.Connections()).To(BeZero())
}

func TestClosedPort(t *testing.T) {
	_, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(smtptest.ClosedPort(t))), time.Second)
	NewWithT(t).Expect(err).To(HaveOccurred())
}
