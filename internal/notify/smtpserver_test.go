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
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"roster.dev/roster/api/v1alpha1"
)

// testCert is a self-signed certificate for 127.0.0.1 and localhost, and a pool that trusts it.
type testCert struct {
	cert tls.Certificate
	pool *x509.CertPool
}

func newTestCert(t testing.TB) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "roster test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return testCert{cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: parsed}, pool: pool}
}

// received is one message the test server accepted.
type received struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the message came over TLS
	User string // the authenticated user, if any
	Conn string // the client's address: one per connection
}

// smtpTestServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that stores what it receives.
type smtpTestServer struct {
	mode     v1alpha1.SMTPTLSMode
	host     string
	port     int
	cert     testCert
	username string
	password string
	stall    <-chan struct{}

	mu       sync.Mutex
	messages []received
	conns    map[string]bool
}

type smtpServerOptions struct {
	mode     v1alpha1.SMTPTLSMode
	username string // non-empty: AUTH PLAIN required before MAIL
	password string
	noTLS    bool            // StartTLS mode without STARTTLS support, to check the client insists
	host     string          // listen address; 127.0.0.1 when empty
	stall    <-chan struct{} // when set, DATA waits for it to close before answering
}

// startSMTPServer starts a server and stops it when the test ends.
func startSMTPServer(t testing.TB, o smtpServerOptions) *smtpTestServer {
	t.Helper()
	s := &smtpTestServer{
		mode: o.mode, cert: newTestCert(t), username: o.username, password: o.password, stall: o.stall,
		conns: map[string]bool{},
	}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.MaxRecipients = 50
	srv.ErrorLog = log.New(io.Discard, "", 0)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{s.cert.cert}, MinVersion: tls.VersionTLS12}

	if o.host == "" {
		o.host = "127.0.0.1"
	}
	s.host = o.host
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", o.host, err)
	}
	switch o.mode {
	case v1alpha1.SMTPTLSStartTLS:
		if !o.noTLS {
			srv.TLSConfig = tlsConfig
		}
	case v1alpha1.SMTPTLSImplicit:
		ln = tls.NewListener(ln, tlsConfig)
	case v1alpha1.SMTPTLSNone:
		srv.AllowInsecureAuth = true
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("SMTP server: %v", err)
		}
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = ln.Close() // in case Close ran before Serve registered the listener
		<-done
	})
	return s
}

// config returns the client configuration that reaches s.
func (s *smtpTestServer) config() SMTPConfig {
	return SMTPConfig{
		Host:      s.host,
		Port:      s.port,
		From:      "Roster <roster@example.com>",
		TLS:       s.mode,
		Username:  s.username,
		Password:  s.password,
		Timeout:   5 * time.Second,
		TLSConfig: &tls.Config{RootCAs: s.cert.pool, MinVersion: tls.VersionTLS12},
	}
}

func (s *smtpTestServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

func (s *smtpTestServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *smtpTestServer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
	s.conns = map[string]bool{}
}

func (s *smtpTestServer) newSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	addr := c.Conn().RemoteAddr().String()
	s.mu.Lock()
	s.conns[addr] = true
	s.mu.Unlock()
	return &smtpTestSession{server: s, tls: isTLS, conn: addr}, nil
}

// smtpTestSession is one SMTP session; a STARTTLS starts a new one.
type smtpTestSession struct {
	server *smtpTestServer
	tls    bool
	conn   string
	user   string
	from   string
	to     []string
}

var _ smtp.AuthSession = (*smtpTestSession)(nil)

func (s *smtpTestSession) AuthMechanisms() []string {
	if s.server.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpTestSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return errors.New("invalid identity")
		}
		if username != s.server.username || password != s.server.password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *smtpTestSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.mode == v1alpha1.SMTPTLSStartTLS && !s.tls {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue STARTTLS first"}
	}
	if s.server.username != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpTestSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *smtpTestSession) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	if s.server.stall != nil {
		<-s.server.stall
	}
	s.server.mu.Lock()
	defer s.server.mu.Unlock()
	s.server.messages = append(s.server.messages, received{
		From: s.from, To: append([]string(nil), s.to...), Data: buf.Bytes(), TLS: s.tls, User: s.user, Conn: s.conn,
	})
	return nil
}

func (s *smtpTestSession) Reset() {
	s.from = ""
	s.to = nil
}

func (s *smtpTestSession) Logout() error { return nil }

// closedPort returns a loopback port nothing listens on.
func closedPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}
