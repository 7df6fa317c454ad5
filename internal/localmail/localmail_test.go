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

package localmail_test

import (
	"bytes"
	"errors"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	mail "github.com/wneessen/go-mail"

	"roster.dev/roster/internal/localmail"
)

// approvalLink is long enough for quoted-printable to break it across lines, and has a "=" to escape.
const approvalLink = "http://127.0.0.1:18082/approve/1fa0fa77-8448-4fbc-97ce-e6c7ca33ac30?token=mV3zXC5FMW1UICIzq2rt6yB8734poNEFZWL53GZu5J0&x=a=b"

// console is the server's output, safe to read while the server writes.
type console struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *console) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func start(t *testing.T) (*localmail.Server, *console) {
	t.Helper()
	out := &console{}
	s, err := localmail.Start("127.0.0.1:0", filepath.Join(t.TempDir(), "mail"), out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, out
}

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestKeepsAndPrintsWhatRosterSends sends a message as the operator does (go-mail, text and HTML
// alternatives, quoted-printable, no TLS) and reads the file and the console.
func TestKeepsAndPrintsWhatRosterSends(t *testing.T) {
	s, out := start(t)
	port := s.Addr().(*net.TCPAddr).Port

	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.From("roster@acme.example"); err != nil {
		t.Fatal(err)
	}
	if err := m.AddToFormat("Alice Martin", "alice.martin@acme.example"); err != nil {
		t.Fatal(err)
	}
	m.Subject("[ACME Corp] Approbation requise : transfert du rôle billing")
	m.SetBodyString(mail.TypeTextPlain, "Bonjour Alice Martin,\n\nApprouvez ou refusez ici :\n"+approvalLink+"\n\nOu, avec kubectl : ...\n")
	m.AddAlternativeString(mail.TypeTextHTML, `<p>Approuvez ou refusez <a href="`+strings.ReplaceAll(approvalLink, "&", "&amp;")+`">ici</a>.</p>`)
	c, err := mail.NewClient("127.0.0.1", mail.WithPort(port), mail.WithTLSPolicy(mail.NoTLS))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DialAndSend(m); err != nil {
		t.Fatal(err)
	}

	files := emlFiles(t, s.Dir())
	if len(files) != 1 {
		t.Fatalf("want one .eml file in %s, got %v", s.Dir(), files)
	}
	st, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the file carries tokens: want mode 0600, got %v", st.Mode().Perm())
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("Content-Transfer-Encoding: quoted-printable")) {
		t.Errorf("the test means to send quoted-printable; the file is:\n%s", data)
	}
	if sum := localmail.Summarize(data); !slices.Equal(sum.Links, []string{approvalLink}) || sum.Err != nil {
		t.Errorf("the file does not read back: %+v", sum)
	}

	want := "\nlocal mail: to alice.martin@acme.example (" + files[0] + ")\n" +
		"  Subject: [ACME Corp] Approbation requise : transfert du rôle billing\n" +
		"  Link: " + approvalLink + "\n"
	if got := out.String(); got != want {
		t.Errorf("console:\n got %q\nwant %q", got, want)
	}
}

// TestKeepsEveryMessage sends two messages with net/smtp, one an HTML-only base64 part in a nested
// multipart, to two recipients: each has its own file and its own lines.
func TestKeepsEveryMessage(t *testing.T) {
	s, out := start(t)
	htmlOnly := "Subject: =?utf-8?q?R=C3=B4le_accord=C3=A9?=\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=outer\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
		"--inner\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrap(b64(`<a href="https://roster.example.com/confirm/x?token=a&amp;b=c">confirm</a>`)) + "\r\n" +
		"--inner--\r\n--outer--\r\n"
	plain := "Subject: hello\r\n\r\nsee http://127.0.0.1:18082/approve/y?token=z.\r\n"
	for _, msg := range []string{htmlOnly, plain} {
		if err := smtp.SendMail(s.Addr().String(), nil, "roster@acme.example",
			[]string{"bob@acme.example", "carol@acme.example"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	if files := emlFiles(t, s.Dir()); len(files) != 2 {
		t.Fatalf("want two .eml files, got %v", files)
	}
	got := out.String()
	for _, line := range []string{
		"local mail: to bob@acme.example, carol@acme.example (",
		"  Subject: Rôle accordé\n",
		"  Link: https://roster.example.com/confirm/x?token=a&b=c\n",
		"  Subject: hello\n",
		"  Link: http://127.0.0.1:18082/approve/y?token=z\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("console lacks %q:\n%s", line, got)
		}
	}
	if n := strings.Count(got, "local mail: to "); n != 2 {
		t.Errorf("want two messages printed, got %d:\n%s", n, got)
	}
}

// TestPortTaken: a port in use is an error that says so, for the caller to go on without the server.
func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := localmail.Start(ln.Addr().String(), t.TempDir(), &console{})
	if err == nil {
		s.Close()
		t.Fatal("Start on a port in use succeeded")
	}
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)) {
		t.Errorf("want an error naming the port in use, got %v", err)
	}
}

// TestCloseStopsListening: after Close, nothing answers on the port.
func TestCloseStopsListening(t *testing.T) {
	s, err := localmail.Start("127.0.0.1:0", t.TempDir(), &console{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", s.Addr().String()); err == nil {
		c.Close()
		t.Error("the port still accepts connections after Close")
	}
}
