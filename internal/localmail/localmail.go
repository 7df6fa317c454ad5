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

// Package localmail is the mail server of `make run`: an SMTP server (github.com/emersion/go-smtp) that
// accepts every message, keeps each as a .eml file in a directory and prints its recipients, subject and
// links, so that a newcomer can follow an approval link with nothing else installed.
//
// It is a development tool: it offers neither TLS nor authentication (an Organization points at it with
// tls: None), relays nothing, and prints the links it receives, approval tokens included. Listen on
// loopback only.
package localmail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Limits of the server: Roster's messages are a few kilobytes, to one recipient each.
const (
	maxMessageBytes = 4 << 20
	maxRecipients   = 100
	ioTimeout       = 30 * time.Second
)

// Server is a running local mail server.
type Server struct {
	dir  string
	out  io.Writer
	smtp *smtp.Server
	ln   net.Listener
	done chan struct{}

	mu   sync.Mutex // serialises the files' names and the printing
	seq  int
	errs []error // what failed in the background, for Close
}

// Start listens on addr (host:port; port 0 picks one) and serves until Close. It creates dir (0700) for the
// .eml files, and prints a summary of each message to out. An address already in use is an error that
// wraps the listener's, so the caller can say which port is taken.
func Start(addr, dir string, out io.Writer) (*Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local mail: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("local mail: %w", err)
	}
	s := &Server{dir: dir, out: out, ln: ln, done: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{server: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = ioTimeout, ioTimeout
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = maxRecipients
	srv.ErrorLog = log.New(io.Discard, "", 0) // a client that hangs up is no news
	s.smtp = srv
	go func() {
		defer close(s.done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			s.fail(err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Dir is the directory of the .eml files.
func (s *Server) Dir() string { return s.dir }

// Close stops the server and its connections. It returns what failed in the background, if anything.
func (s *Server) Close() error {
	err := s.smtp.Close() // closes the connections, and the listener once Serve has registered it
	_ = s.ln.Close()      // in case Serve has not yet: its Accept fails, it sees Close and returns
	<-s.done
	if errors.Is(err, smtp.ErrServerClosed) {
		err = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(append([]error{err}, s.errs...)...)
}

func (s *Server) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, err)
}

// keep writes one message to a new file of the directory and prints its summary.
func (s *Server) keep(to []string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, err := s.create(data)
	if err != nil {
		s.errs = append(s.errs, err)
		fmt.Fprintf(s.out, "\nlocal mail: cannot keep a message to %s: %v\n", strings.Join(to, ", "), err)
		return err
	}
	sum := Summarize(data)
	var b strings.Builder
	fmt.Fprintf(&b, "\nlocal mail: to %s (%s)\n", strings.Join(to, ", "), path)
	fmt.Fprintf(&b, "  Subject: %s\n", oneLine(sum.Subject))
	for _, l := range sum.Links {
		fmt.Fprintf(&b, "  Link: %s\n", l)
	}
	if sum.Err != nil {
		fmt.Fprintf(&b, "  (could not read it all: %v)\n", sum.Err)
	}
	_, _ = io.WriteString(s.out, b.String())
	return nil
}

// create writes data to a file named after the time and a sequence number, never over another.
func (s *Server) create(data []byte) (string, error) {
	stamp := time.Now().UTC().Format("20060102-150405.000")
	for range 1000 {
		s.seq++
		path := filepath.Join(s.dir, fmt.Sprintf("%s-%04d.eml", stamp, s.seq))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return path, err
	}
	return "", fmt.Errorf("no free file name in %s", s.dir)
}

// oneLine keeps a header on one line of the console.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// session is one SMTP session: any sender, any recipient.
type session struct {
	server *Server
	to     []string
}

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	if err := s.server.keep(s.to, buf.Bytes()); err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "cannot keep the message"}
	}
	return nil
}

func (s *session) Reset() {
	s.to = nil
}

func (s *session) Logout() error { return nil }
