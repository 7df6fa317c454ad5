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

// Package smtptest runs a real SMTP server on loopback for tests.
//
// The server (github.com/emersion/go-smtp) speaks STARTTLS, implicit TLS or plain SMTP with a self-signed
// certificate, optionally requires AUTH PLAIN or LOGIN, and keeps every message it accepts, decoded, for
// the test to inspect. It can be stopped and restarted on the same port to play a relay that goes down
// and comes back. Inside Ginkgo suites, pass GinkgoTB() as the testing.TB.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"roster.dev/roster/api/v1alpha1"
)

// Options configures a Server.
type Options struct {
	// TLS is the transport security the server offers: StartTLS (the default when empty: STARTTLS is
	// advertised, and MAIL is refused before it), TLS (implicit TLS from the first byte) or None.
	TLS v1alpha1.SMTPTLSMode
	// Username and Password, when Username is set, make AUTH (PLAIN or LOGIN) required before MAIL and
	// are checked. AUTH is offered over TLS only, except in the None mode.
	Username, Password string
	// NoStartTLS, in the StartTLS mode, leaves STARTTLS out of the server's capabilities (MAIL is still
	// refused without it), to check that a client insists on TLS.
	NoStartTLS bool
	// Host is the loopback address to listen on; 127.0.0.1 when empty. The test is skipped when another
	// address cannot be bound.
	Host string
	// StallData, when set, makes every DATA command wait until it is closed before answering (and before
	// the message is stored). Close it in a t.Cleanup registered after Start, so that it runs first.
	StallData <-chan struct{}
	// RejectRcpt are addresses RCPT TO refuses, permanently (550 5.1.1), as a server that knows no such
	// mailbox.
	RejectRcpt []string
}

// Message is one message the server accepted.
type Message struct {
	// From and To are the SMTP envelope (MAIL FROM and RCPT TO).
	From string
	To   []string
	// Data is the raw message, as received after DATA.
	Data []byte
	// TLS tells whether the message came over TLS (STARTTLS or implicit).
	TLS bool
	// User is the authenticated user, if any.
	User string
	// Conn is the client's address: one per connection.
	Conn string

	// Header is the parsed message header; the fields below are decoded from the message.
	Header mail.Header
	// MessageID is the Message-ID header without its angle brackets.
	MessageID string
	// Subject is the decoded (RFC 2047) Subject header.
	Subject string
	// ContentType is the media type of the message, for example multipart/alternative.
	ContentType string
	// Text and HTML are the decoded text/plain and text/html parts (the first of each, looking into
	// nested multiparts), or the body itself for a single-part message of that type.
	Text, HTML string
	// ParseError is set when the message could not be parsed; the decoded fields may then be partial.
	ParseError error
}

// Server is a running SMTP server on loopback. Its methods are safe for concurrent use.
type Server struct {
	t    testing.TB
	opts Options
	cert tls.Certificate
	pool *x509.CertPool
	port int

	life    sync.Mutex    // serialises Stop and Restart
	smtp    *smtp.Server  // nil when stopped
	ln      net.Listener  // the listener smtp serves
	serving chan struct{} // closed when the current Serve returns

	mu       sync.Mutex
	messages []Message
	conns    map[string]bool
}

// Start starts a server on Options.Host (127.0.0.1 by default), on a free port, and stops it when the test
// ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.TLS == "" {
		o.TLS = v1alpha1.SMTPTLSStartTLS
	}
	switch o.TLS {
	case v1alpha1.SMTPTLSStartTLS, v1alpha1.SMTPTLSImplicit, v1alpha1.SMTPTLSNone:
	default:
		t.Fatalf("smtptest: unknown TLS mode %q", o.TLS)
	}
	defaultHost := o.Host == ""
	if defaultHost {
		o.Host = "127.0.0.1"
	}
	s := &Server{t: t, opts: o, conns: map[string]bool{}}
	s.newCert(t)

	ln, err := net.Listen("tcp", net.JoinHostPort(o.Host, "0"))
	if err != nil {
		if defaultHost {
			t.Fatalf("smtptest: listen: %v", err)
		}
		t.Skipf("smtptest: cannot listen on %s: %v", o.Host, err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// newCert makes a self-signed certificate for localhost, the loopback addresses and Options.Host.
func (s *Server) newCert(t testing.TB) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "roster test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	if ip := net.ParseIP(s.opts.Host); ip != nil {
		if !ip.Equal(net.IPv4(127, 0, 0, 1)) && !ip.Equal(net.IPv6loopback) {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		}
	} else if s.opts.Host != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, s.opts.Host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	s.cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	s.pool = x509.NewCertPool()
	s.pool.AddCert(leaf)
}

// serve runs a new go-smtp server on ln. The caller holds s.life, or is Start.
func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.MaxRecipients = 50
	srv.ErrorLog = log.New(io.Discard, "", 0)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
	switch s.opts.TLS {
	case v1alpha1.SMTPTLSStartTLS:
		if !s.opts.NoStartTLS {
			srv.TLSConfig = tlsConfig
		}
	case v1alpha1.SMTPTLSImplicit:
		ln = tls.NewListener(ln, tlsConfig)
	case v1alpha1.SMTPTLSNone:
		srv.AllowInsecureAuth = true
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Serve returns nil once Close was called; anything else is a real failure.
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			s.t.Errorf("smtptest: serve: %v", err)
		}
	}()
	s.smtp, s.ln, s.serving = srv, ln, done
}

// Host is the address the server listens on.
func (s *Server) Host() string { return s.opts.Host }

// Port is the server's port; it stays the same across Stop and Restart.
func (s *Server) Port() int { return s.port }

// Addr is Host:Port.
func (s *Server) Addr() string { return net.JoinHostPort(s.opts.Host, strconv.Itoa(s.port)) }

// Options returns the server's options, with the defaults filled in.
func (s *Server) Options() Options { return s.opts }

// TLSConfig returns a new client configuration that trusts the server's certificate, for the StartTLS and
// TLS modes. Its ServerName is Host.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.pool.Clone(), ServerName: s.opts.Host, MinVersion: tls.VersionTLS12}
}

// CACertPEM returns the server's self-signed certificate in PEM, for a client configured from Kubernetes
// objects (a Secret or ConfigMap holding a CA bundle) to trust it.
func (s *Server) CACertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Certificate[0]})
}

// Messages returns the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Connections returns how many client connections (distinct client addresses) the server saw.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Reset forgets the messages and connections seen so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
	s.conns = map[string]bool{}
}

// Stop closes the listener and the open connections: new connections are refused until Restart. Stopping
// a stopped server does nothing.
func (s *Server) Stop() {
	s.life.Lock()
	defer s.life.Unlock()
	if s.smtp == nil {
		return
	}
	_ = s.smtp.Close() // closes the open connections, and the listener once Serve has registered it
	_ = s.ln.Close()   // in case Serve has not registered it yet: Accept fails, Serve sees Close and returns
	<-s.serving
	s.smtp, s.ln, s.serving = nil, nil, nil
}

// Restart listens again on the same address and port, retrying for a few seconds while the port cannot be
// bound yet; it fails the test if it still cannot. Restarting a running server does nothing. Messages
// received before are kept.
func (s *Server) Restart() {
	s.t.Helper()
	s.life.Lock()
	defer s.life.Unlock()
	if s.smtp != nil {
		return
	}
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; {
		var ln net.Listener
		if ln, err = net.Listen("tcp", s.Addr()); err == nil {
			s.serve(ln)
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("smtptest: restart on %s: %v", s.Addr(), err)
}

// ClosedPort returns a loopback port nothing listens on (one that was just free).
func ClosedPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	addr := c.Conn().RemoteAddr().String()
	s.mu.Lock()
	s.conns[addr] = true
	s.mu.Unlock()
	return &session{server: s, tls: isTLS, conn: addr}, nil
}

// session is one SMTP session; a STARTTLS starts a new one.
type session struct {
	server *Server
	tls    bool
	conn   string
	user   string
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string {
	if s.server.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(username, password string) error {
		if username != s.server.opts.Username || password != s.server.opts.Password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return errors.New("invalid identity")
			}
			return check(username, password)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.opts.TLS == v1alpha1.SMTPTLSStartTLS && !s.tls {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue STARTTLS first"}
	}
	if s.server.opts.Username != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if slices.Contains(s.server.opts.RejectRcpt, to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	if stall := s.server.opts.StallData; stall != nil {
		<-stall
	}
	m := Message{From: s.from, To: append([]string(nil), s.to...), Data: buf.Bytes(), TLS: s.tls, User: s.user, Conn: s.conn}
	m.ParseError = m.parse()
	s.server.mu.Lock()
	defer s.server.mu.Unlock()
	s.server.messages = append(s.server.messages, m)
	return nil
}

func (s *session) Reset() {
	s.from = ""
	s.to = nil
}

func (s *session) Logout() error { return nil }

// loginServer is the server side of the (obsolete, but common) LOGIN mechanism, which go-sasl lacks.
type loginServer struct {
	check    func(username, password string) error
	step     int
	username string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if response == nil { // no initial response: ask for the user name
			return []byte("Username:"), false, nil
		}
		l.username = string(response)
		l.step++
		return []byte("Password:"), false, nil
	case 1:
		l.username = string(response)
		l.step++
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.username, string(response))
	}
	return nil, false, errors.New("unexpected LOGIN response")
}

// parse fills the decoded fields from m.Data.
func (m *Message) parse() error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return fmt.Errorf("reading message: %w", err)
	}
	m.Header = msg.Header
	m.MessageID = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(msg.Header.Get("Message-ID")), "<"), ">")
	var dec mime.WordDecoder
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.Subject = msg.Header.Get("Subject")
		return fmt.Errorf("decoding subject: %w", err)
	}
	m.ContentType = "text/plain"
	var params map[string]string
	if ct := msg.Header.Get("Content-Type"); ct != "" {
		if m.ContentType, params, err = mime.ParseMediaType(ct); err != nil {
			return fmt.Errorf("content type: %w", err)
		}
	}
	return m.parseBody(m.ContentType, params, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

// parseBody decodes one entity: the text parts, or the parts of a multipart.
func (m *Message) parseBody(mediaType string, params map[string]string, encoding string, body io.Reader) error {
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart() // decodes quoted-printable, and drops the header then
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading %s part: %w", mediaType, err)
			}
			partType, partParams := "text/plain", map[string]string(nil)
			if ct := part.Header.Get("Content-Type"); ct != "" {
				if partType, partParams, err = mime.ParseMediaType(ct); err != nil {
					return fmt.Errorf("part content type: %w", err)
				}
			}
			if err := m.parseBody(partType, partParams, part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
				return err
			}
		}
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil // attachments and the like
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // skips the line breaks
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("reading %s: %w", mediaType, err)
	}
	if mediaType == "text/plain" && m.Text == "" {
		m.Text = string(text)
	} else if mediaType == "text/html" && m.HTML == "" {
		m.HTML = string(text)
	}
	return nil
}
