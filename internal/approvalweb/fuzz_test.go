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

package approvalweb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"roster.dev/roster/api/v1alpha1"
)

// errUID is the transfer the fuzzed Decider fails for, with an error that quotes the token.
const errUID = "deadbeef-0000-4000-8000-000000000000"

// fuzzDecider knows testUID with goodToken, fails for errUID, and records its calls.
type fuzzDecider struct{ calls []call }

func (d *fuzzDecider) answer(c call) (View, error) {
	d.calls = append(d.calls, c)
	switch {
	case c.UID == errUID:
		return View{}, errors.New(c.Token) // a careless Decider: its error is the token itself
	case c.UID == testUID && c.Token == goodToken:
		v := sampleView("en")
		v.Decision = c.Decision
		return v, nil
	}
	return View{}, ErrInvalidToken
}

func (d *fuzzDecider) View(_ context.Context, uid, token string) (View, error) {
	return d.answer(call{Op: "View", UID: uid, Token: token})
}

func (d *fuzzDecider) Decide(_ context.Context, uid, token string, decision v1alpha1.Decision) (View, error) {
	return d.answer(call{Op: "Decide", UID: uid, Token: token, Decision: decision})
}

// captureSink keeps every log entry: its message, error and key/value pairs, at every verbosity.
type captureSink struct {
	entries *[]logEntry
	values  []any
}

type logEntry struct {
	msg, err string
	values   []any
}

func (s captureSink) String() string {
	var b strings.Builder
	for _, e := range *s.entries {
		fmt.Fprintf(&b, "%s %s %v\n", e.msg, e.err, e.values)
	}
	return b.String()
}

func (captureSink) Init(logr.RuntimeInfo)  {}
func (captureSink) Enabled(level int) bool { return true }
func (s captureSink) Info(_ int, msg string, kv ...any) {
	*s.entries = append(*s.entries, logEntry{msg: msg, values: append(append([]any{}, s.values...), kv...)})
}
func (s captureSink) Error(err error, msg string, kv ...any) {
	*s.entries = append(*s.entries, logEntry{msg: msg, err: err.Error(), values: append(append([]any{}, s.values...), kv...)})
}
func (s captureSink) WithValues(kv ...any) logr.LogSink {
	s.values = append(append([]any{}, s.values...), kv...)
	return s
}
func (s captureSink) WithName(string) logr.LogSink { return s }

// page renders a message page as the handler does.
func renderedPage(t testing.TB, p messagePage) string {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, "message.html", p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	retryAfterValue = regexp.MustCompile(`^[1-9][0-9]*$`)
	allowedHeaders  = map[string]bool{"Content-Security-Policy": true, "X-Frame-Options": true, "X-Content-Type-Options": true,
		"Referrer-Policy": true, "Cache-Control": true, "Content-Type": true, "Retry-After": true, "Connection": true}
)

// FuzzHandler sends random requests (method, target, headers, body) to the page, with a Decider that
// knows one transfer and token and fails for another UID, and checks that the page never answers 5xx
// but the 503 of that failure, never repeats a token anywhere but in its own form, never logs one, and
// always sends its security headers.
func FuzzHandler(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	for _, seed := range []struct {
		method, target, body, contentType, remote, forwardedFor string
		tight                                                   bool
	}{
		{"GET", "/approve/" + testUID + "?token=" + goodToken, "", "", "192.0.2.1:1", "", false},
		{"HEAD", "/approve/" + testUID + "?token=" + goodToken, "", "", "192.0.2.1:1", "", true},
		{"POST", "/approve/" + testUID, "token=" + goodToken + "&decision=Approved", form, "192.0.2.1:1", "", false},
		{"POST", "/approve/" + testUID, "token=" + goodToken + "&decision=Refused", form, "10.0.0.1:1", "198.51.100.1", true},
		{"POST", "/approve/" + testUID + "?decision=Approved", "token=" + goodToken, form, "192.0.2.1:1", "", false},
		{"POST", "/approve/" + testUID, "token=wrong&decision=Approved", form, "[2001:db8::1]:1", "", false},
		{"POST", "/approve/" + testUID, "token=" + strings.Repeat("x", 5000) + "&decision=Approved", form, "192.0.2.1:1", "", false},
		{"POST", "/approve/" + testUID, "token=%zz&decision=Approved", form, "192.0.2.1:1", "", false},
		{"POST", "/approve/" + errUID, "token=s3cr3t&decision=Approved", form, "192.0.2.1:1", "", false},
		{"GET", "/approve/" + errUID + "?token=s3cr3t", "", "", "192.0.2.1:1", "", false},
		{"GET", "/approve/" + errUID + "?token=%5BREDACTED%5D", "", "", "192.0.2.1:1", "", false},
		{"GET", "/approve/../approve/" + testUID + "?token=" + goodToken, "", "", "192.0.2.1:1", "", false},
		{"GET", "//approve/" + testUID + "?token=" + goodToken, "", "", "192.0.2.1:1", "", false},
		{"GET", "/approve/" + testUID[:8] + "%2F" + testUID[9:] + "?token=" + goodToken, "", "", "192.0.2.1:1", "", false},
		{"GET", "http://other.example/approve/" + testUID + "?token=" + goodToken, "", "", "192.0.2.1:1", "", false},
		{"GET", "/healthz", "", "", "192.0.2.1:1", "", true},
		{"PUT", "/approve/" + testUID + "?token=" + goodToken, "", "", "192.0.2.1:1", "", false},
		{"OPTIONS", "*", "", "", "192.0.2.1:1", "", false},
		{"CONNECT", "roster.example.com:443", "", "", "192.0.2.1:1", "", false},
		{"POST", "/approve/" + testUID, "--x\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n" + goodToken + "\r\n--x--",
			"multipart/form-data; boundary=x", "192.0.2.1:1", "", false},
	} {
		f.Add(seed.method, seed.target, seed.body, seed.contentType, seed.remote, seed.forwardedFor, seed.tight)
	}

	generic := map[int]string{
		http.StatusNotFound:              renderedPage(f, invalidPage),
		http.StatusBadRequest:            renderedPage(f, badRequestPage),
		http.StatusRequestEntityTooLarge: renderedPage(f, badRequestPage),
		http.StatusTooManyRequests:       renderedPage(f, tooManyPage),
		http.StatusServiceUnavailable:    renderedPage(f, unavailablePage),
	}

	f.Fuzz(func(t *testing.T, method, target, body, contentType, remote, forwardedFor string, tight bool) {
		var raw strings.Builder
		fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: roster.example.com\r\n", method, target)
		if contentType != "" {
			fmt.Fprintf(&raw, "Content-Type: %s\r\n", contentType)
		}
		if forwardedFor != "" {
			fmt.Fprintf(&raw, "X-Forwarded-For: %s\r\n", forwardedFor)
		}
		fmt.Fprintf(&raw, "Content-Length: %d\r\n\r\n%s", len(body), body)
		newRequest := func() *http.Request {
			req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw.String())))
			if err != nil {
				return nil // the server answers 400 itself: no handler sees it
			}
			req.RemoteAddr = remote
			return req
		}
		if newRequest() == nil {
			return
		}

		d := &fuzzDecider{}
		var entries []logEntry
		sink := captureSink{entries: &entries}
		o := unlimited
		if tight {
			o.PerClient = Limit{Burst: 1, Every: time.Hour}
		}
		o.TrustedProxies, _ = ParseTrustedProxies("10.0.0.0/8")
		h := NewHandlerWithOptions(d, logr.New(sink), o)

		serve := func() *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, newRequest())
			return rec
		}
		rec := serve()
		healthz := rec.Code == http.StatusOK && rec.Body.String() == "ok"
		check(t, rec, d.calls, generic)
		for _, c := range d.calls {
			if !validUID(c.UID) || c.Token == "" || len(c.Token) > maxTokenBytes {
				t.Fatalf("the Decider was asked about uid %q with a token of %d bytes", c.UID, len(c.Token))
			}
		}

		if tight {
			before := len(d.calls)
			again := serve()
			if !healthz && again.Code != http.StatusTooManyRequests {
				t.Fatalf("a second request from the same client within the hour: %d, want 429", again.Code)
			}
			if len(d.calls) != before && !healthz {
				t.Fatalf("a request over the limit reached the Decider")
			}
			check(t, again, d.calls[before:], generic)
		}

		logs := sink.String()
		if strings.Contains(logs, goodToken) {
			t.Fatalf("the token is in the logs:\n%s", logs)
		}
		for _, c := range d.calls {
			for _, e := range entries {
				if strings.Contains(e.err, c.Token) && !strings.Contains("[REDACTED]", c.Token) {
					t.Fatalf("the logged error %q quotes the token %q", e.err, c.Token)
				}
			}
		}
	})
}

// check verifies one response of the page, given the Decider calls it made.
func check(t failer, rec *httptest.ResponseRecorder, calls []call, generic map[int]string) {
	t.Helper()
	hdr := rec.Header()
	for k, want := range map[string]string{
		"Content-Security-Policy": contentSecurityPolicy, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8",
	} {
		if got := hdr.Get(k); got != want {
			t.Fatalf("status %d: header %s is %q, want %q", rec.Code, k, got, want)
		}
	}
	for k := range hdr {
		if !allowedHeaders[k] {
			t.Fatalf("status %d: unexpected header %s: %q", rec.Code, k, hdr.Values(k))
		}
	}
	if ra := hdr.Get("Retry-After"); (rec.Code == http.StatusTooManyRequests) != retryAfterValue.MatchString(ra) {
		t.Fatalf("status %d with Retry-After %q", rec.Code, ra)
	}

	failed := false
	for _, c := range calls {
		failed = failed || c.UID == errUID
	}
	if (rec.Code == http.StatusServiceUnavailable) != failed {
		t.Fatalf("status %d; the Decider failed: %v", rec.Code, failed)
	}

	body := rec.Body.String()
	if want, ok := generic[rec.Code]; ok {
		if body != want {
			t.Fatalf("status %d with a body that is not the generic page:\n%s", rec.Code, body)
		}
		return
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("unexpected status %d:\n%s", rec.Code, body)
	}
	if body == "ok" {
		if len(calls) != 0 {
			t.Fatalf("/healthz called the Decider")
		}
		return
	}
	if len(calls) != 1 || calls[0].UID != testUID || calls[0].Token != goodToken {
		t.Fatalf("a 200 without the right token: %+v", calls)
	}
	switch calls[0].Op {
	case "View":
		if n := strings.Count(body, goodToken); n != 1 || !strings.Contains(body, `name="token" value="`+goodToken+`"`) {
			t.Fatalf("the approval page holds the token %d times, and not only in its form", n)
		}
	case "Decide":
		if strings.Contains(body, goodToken) {
			t.Fatalf("the confirmation page repeats the token")
		}
		if !strings.Contains(body, "<h1>Your approval was recorded</h1>") && !strings.Contains(body, "<h1>Your refusal was recorded</h1>") {
			t.Fatalf("the confirmation page confirms nothing:\n%s", body)
		}
	}
}

// failer is the part of testing.T that check uses.
type failer interface {
	Helper()
	Fatalf(format string, args ...any)
}

// probe is a failer that stops check at its first complaint.
type probe struct{ failed bool }

func (*probe) Helper() {}
func (p *probe) Fatalf(string, ...any) {
	p.failed = true
	panic(p)
}

// TestFuzzHandlerOracleCanFail shows that check, FuzzHandler's oracle, rejects the faults it looks for.
func TestFuzzHandlerOracleCanFail(t *testing.T) {
	generic := map[int]string{http.StatusNotFound: renderedPage(t, invalidPage)}
	respond := func(code int, body string, header ...string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		secure(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec
	}
	for _, tc := range []struct {
		name  string
		rec   *httptest.ResponseRecorder
		calls []call
	}{
		{"the generic 404 passes", respond(http.StatusNotFound, generic[http.StatusNotFound]), nil},
		{"a 500", respond(http.StatusInternalServerError, "boom"), nil},
		{"a redirect repeating the token", respond(http.StatusMovedPermanently, "", "Location", "/approve/x?token="+goodToken), nil},
		{"a 404 echoing the token", respond(http.StatusNotFound, generic[http.StatusNotFound]+goodToken), nil},
		{"a 503 without a failing Decider", respond(http.StatusServiceUnavailable, renderedPage(t, unavailablePage)), nil},
		{"a 429 without Retry-After", respond(http.StatusTooManyRequests, renderedPage(t, tooManyPage)), nil},
		{"a 200 for a wrong token", respond(http.StatusOK, "page"), []call{{Op: "View", UID: testUID, Token: "wrong"}}},
		{"a confirmation repeating the token", respond(http.StatusOK, "<h1>Your approval was recorded</h1>"+goodToken),
			[]call{{Op: "Decide", UID: testUID, Token: goodToken}}},
		{"no security headers", func() *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			rec.WriteHeader(http.StatusNotFound)
			_, _ = rec.WriteString(generic[http.StatusNotFound])
			return rec
		}(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &probe{}
			func() {
				defer func() {
					if r := recover(); r != nil && r != p {
						panic(r)
					}
				}()
				check(p, tc.rec, tc.calls, generic)
			}()
			if wantFail := !strings.HasSuffix(tc.name, "passes"); p.failed != wantFail {
				t.Errorf("check failed: %v, want %v", p.failed, wantFail)
			}
		})
	}
}
