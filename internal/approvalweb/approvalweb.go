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

// Package approvalweb is the operator's approval web endpoint: the page behind the link in each party's
// email, where the party approves or refuses a ContactTransfer with its token.
//
// The handler knows nothing about Kubernetes clients: it talks to a Decider, which Backend implements
// on the manager's cache. The token is a secret: it is never logged (neither is the URL that carries
// it), the pages send no Referer, are never cached, and every failure of a token gets the same answer,
// whether the transfer exists or not. A GET never decides and never counts as an attempt (mail scanners
// open links); wrong tokens count only when POSTed. Requests are rate limited per client and per
// transfer.
package approvalweb

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"roster.dev/roster/api/v1alpha1"
)

// View is a ContactTransfer as the holder of a valid token sees it.
type View struct {
	UID             string
	Namespace, Name string
	Organization    string // display name
	Role, Scope     string
	From, To        string // contact display names (From "" when the role is vacant)
	RequestedBy     string
	Reason          string
	Party           string // the display name of the token's party
	// Awaiting are the other parties whose decision is still needed; AwaitingOneOf, the initiators of
	// whom one approval is still needed (empty when the party is one of them).
	Awaiting, AwaitingOneOf []string
	Locale                  string // the party's locale: "fr" or anything else = English
	ExpiresAt               time.Time
	Decision                v1alpha1.Decision // after a POST: what was recorded
}

// ErrInvalidToken is returned for a wrong, used or expired token, or a transfer that is no longer
// pending. The page never says which.
var ErrInvalidToken = errors.New("this link is not valid or has expired")

// Decider looks transfers up by UID and records decisions; Backend implements it.
type Decider interface {
	// View returns the transfer for the token's party. It decides and counts nothing.
	View(ctx context.Context, uid, token string) (View, error)
	// Decide records the party's decision via Link, consuming the token; a wrong token counts as a
	// failed attempt.
	Decide(ctx context.Context, uid, token string, decision v1alpha1.Decision) (View, error)
}

// maxBodyBytes limits the body of a POST: a form with a token and a decision.
const maxBodyBytes = 4 << 10

// maxTokenBytes bounds a token: longer ones (a token is 43 characters) are refused without a look-up.
const maxTokenBytes = 128

// contentSecurityPolicy allows no script, no external resource, inline styles, and forms posting to the
// page's own origin only; the page cannot be framed.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").ParseFS(templateFS, "templates/*.html"))

type handler struct {
	decider Decider
	// address serves /confirm when the Decider also confirms changes of address.
	address *addressHandlers
	// reconfirm serves /reconfirm when the Decider also answers re-confirmation requests.
	reconfirm *reconfirmHandlers
	log       logr.Logger
	opts      Options

	perClient, perTransfer, perTransferPost *limiter
}

// NewHandler returns the approval endpoint with the default Options.
func NewHandler(d Decider, log logr.Logger) http.Handler {
	return NewHandlerWithOptions(d, log, Options{})
}

// NewHandlerWithOptions returns the approval endpoint:
//
//	GET  /approve/{uid}?token=T  the transfer and an Approve / Refuse form (approval.Link makes these links)
//	POST /approve/{uid}          form fields token and decision (Approved or Refused)
//	GET  /healthz                200 "ok"
//
//	GET  /confirm/{uid}?token=T  a change of a contact's address, to confirm or approve (when d is also an AddressDecider)
//	POST /confirm/{uid}          form fields token and decision
//
//	GET  /reconfirm/{uid}?token=T  a contact's re-confirmation request, with a Confirm button (when d is also a ReconfirmDecider)
//	POST /reconfirm/{uid}          form fields token and decision (Confirmed)
//
// {uid} is a transfer (or contact) UID in its canonical form (36 characters, lowercase). Anything else is the generic
// 404 page, without a look-up and without a log line; so is every failure of a token. Every response
// carries strict security headers. The requests but /healthz are rate limited (see Options): over a
// limit, the answer is 429 with a Retry-After header.
func NewHandlerWithOptions(d Decider, log logr.Logger, o Options) http.Handler {
	o = o.withDefaults()
	h := &handler{
		decider:         d,
		log:             log,
		opts:            o,
		perClient:       newLimiter(o.PerClient, o.MaxTrackedKeys),
		perTransfer:     newLimiter(o.PerTransfer, o.MaxTrackedKeys),
		perTransferPost: newLimiter(o.PerTransferPost, o.MaxTrackedKeys),
	}
	if ad, ok := d.(AddressDecider); ok {
		h.address = &addressHandlers{h: h, d: ad}
	}
	if p, isPages := d.(Pages); isPages && p.ReconfirmBackend == nil {
		// Pages without a ReconfirmBackend serve no /reconfirm.
	} else if rd, ok := d.(ReconfirmDecider); ok {
		h.reconfirm = &reconfirmHandlers{h: h, d: rd}
	}
	return secure(h)
}

// ServeHTTP routes by hand rather than with an http.ServeMux, which answers unclean paths (dot segments,
// double slashes) with a redirect that repeats the query, and so the token.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if r.URL.Path == "/healthz" && get {
		_, _ = w.Write([]byte("ok"))
		return
	}
	now := h.opts.Now()
	if ok, wait := h.perClient.allow(clientKey(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), h.opts.TrustedProxies), now); !ok {
		h.tooMany(w, wait)
		return
	}
	uid, ok := strings.CutPrefix(r.URL.Path, "/approve/")
	var address *addressHandlers
	var reconfirm *reconfirmHandlers
	if !ok && h.address != nil {
		uid, ok = strings.CutPrefix(r.URL.Path, "/confirm/")
		address = h.address
	}
	if !ok && h.reconfirm != nil {
		uid, ok = strings.CutPrefix(r.URL.Path, "/reconfirm/")
		address, reconfirm = nil, h.reconfirm
	}
	if !ok || r.URL.RawPath != "" || !validUID(uid) || (!get && r.Method != http.MethodPost) {
		h.invalid(w)
		return
	}
	if ok, wait := h.perTransfer.allow(uid, now); !ok {
		h.tooMany(w, wait)
		return
	}
	if get && reconfirm != nil {
		reconfirm.show(w, r, uid)
		return
	}
	if get && address != nil {
		address.show(w, r, uid)
		return
	}
	if get {
		h.show(w, r, uid)
		return
	}
	if ok, wait := h.perTransferPost.allow(uid, now); !ok {
		h.tooMany(w, wait)
		return
	}
	if reconfirm != nil {
		reconfirm.decide(w, r, uid)
		return
	}
	if address != nil {
		address.decide(w, r, uid)
		return
	}
	h.decide(w, r, uid)
}

// validUID reports whether s is a UID as Kubernetes writes them: a UUID in canonical form, lowercase.
func validUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// secure sets the security headers of every response.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		next.ServeHTTP(w, r)
	})
}

// formData is what the approval page shows.
type formData struct {
	Lang, Action, Token string
	T                   *messages
	V                   View
	Expires             string
	ExpiresISO          string
}

// doneData is what the confirmation page shows.
type doneData struct {
	Lang, Title string
	T           *messages
	V           View
}

// show renders the approval page of the token's party.
func (h *handler) show(w http.ResponseWriter, r *http.Request, uid string) {
	token := r.URL.Query().Get("token")
	if token == "" || len(token) > maxTokenBytes {
		h.invalid(w)
		return
	}
	v, err := h.decider.View(r.Context(), uid, token)
	if err != nil {
		h.fail(w, r, err, token, "view", uid)
		return
	}
	t, lang := localize(v.Locale)
	data := formData{
		Lang:   lang,
		Action: "./" + url.PathEscape(uid), // relative: this path without the query, behind any prefix
		Token:  token,
		T:      t,
		V:      v,
	}
	if !v.ExpiresAt.IsZero() {
		data.Expires = t.formatTime(v.ExpiresAt)
		data.ExpiresISO = v.ExpiresAt.UTC().Format(time.RFC3339)
	}
	h.render(w, http.StatusOK, "approve.html", data)
}

// decide records the decision of the token's party.
func (h *handler) decide(w http.ResponseWriter, r *http.Request, uid string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
		}
		h.render(w, status, "message.html", badRequestPage)
		return
	}
	decision := v1alpha1.Decision(r.PostForm.Get("decision"))
	if decision != v1alpha1.DecisionApproved && decision != v1alpha1.DecisionRefused {
		h.render(w, http.StatusBadRequest, "message.html", badRequestPage)
		return
	}
	token := r.PostForm.Get("token")
	if token == "" || len(token) > maxTokenBytes {
		h.invalid(w)
		return
	}
	v, err := h.decider.Decide(r.Context(), uid, token, decision)
	if err != nil {
		h.fail(w, r, err, token, "decide", uid)
		return
	}
	if v.Decision != v1alpha1.DecisionApproved && v.Decision != v1alpha1.DecisionRefused {
		v.Decision = decision
	}
	h.log.Info("Decision recorded via the approval page", "namespace", v.Namespace, "name", v.Name, "decision", v.Decision)
	t, lang := localize(v.Locale)
	title := t.Approved
	if v.Decision == v1alpha1.DecisionRefused {
		title = t.Refused
	}
	h.render(w, http.StatusOK, "done.html", doneData{Lang: lang, Title: title, T: t, V: v})
}

// fail answers a Decider error: the generic 404 page for ErrInvalidToken, else the generic 503 page.
// The log never carries the token, even when the Decider's error quotes it.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error, token, op, uid string) {
	if errors.Is(err, ErrInvalidToken) {
		h.invalid(w)
		return
	}
	err = redact(err, token)
	if r.Context().Err() != nil {
		h.log.V(1).Info("Approval request abandoned by the client", "op", op, "uid", uid, "error", err.Error())
	} else {
		h.log.Error(err, "Approval request failed", "op", op, "uid", uid)
	}
	h.render(w, http.StatusServiceUnavailable, "message.html", unavailablePage)
}

// invalid renders the page of every token failure: the same status and body whatever the reason.
func (h *handler) invalid(w http.ResponseWriter) {
	h.render(w, http.StatusNotFound, "message.html", invalidPage)
}

// tooMany renders the page of a request over a rate limit, with the whole seconds to wait.
func (h *handler) tooMany(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.FormatInt(max(1, int64(math.Ceil(wait.Seconds()))), 10))
	h.render(w, http.StatusTooManyRequests, "message.html", tooManyPage)
}

// render executes a template before writing anything, so that a template error is a clean 500.
func (h *handler) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error(err, "Cannot render the approval page", "template", name)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(internalErrorHTML))
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

const internalErrorHTML = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Error</title></head>` +
	`<body><p>Try again in a moment.</p><p lang="fr">Réessayez dans un instant.</p></body></html>`

// redact hides the token in the message of an error. The result does not wrap err: a logger that
// unwraps or formats the chain (%+v) could print the token.
func redact(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[REDACTED]"))
}
