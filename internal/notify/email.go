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
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	mail "github.com/wneessen/go-mail"

	"roster.dev/roster/api/v1alpha1"
)

const (
	// HeaderNotification carries the notification Type on every email.
	HeaderNotification = "X-Roster-Notification"
	// messageIDDomain is the right-hand side of every Message-ID.
	messageIDDomain = "roster.dev"
	// maxMessageIDLocal bounds the left-hand side of a Message-ID; longer ones are hashed.
	maxMessageIDLocal = 200
)

// SMTPConfig says how to reach the mail server. Credentials are values read by the caller (from the
// Secret named by the Organization); they are never logged nor put in errors.
type SMTPConfig struct {
	// Host and Port address the SMTP server.
	Host string
	Port int
	// From is the sender: an address, or "Name <address>".
	From string
	// TLS is StartTLS (mandatory STARTTLS, the default when empty), TLS (implicit TLS, SMTPS) or None
	// (clear text). With None, the library refuses to send a username and password unless the host is
	// localhost, 127.0.0.1 or ::1: credentials never cross a network in clear text.
	TLS v1alpha1.SMTPTLSMode
	// Username and Password authenticate with PLAIN or LOGIN, whichever the server offers, when
	// Username is set.
	Username, Password string
	// Timeout bounds the connection and each command; 0 means the library's default (15s).
	Timeout time.Duration
	// Dial opens the TCP connection; nil means (*Destinations)(nil).DialContext: public addresses only.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// AllowPlaintext tells whether a server at an address may be spoken to with TLS None; nil means
	// loopback only.
	AllowPlaintext func(netip.Addr) bool
	// TLSConfig overrides the TLS settings (tests trust a test CA with it); its ServerName defaults to
	// Host and its MinVersion to TLS 1.2.
	TLSConfig *tls.Config
}

// EmailNotifier sends each recipient of a notification one email, in the recipient's locale, over one
// SMTP connection per notification. It is safe for concurrent use.
type EmailNotifier struct {
	cfg SMTPConfig
}

var _ Notifier = (*EmailNotifier)(nil)

// NewEmailNotifier returns a Notifier that sends email through the SMTP server of cfg.
func NewEmailNotifier(cfg SMTPConfig) *EmailNotifier {
	return &EmailNotifier{cfg: cfg}
}

// Notify sends one message per recipient that has an email address (the others are skipped), all over
// one connection. Each message carries a Message-ID derived from n.Key and the recipient's contact, so
// a retry after a partial failure repeats the same Message-IDs and receivers can drop the duplicates.
func (e *EmailNotifier) Notify(ctx context.Context, n Notification) error {
	secrets := e.secrets(n)
	msgs := make([]*mail.Msg, 0, len(n.Recipients))
	contacts := make([]string, 0, len(n.Recipients)) // of msgs
	var unbuilt []string
	var buildErrs []error
	for _, r := range n.Recipients {
		if strings.TrimSpace(r.Email) == "" {
			continue
		}
		m, err := e.message(n, r)
		if err != nil {
			// One bad address must not keep the message from the others.
			unbuilt = append(unbuilt, r.Contact)
			buildErrs = append(buildErrs, fmt.Errorf("email %s for contact %q: %w", n.Type, r.Contact, err))
			continue
		}
		msgs, contacts = append(msgs, m), append(contacts, r.Contact)
	}
	if len(msgs) == 0 {
		if len(buildErrs) > 0 {
			return redact(errors.Join(buildErrs...), secrets)
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// Closing the connection when ctx ends unblocks a send that waits on the network.
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			_ = conn.Close()
		}
	})
	defer stop()
	client, err := e.client(func(dialCtx context.Context, network, address string) (net.Conn, error) {
		c, err := e.dial(dialCtx, network, address)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		conn = c
		return c, nil
	})
	if err != nil {
		return redact(fmt.Errorf("SMTP %s: %w", e.addr(), err), secrets)
	}
	if err := client.DialAndSendWithContext(ctx, msgs...); err != nil {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		err = redact(fmt.Errorf("SMTP %s: sending %d message(s) for %s: %w", e.addr(), len(msgs), n.Type, err), secrets)
		// Messages are sent one after the other on the connection: when some carry an error and others
		// do not, the others went through. When none does, the connection itself failed: none went.
		var refused []string
		for i, m := range msgs {
			if m.HasSendError() {
				refused = append(refused, contacts[i])
			}
		}
		if len(refused) > 0 && len(refused) < len(msgs) {
			return &PartialError{Failed: append(slices.Clone(unbuilt), refused...), Err: err}
		}
		return err
	}
	if len(buildErrs) > 0 {
		return &PartialError{Failed: unbuilt, Err: redact(errors.Join(buildErrs...), secrets)}
	}
	return nil
}

// PartialError is a notification that reached some recipients and not others: a retry needs to go to
// Failed (contact names) only.
type PartialError struct {
	Failed []string
	Err    error
}

func (e *PartialError) Error() string { return e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// dial opens the connection to the server: TCP, then TLS at once in the implicit TLS mode.
func (e *EmailNotifier) dial(ctx context.Context, network, address string) (net.Conn, error) {
	dial := e.cfg.Dial
	if dial == nil {
		dial = (*Destinations)(nil).DialContext
	}
	c, err := dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if e.cfg.TLS == v1alpha1.SMTPTLSNone {
		allow := e.cfg.AllowPlaintext
		if allow == nil {
			allow = (*Destinations)(nil).AllowsPlaintextSMTP
		}
		remote, err := netip.ParseAddrPort(c.RemoteAddr().String())
		if err != nil || !allow(remote.Addr()) {
			_ = c.Close()
			return nil, fmt.Errorf("%w: tls: None is for a server on this host (loopback); %s is not (the operator's --smtp-plaintext-cidrs does not list it)",
				ErrPlaintextNotAllowed, remote.Addr())
		}
	}
	if e.cfg.TLS != v1alpha1.SMTPTLSImplicit {
		return c, nil
	}
	tc := tls.Client(c, e.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

func (e *EmailNotifier) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.cfg.TLSConfig != nil {
		cfg = e.cfg.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = e.cfg.Host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

func (e *EmailNotifier) addr() string {
	return net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
}

// client configures a go-mail client for one notification; the connection is opened by the send,
// with dial.
func (e *EmailNotifier) client(dial mail.DialContextFunc) (*mail.Client, error) {
	opts := []mail.Option{
		mail.WithPort(e.cfg.Port),
		mail.WithTLSConfig(e.tlsConfig()),
		mail.WithDialContextFunc(dial),
		mail.WithoutNoop(),
	}
	if e.cfg.Timeout > 0 {
		opts = append(opts, mail.WithTimeout(e.cfg.Timeout))
	}
	switch e.cfg.TLS {
	case v1alpha1.SMTPTLSStartTLS, "":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case v1alpha1.SMTPTLSImplicit:
		// dial does the TLS handshake; no STARTTLS inside the TLS connection.
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case v1alpha1.SMTPTLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("unknown TLS mode %q", e.cfg.TLS)
	}
	if e.cfg.Username != "" {
		// PLAIN or LOGIN, whichever the server offers. Both refuse to run over a clear-text connection
		// to anything but localhost.
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthPlain, mail.SMTPAuthLogin),
			mail.WithUsername(e.cfg.Username),
			mail.WithPassword(e.cfg.Password),
		)
	}
	return mail.NewClient(e.cfg.Host, opts...)
}

// message builds the email of one recipient.
func (e *EmailNotifier) message(n Notification, r Recipient) (*mail.Msg, error) {
	rendered, err := Render(n, r)
	if err != nil {
		return nil, err
	}
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.From(e.cfg.From); err != nil {
		return nil, fmt.Errorf("invalid sender address: %w", err)
	}
	// A structured address: a display name with quotes, backslashes or line breaks is encoded, never
	// parsed.
	to, err := netmail.ParseAddress(strings.TrimSpace(r.Email))
	if err != nil {
		return nil, fmt.Errorf("invalid recipient address: %w", err)
	}
	m.AddToMailAddress(&netmail.Address{Name: displayName(r.DisplayName), Address: to.Address})
	m.Subject(rendered.Subject)
	m.SetMessageIDWithValue(MessageID(n.Key, recipientID(r)))
	m.SetGenHeader(mail.Header(HeaderNotification), string(n.Type))
	// RFC 3834: an automatic message, that out-of-office responders should not answer.
	m.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	m.SetUserAgent("roster")
	m.SetDate()
	m.SetBodyString(mail.TypeTextPlain, rendered.Text)
	m.AddAlternativeString(mail.TypeTextHTML, rendered.HTML)
	return m, nil
}

// displayName drops control characters (line breaks included) from a contact's display name.
func displayName(name string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, name))
}

// recipientID is what tells a notification's recipients apart in its Message-ID: the contact's name,
// or its address for a recipient without one.
func recipientID(r Recipient) string {
	if r.Contact != "" {
		return r.Contact
	}
	return strings.ToLower(strings.TrimSpace(r.Email))
}

// MessageID returns the Message-ID (without angle brackets) of the email of a notification to a
// contact: "KEY.CONTACT@roster.dev". It is stable (the same key and contact always give the same id)
// and injective: characters other than letters, digits, '-' and '_' are written "=XX" (hex of each
// byte), so the '.' between KEY and CONTACT is unambiguous. A left-hand side longer than 200
// characters is replaced by the hex SHA-256 of key and contact.
func MessageID(key, contact string) string {
	local := escapeIDPart(key) + "." + escapeIDPart(contact)
	if len(local) > maxMessageIDLocal {
		sum := sha256.Sum256([]byte(key + "\x00" + contact))
		local = hex.EncodeToString(sum[:])
	}
	return local + "@" + messageIDDomain
}

// escapeIDPart writes s with dot-atom characters only (RFC 5322 atext), escaping all but [A-Za-z0-9_-].
func escapeIDPart(s string) string {
	if s == "" {
		return "_"
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-':
			b.WriteByte(c)
		case c == '_' && len(s) > 1:
			b.WriteByte(c)
		default:
			b.WriteByte('=')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0x0f])
		}
	}
	return b.String()
}

// secrets lists the values no error may carry: the SMTP password (raw and in the base64 forms of the
// PLAIN and LOGIN exchanges) and the recipients' tokens and links.
func (e *EmailNotifier) secrets(n Notification) []string {
	var s []string
	if p := e.cfg.Password; p != "" {
		s = append(s, p,
			base64.StdEncoding.EncodeToString([]byte(p)),
			base64.StdEncoding.EncodeToString([]byte("\x00"+e.cfg.Username+"\x00"+p)))
	}
	return append(s, recipientSecrets(n)...)
}

// recipientSecrets are the tokens, codes and links of n's recipients.
func recipientSecrets(n Notification) []string {
	var s []string
	for _, r := range n.Recipients {
		for _, secret := range []string{r.Token, r.Link, r.ApproveCode, r.RefuseCode} {
			if secret != "" {
				s = append(s, secret)
			}
		}
	}
	return s
}

// redactedError is an error whose message had secrets removed; it does not unwrap, so the original
// message cannot be reached.
type redactedError struct{ msg string }

func (e *redactedError) Error() string { return e.msg }

// redact returns err unchanged when its message carries none of secrets, else an error with the same
// message where each secret is replaced by "[redacted]".
func redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	found := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
			found = true
		}
	}
	if !found {
		return err
	}
	return &redactedError{msg: msg}
}
