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
	"container/list"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"roster.dev/roster/internal/netaddr"
)

// Limit is a token bucket: Burst requests at once, then one more every Every.
type Limit struct {
	Burst int
	Every time.Duration
}

// Options tune the approval endpoint. The zero value gives the defaults.
//
// The limits are kept in memory by each replica: with N replicas behind one Service, a client may make up
// to N times as many requests. They slow down guessing and probing; what bounds guessing for good is the
// organization's approval.maxAttempts, counted in the transfer's status.
type Options struct {
	// PerClient limits the requests of one client (its address; an IPv6 client by its /64), whatever
	// the path, but /healthz. Default: a burst of 10, then one every 6 s.
	PerClient Limit
	// PerTransfer limits the requests for one transfer UID, from every client together, whether the
	// transfer exists or not. Default: a burst of 20, then one every 3 s.
	PerTransfer Limit
	// PerTransferPost further limits the POSTs (decisions, and the wrong tokens that count against
	// approval.maxAttempts) for one transfer UID. Default: a burst of 5, then one every 20 s.
	PerTransferPost Limit
	// MaxTrackedKeys caps the clients, and separately the transfer UIDs, whose buckets are kept. A key
	// is forgotten once its bucket is full again (then forgetting it loses nothing); while the table is
	// full of buckets still in use, new keys share one overflow bucket of the same limit. Default 10000.
	MaxTrackedKeys int
	// TrustedProxies are the addresses of the reverse proxies in front of the page. The client of a
	// request coming from one of them is read from X-Forwarded-For: the rightmost address that is not a
	// trusted proxy. X-Forwarded-For is ignored from any other address, and entirely when this is empty.
	TrustedProxies []netip.Prefix
	// Now is the clock of the limits; time.Now when nil.
	Now func() time.Time
}

// Default limits.
var (
	DefaultPerClient       = Limit{Burst: 10, Every: 6 * time.Second}
	DefaultPerTransfer     = Limit{Burst: 20, Every: 3 * time.Second}
	DefaultPerTransferPost = Limit{Burst: 5, Every: 20 * time.Second}
)

// DefaultMaxTrackedKeys is the default of Options.MaxTrackedKeys.
const DefaultMaxTrackedKeys = 10000

func (o Options) withDefaults() Options {
	o.PerClient = o.PerClient.or(DefaultPerClient)
	o.PerTransfer = o.PerTransfer.or(DefaultPerTransfer)
	o.PerTransferPost = o.PerTransferPost.or(DefaultPerTransferPost)
	if o.MaxTrackedKeys <= 0 {
		o.MaxTrackedKeys = DefaultMaxTrackedKeys
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// or fills the unset (non-positive) fields of l from def.
func (l Limit) or(def Limit) Limit {
	if l.Burst <= 0 {
		l.Burst = def.Burst
	}
	if l.Every <= 0 {
		l.Every = def.Every
	}
	return l
}

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR prefixes, e.g.
// "10.0.0.0/8, fd00::/8, 192.0.2.7". An empty string gives none.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	return netaddr.ParsePrefixes(s, "trusted proxy")
}

// limiter keeps one token bucket per key (a client, a transfer UID) with bounded memory. The buckets
// are kept in least-recently-used order; a bucket untouched for as long as it takes to fill up is full,
// the same as a new one, and is dropped. When maxKeys buckets are all still in use, a new key gets the
// shared overflow bucket: an attacker who floods the table with new keys never resets the bucket of a
// key being limited, and the flood itself is limited.
type limiter struct {
	limit   rate.Limit
	burst   int
	fill    time.Duration
	maxKeys int

	mu       sync.Mutex
	keys     map[string]*list.Element
	lru      list.List // of *bucket, most recently used at the front
	overflow *rate.Limiter
}

type bucket struct {
	key  string
	lim  *rate.Limiter
	used time.Time
}

func newLimiter(l Limit, maxKeys int) *limiter {
	return &limiter{
		limit:    rate.Every(l.Every),
		burst:    l.Burst,
		fill:     time.Duration(l.Burst) * l.Every,
		maxKeys:  maxKeys,
		keys:     make(map[string]*list.Element),
		overflow: rate.NewLimiter(rate.Every(l.Every), l.Burst),
	}
}

// allow takes a token from key's bucket at now. When there is none, it says how long until there is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetFull(now)
	var lim *rate.Limiter
	switch e, ok := l.keys[key]; {
	case ok:
		b := e.Value.(*bucket)
		b.used = now
		l.lru.MoveToFront(e)
		lim = b.lim
	case len(l.keys) < l.maxKeys:
		b := &bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst), used: now}
		l.keys[key] = l.lru.PushFront(b)
		lim = b.lim
	default:
		lim = l.overflow
	}
	if lim.AllowN(now, 1) {
		return true, 0
	}
	// Rounded to the millisecond: the float arithmetic would make 4 s into 4.000000001 s, one second more
	// once rounded up to whole seconds.
	missing := 1 - lim.TokensAt(now)
	return false, time.Duration(missing * float64(time.Second) / float64(l.limit)).Round(time.Millisecond)
}

// forgetFull drops the buckets untouched for as long as it takes to fill up.
func (l *limiter) forgetFull(now time.Time) {
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		b := e.Value.(*bucket)
		if now.Sub(b.used) < l.fill {
			return
		}
		l.lru.Remove(e)
		delete(l.keys, b.key)
	}
}

// tracked is the number of keys with a bucket.
func (l *limiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// clientKey is the key of a request's client for the per-client limit: its IPv4 address, or the /64 of
// its IPv6 address (one subscriber usually holds a whole /64). The client is the remote address, or,
// when that is a trusted proxy, the rightmost address of X-Forwarded-For that is not one.
func clientKey(remoteAddr string, forwardedFor []string, trusted []netip.Prefix) string {
	addr := parseHost(remoteAddr)
	if !addr.IsValid() {
		return remoteAddr // not an IP (a Unix socket, a test): one client
	}
	if len(trusted) > 0 && isTrusted(addr, trusted) {
		addr = forwardedClient(addr, forwardedFor, trusted)
	}
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}

// forwardedClient walks X-Forwarded-For from the right, from proxy (a trusted proxy that sent the
// request), and returns the first address that is not a trusted proxy: the one that connected to the
// outermost trusted proxy. The entries left of it may be forged by the client and are never read. When
// an entry is not an address, the last trusted hop stands for the client.
func forwardedClient(proxy netip.Addr, forwardedFor []string, trusted []netip.Prefix) netip.Addr {
	var hops []string
	for _, h := range forwardedFor {
		hops = append(hops, strings.Split(h, ",")...)
	}
	addr := proxy
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseHost(strings.TrimSpace(hops[i]))
		if !hop.IsValid() {
			return addr
		}
		addr = hop
		if !isTrusted(hop, trusted) {
			return hop
		}
	}
	return addr
}

// parseHost reads "ip", "ip:port", "[ipv6]" or "[ipv6]:port" into an address (IPv4-mapped IPv6
// addresses unmapped, zones dropped); the zero Addr when it is none of these.
func parseHost(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
