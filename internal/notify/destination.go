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
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/wneessen/go-mail"

	"roster.dev/roster/internal/netaddr"
)

// Destinations decides where notifications may be sent. A tenant chooses its webhook URL and its SMTP
// host: without this check, the operator would reach whatever the cluster network lets it reach on the
// tenant's behalf (the cloud metadata service, the API server, other tenants' services). The zero value
// allows public addresses only.
type Destinations struct {
	// AllowedCIDRs are special ranges allowed anyway (e.g. 127.0.0.0/8 for a local mail catcher, or the
	// ranges of a company relay).
	AllowedCIDRs []netip.Prefix
	// AllowedHosts are host names allowed whatever they resolve to (exact, case-insensitive).
	AllowedHosts []string
	// PlaintextSMTP are the ranges an SMTP server with tls: None may be at, besides loopback: clear text
	// would show every approval secret to the networks in between.
	PlaintextSMTP []netip.Prefix
}

// AllowsPlaintextSMTP reports whether a mail server at ip may be spoken to without TLS.
func (d *Destinations) AllowsPlaintextSMTP(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	return ip.IsLoopback() || (d != nil && slices.ContainsFunc(d.PlaintextSMTP, func(p netip.Prefix) bool { return p.Contains(ip) }))
}

// ErrPlaintextNotAllowed is the error of a tls: None connection to a server that is not on loopback
// (or in --smtp-plaintext-cidrs).
var ErrPlaintextNotAllowed = errors.New("clear-text SMTP not allowed")

// specialRanges are never reached unless allowed: loopback, link-local (cloud metadata), private,
// carrier-grade NAT, unspecified, benchmarking, multicast and reserved ranges.
var specialRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("::/96"), // unspecified, loopback and IPv4-compatible
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"), // 6to4 embeds any IPv4 address
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// ParseDestinations reads the operator's flags: comma-separated CIDRs (a bare address is one host) and
// host names.
func ParseDestinations(cidrs, hosts string) (*Destinations, error) {
	prefixes, err := netaddr.ParsePrefixes(cidrs, "allowed CIDR")
	if err != nil {
		return nil, err
	}
	d := &Destinations{AllowedCIDRs: prefixes}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			d.AllowedHosts = append(d.AllowedHosts, h)
		}
	}
	return d, nil
}

// AllowsAddr reports whether a connection to ip may be opened.
func (d *Destinations) AllowsAddr(ip netip.Addr) bool {
	// A zone ("fe80::1%eth0", "::1%lo") would make every range miss: it goes before the check.
	ip = ip.WithZone("").Unmap()
	if d != nil && slices.ContainsFunc(d.AllowedCIDRs, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		return true
	}
	return !slices.ContainsFunc(specialRanges, func(p netip.Prefix) bool { return p.Contains(ip) })
}

// allowsHost reports whether host is on the host allow-list.
func (d *Destinations) allowsHost(host string) bool {
	return d != nil && slices.Contains(d.AllowedHosts, strings.ToLower(strings.TrimSuffix(host, ".")))
}

// ErrDestinationNotAllowed is the error of a connection to an address the operator does not allow.
var ErrDestinationNotAllowed = errors.New("destination not allowed")

// Dialer returns a dialer whose every connection is checked after name resolution, on the address
// actually dialled, so that a name that resolves to a public address first and a private one later (DNS
// rebinding) is caught too.
func (d *Destinations) Dialer() *net.Dialer {
	return &net.Dialer{Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrDestinationNotAllowed, err)
		}
		if !d.AllowsAddr(ap.Addr()) {
			return fmt.Errorf("%w: %s is a loopback, link-local, private or reserved address (the operator's --notification-allowed-cidrs does not list it)",
				ErrDestinationNotAllowed, ap.Addr())
		}
		return nil
	}}
}

// DialContext dials address, checking the address dialled unless its host is on the host allow-list.
func (d *Destinations) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if host, _, err := net.SplitHostPort(address); err == nil && d.allowsHost(host) {
		var plain net.Dialer
		return plain.DialContext(ctx, network, address)
	}
	return d.Dialer().DialContext(ctx, network, address)
}

// Error classes shown in status.outbox[].lastError: stable words that say what to look at, without the
// detail that would let a tenant map the network (the operator's log has the full error).
const (
	ClassDestinationNotAllowed = "DestinationNotAllowed"
	ClassPlaintextNotAllowed   = "PlaintextNotAllowed"
	ClassTimeout               = "Timeout"
	ClassRefused               = "Refused"
	ClassUnreachable           = "Unreachable"
	ClassDNS                   = "DNS"
	ClassTLS                   = "TLS"
	ClassAuth                  = "Auth"
	ClassConfig                = "Config"
	ClassError                 = "Error"
)

// Classify returns the class of a delivery error, and for an HTTP answer "HTTP 4xx" and the like.
func Classify(err error) string {
	var status *WebhookStatusError
	var dnsErr *net.DNSError
	var tlsErr *tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var configErr *ConfigError
	var sendErr *mail.SendError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrDestinationNotAllowed):
		return ClassDestinationNotAllowed
	case errors.Is(err, ErrPlaintextNotAllowed):
		return ClassPlaintextNotAllowed
	case errors.As(err, &configErr):
		return ClassConfig
	case errors.As(err, &sendErr) && sendErr.ErrorCode() >= 400:
		return fmt.Sprintf("SMTP %dxx", sendErr.ErrorCode()/100)
	case errors.As(err, &status):
		if status.StatusCode >= 300 && status.StatusCode < 400 {
			return fmt.Sprintf("HTTP %dxx (redirects are not followed)", status.StatusCode/100)
		}
		return fmt.Sprintf("HTTP %dxx", status.StatusCode/100)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout
	case errors.As(err, &dnsErr):
		return ClassDNS
	case errors.As(err, &certErr) || errors.As(err, &tlsErr) || strings.Contains(err.Error(), "TLS") || strings.Contains(err.Error(), "tls:"):
		return ClassTLS
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET):
		return ClassRefused
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return ClassUnreachable
	case strings.Contains(err.Error(), "SMTP AUTH") || strings.Contains(err.Error(), "unencrypted connection"):
		return ClassAuth
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return ClassTimeout
	}
	return ClassError
}

// Describe is what status.outbox[].lastError shows of a delivery error: its class and, for a
// configuration error, the message about the organization's own settings.
func Describe(err error) string {
	class := Classify(err)
	var configErr *ConfigError
	if errors.As(err, &configErr) {
		return class + ": " + configErr.Error()
	}
	return class
}

// ConfigError is a channel the organization configured wrongly (a missing Secret, a short key): its
// message is the organization's own settings, safe to show in status.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }
