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
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
)

// clock is a manual clock for the rate limits.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// page serves requests straight to a handler, from any client address.
type page struct {
	h http.Handler
}

func (p page) request(method, target, remoteAddr string, header http.Header) *httptest.ResponseRecorder {
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, target, strings.NewReader(url.Values{"token": {goodToken}, "decision": {"Approved"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.RemoteAddr = remoteAddr
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	return rec
}

func (p page) get(remoteAddr string) *httptest.ResponseRecorder {
	return p.request(http.MethodGet, "/approve/"+testUID+"?token="+goodToken, remoteAddr, nil)
}

func expectTooMany(g *WithT, rec *httptest.ResponseRecorder, retryAfter string) {
	g.ExpectWithOffset(1, rec.Code).To(Equal(http.StatusTooManyRequests))
	g.ExpectWithOffset(1, rec.Header().Get("Retry-After")).To(Equal(retryAfter))
	g.ExpectWithOffset(1, rec.Body.String()).To(And(ContainSubstring("Too many requests: try again in a few minutes."),
		ContainSubstring("Trop de requêtes : réessayez dans quelques minutes.")))
	g.ExpectWithOffset(1, rec.Body.String()).NotTo(ContainSubstring(goodToken))
	g.ExpectWithOffset(1, rec.Header().Get("Content-Security-Policy")).To(Equal(contentSecurityPolicy))
	g.ExpectWithOffset(1, rec.Header().Get("Cache-Control")).To(Equal("no-store"))
	g.ExpectWithOffset(1, rec.Header().Get("Referrer-Policy")).To(Equal("no-referrer"))
}

func TestPerClientLimit(t *testing.T) {
	g := NewWithT(t)
	clk := newClock()
	f := &fakeDecider{view: sampleView("en")}
	o := unlimited
	o.PerClient, o.Now = Limit{Burst: 3, Every: 6 * time.Second}, clk.Now
	p := page{NewHandlerWithOptions(f, logr.Discard(), o)}
	const alice, bob, carol = "192.0.2.1:40000", "192.0.2.2:40000", "192.0.2.3:40000"

	for i := range 3 {
		g.Expect(p.get(alice).Code).To(Equal(http.StatusOK), "request %d", i+1)
	}
	expectTooMany(g, p.get(alice), "6")
	rec := p.request(http.MethodGet, "/approve/"+testUID+"?token="+goodToken, "192.0.2.1:40001", nil)
	expectTooMany(g, rec, "6") // another port of the same address
	expectTooMany(g, p.request(http.MethodPost, "/approve/"+testUID, alice, nil), "6")
	g.Expect(f.Calls()).To(HaveLen(3), "a request over the limit reaches no Decider")

	g.Expect(p.get(bob).Code).To(Equal(http.StatusOK), "another client has its own bucket")

	for range 3 {
		g.Expect(p.request(http.MethodGet, "/no-such-page", carol, nil).Code).To(Equal(http.StatusNotFound))
	}
	expectTooMany(g, p.get(carol), "6") // every path counts: probing does too

	for range 20 {
		g.Expect(p.request(http.MethodGet, "/healthz", alice, nil).Code).To(Equal(http.StatusOK), "probes are never limited")
	}

	clk.Advance(2 * time.Second)
	expectTooMany(g, p.get(alice), "4")
	clk.Advance(4 * time.Second)
	g.Expect(p.get(alice).Code).To(Equal(http.StatusOK), "one request more every 6 s")
	expectTooMany(g, p.get(alice), "6")
}

func TestRetryAfterIsWholeSecondsRoundedUp(t *testing.T) {
	for _, tc := range []struct {
		every   time.Duration
		elapsed time.Duration
		want    string
	}{
		{6 * time.Second, 0, "6"},
		{2500 * time.Millisecond, 0, "3"},
		{2500 * time.Millisecond, 1 * time.Second, "2"},
		{2500 * time.Millisecond, 2400 * time.Millisecond, "1"},
		{300 * time.Millisecond, 0, "1"},
		{time.Hour, 0, "3600"},
	} {
		t.Run(fmt.Sprintf("every %s after %s", tc.every, tc.elapsed), func(t *testing.T) {
			g := NewWithT(t)
			clk := newClock()
			o := unlimited
			o.PerClient, o.Now = Limit{Burst: 1, Every: tc.every}, clk.Now
			p := page{NewHandlerWithOptions(&fakeDecider{view: sampleView("en")}, logr.Discard(), o)}
			g.Expect(p.get("192.0.2.1:1").Code).To(Equal(http.StatusOK))
			clk.Advance(tc.elapsed)
			expectTooMany(g, p.get("192.0.2.1:1"), tc.want)
		})
	}
}

func TestPerTransferLimits(t *testing.T) {
	g := NewWithT(t)
	clk := newClock()
	f := &fakeDecider{view: sampleView("en")}
	o := unlimited
	o.PerTransfer = Limit{Burst: 4, Every: 3 * time.Second}
	o.PerTransferPost = Limit{Burst: 2, Every: 20 * time.Second}
	o.Now = clk.Now
	p := page{NewHandlerWithOptions(f, logr.Discard(), o)}
	client := func(i int) string { return fmt.Sprintf("198.51.100.%d:1234", i) }

	for _, uid := range []string{testUID, otherUID} { // a transfer that exists, and one that does not
		target := "/approve/" + uid
		// POSTs, from many clients together: two, then the stricter POST limit.
		g.Expect(p.request(http.MethodPost, target, client(1), nil).Code).NotTo(Equal(http.StatusTooManyRequests))
		g.Expect(p.request(http.MethodPost, target, client(2), nil).Code).NotTo(Equal(http.StatusTooManyRequests))
		expectTooMany(g, p.request(http.MethodPost, target, client(3), nil), "20")
		// That refused POST took the transfer's fourth request: one GET left, then the transfer limit.
		g.Expect(p.request(http.MethodGet, target+"?token="+goodToken, client(4), nil).Code).NotTo(Equal(http.StatusTooManyRequests))
		expectTooMany(g, p.request(http.MethodGet, target+"?token="+goodToken, client(5), nil), "3")
	}
	g.Expect(f.Calls()).To(HaveLen(6), "three requests per transfer reached the Decider")

	clk.Advance(3 * time.Second) // one more request for the transfer; the POST bucket is still short
	expectTooMany(g, p.request(http.MethodPost, "/approve/"+testUID, client(6), nil), "17")
	expectTooMany(g, p.request(http.MethodGet, "/approve/"+testUID+"?token="+goodToken, client(7), nil), "3")
	clk.Advance(17 * time.Second)
	g.Expect(p.request(http.MethodPost, "/approve/"+testUID, client(8), nil).Code).To(Equal(http.StatusOK))
	g.Expect(f.Calls()).To(HaveLen(7))
}

func TestXForwardedForNeedsATrustedProxy(t *testing.T) {
	g := NewWithT(t)
	f := &fakeDecider{view: sampleView("en")}
	const proxy = "10.0.0.7:5000"
	forwardedFor := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }
	get := func(p page, remote, forwarded string) int {
		return p.request(http.MethodGet, "/approve/"+testUID+"?token="+goodToken, remote, forwardedFor(forwarded)).Code
	}

	o := unlimited
	o.PerClient = Limit{Burst: 1, Every: time.Hour}
	untrusting := page{NewHandlerWithOptions(f, logr.Discard(), o)}
	g.Expect(get(untrusting, proxy, "192.0.2.1")).To(Equal(http.StatusOK))
	g.Expect(get(untrusting, proxy, "192.0.2.2")).To(Equal(http.StatusTooManyRequests),
		"without trusted proxies, a forged X-Forwarded-For does not make a new client")

	o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	trusting := page{NewHandlerWithOptions(f, logr.Discard(), o)}
	g.Expect(get(trusting, proxy, "192.0.2.1")).To(Equal(http.StatusOK))
	g.Expect(get(trusting, proxy, "192.0.2.2")).To(Equal(http.StatusOK), "clients behind a trusted proxy have their own buckets")
	g.Expect(get(trusting, proxy, "192.0.2.1")).To(Equal(http.StatusTooManyRequests))
	g.Expect(get(trusting, proxy, "203.0.113.9, 192.0.2.1")).To(Equal(http.StatusTooManyRequests),
		"an address the client prepends is not read")
	g.Expect(get(trusting, "192.0.2.3:1", "192.0.2.4")).To(Equal(http.StatusOK))
	g.Expect(get(trusting, "192.0.2.3:1", "192.0.2.5")).To(Equal(http.StatusTooManyRequests),
		"X-Forwarded-For is read only from a trusted proxy")
}

func TestClientKey(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name         string
		trusted      []netip.Prefix
		remote       string
		forwardedFor []string
		want         string
	}{
		{"IPv4", nil, "192.0.2.1:1234", nil, "192.0.2.1"},
		{"IPv6 by its /64", nil, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"IPv6 with a zone", nil, "[fe80::1%eth0]:443", nil, "fe80::/64"},
		{"IPv4-mapped IPv6", nil, "[::ffff:192.0.2.1]:80", nil, "192.0.2.1"},
		{"not an address", nil, "@", nil, "@"},
		{"X-Forwarded-For without trusted proxies", nil, "192.0.2.1:1", []string{"198.51.100.1"}, "192.0.2.1"},
		{"X-Forwarded-For from an untrusted address", trusted, "192.0.2.1:1", []string{"198.51.100.1"}, "192.0.2.1"},
		{"trusted proxy", trusted, "10.1.2.3:1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted proxy without X-Forwarded-For", trusted, "10.1.2.3:1", nil, "10.1.2.3"},
		{"forged entries left of the client", trusted, "10.1.2.3:1", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"a chain of trusted proxies", trusted, "10.1.2.3:1", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"several header lines", trusted, "10.1.2.3:1", []string{"6.6.6.6", "198.51.100.1, 10.0.0.7"}, "198.51.100.1"},
		{"only trusted proxies", trusted, "10.1.2.3:1", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"garbage from a proxy", trusted, "10.1.2.3:1", []string{"198.51.100.1, garbage"}, "10.1.2.3"},
		{"garbage behind a proxy", trusted, "10.1.2.3:1", []string{"garbage, 10.0.0.2"}, "10.0.0.2"},
		{"an address with a port", trusted, "10.1.2.3:1", []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"IPv6 client behind an IPv6 proxy", trusted, "[fd00::1]:1", []string{"[2001:db8::1]"}, "2001:db8::/64"},
		{"IPv6 client with a port", trusted, "[fd00::1]:1", []string{"[2001:db8::1]:443"}, "2001:db8::/64"},
		{"empty header", trusted, "10.1.2.3:1", []string{""}, "10.1.2.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(clientKey(tc.remote, tc.forwardedFor, tc.trusted)).To(Equal(tc.want))
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []netip.Prefix
		wantErr string
	}{
		{in: "", want: nil},
		{in: " , ", want: nil},
		{in: "10.0.0.0/8", want: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		{in: "10.1.2.3/8, 192.0.2.7 ,fd00::/8, 2001:db8::1", want: []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
			netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("2001:db8::1/128")}},
		{in: "::ffff:192.0.2.7", want: []netip.Prefix{netip.MustParsePrefix("192.0.2.7/32")}},
		{in: "10.0.0.0/8,proxy.example.com", wantErr: `"proxy.example.com" is neither`},
		{in: "10.0.0.0/33", wantErr: `"10.0.0.0/33" is neither`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			g := NewWithT(t)
			got, err := ParseTrustedProxies(tc.in)
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestDefaultOptions(t *testing.T) {
	g := NewWithT(t)
	o := Options{PerTransfer: Limit{Burst: 7}}.withDefaults()
	g.Expect(o.PerClient).To(Equal(Limit{Burst: 10, Every: 6 * time.Second}))
	g.Expect(o.PerTransfer).To(Equal(Limit{Burst: 7, Every: 3 * time.Second}), "an unset field takes its default")
	g.Expect(o.PerTransferPost).To(Equal(Limit{Burst: 5, Every: 20 * time.Second}))
	g.Expect(o.MaxTrackedKeys).To(Equal(10000))
	g.Expect(o.TrustedProxies).To(BeEmpty())
	g.Expect(o.Now).NotTo(BeNil())
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	t0 := newClock().Now()
	for _, tc := range []struct {
		name string
		run  func(g *WithT, l *limiter)
	}{
		{"never more buckets than the cap", func(g *WithT, l *limiter) {
			for i := range 1000 {
				l.allow(fmt.Sprint("key", i), t0)
			}
			g.Expect(l.tracked()).To(Equal(3))
		}},
		{"new keys share one overflow bucket when the table is full", func(g *WithT, l *limiter) {
			for _, k := range []string{"a", "b", "c"} {
				g.Expect(l.allow(k, t0)).To(BeTrue())
			}
			g.Expect(l.allow("new1", t0)).To(BeTrue())
			g.Expect(l.allow("new2", t0)).To(BeTrue())
			ok, wait := l.allow("new3", t0)
			g.Expect(ok).To(BeFalse(), "the overflow bucket is spent")
			g.Expect(wait).To(Equal(time.Second))
			ok, _ = l.allow("a", t0)
			g.Expect(ok).To(BeTrue(), "a tracked key keeps its own bucket")
		}},
		{"a flood of new keys never resets a limited key", func(g *WithT, l *limiter) {
			for range 2 {
				g.Expect(l.allow("victim", t0)).To(BeTrue())
			}
			for i := range 1000 {
				l.allow(fmt.Sprint("flood", i), t0.Add(time.Duration(i)*time.Millisecond))
			}
			ok, _ := l.allow("victim", t0.Add(999*time.Millisecond))
			g.Expect(ok).To(BeFalse())
		}},
		{"a bucket is forgotten once full again, and not before", func(g *WithT, l *limiter) {
			// Burst 2, one every second: a bucket untouched for 2 s is full.
			l.allow("a", t0)
			l.allow("b", t0.Add(time.Second))
			l.allow("c", t0.Add(1999*time.Millisecond))
			g.Expect(l.tracked()).To(Equal(3))
			l.allow("c", t0.Add(2*time.Second))
			g.Expect(l.tracked()).To(Equal(2), "a is full again: forgotten")
			l.allow("c", t0.Add(3999*time.Millisecond))
			g.Expect(l.tracked()).To(Equal(1), "b is full again: forgotten; c was used since")
		}},
		{"forgetting a full bucket loses nothing", func(g *WithT, l *limiter) {
			for range 2 {
				g.Expect(l.allow("a", t0)).To(BeTrue())
			}
			later := t0.Add(2 * time.Second)
			l.allow("other", later) // forgets a
			g.Expect(l.tracked()).To(Equal(1))
			for range 2 {
				g.Expect(l.allow("a", later)).To(BeTrue())
			}
			ok, _ := l.allow("a", later)
			g.Expect(ok).To(BeFalse(), "the new bucket of a holds the burst, as its full old one did")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(NewWithT(t), newLimiter(Limit{Burst: 2, Every: time.Second}, 3))
		})
	}
}
