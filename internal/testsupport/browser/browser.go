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

// Package browser drives a real headless Chromium (Debian's chromium package) through the DevTools
// protocol with github.com/chromedp/chromedp, for the tests of the operator's web pages: one browser
// process per suite, a fresh tab per spec.
//
// What a tab reports is what the browser saw: the response headers of the document as the network stack
// received them, the request headers it transmitted, the accessible names its accessibility tree computed,
// the Content-Security-Policy violations the page raised, and what has the keyboard focus.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Candidates are the executables Find looks for on PATH, in order.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// ErrNotFound is returned by Find when no Chromium is installed.
var ErrNotFound = errors.New("no chromium on PATH (install it: apt-get install -y chromium); the browser specs are skipped")

// Find returns the browser to drive: $CHROMIUM when set, else the first of Candidates on PATH.
func Find() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w; the browser specs are skipped", p, err)
		}
		return path, nil
	}
	for _, c := range Candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}

// Options configure a Browser.
type Options struct {
	// Path is the browser's executable (Find gives it).
	Path string
	// Screenshots is the directory Tab.Screenshot writes to; created when needed.
	Screenshots string
	// Timeout bounds everything a tab does, from NewTab to Close. Default 20 s.
	Timeout time.Duration
	// Width and Height are the size of each tab's viewport. Default 900×560.
	Width, Height int64
}

// Browser is one running browser process.
type Browser struct {
	opts   Options
	ctx    context.Context
	cancel func()
}

// Start starts the browser and waits until it answers.
func Start(o Options) (*Browser, error) {
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 900, 560
	}
	flags := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(o.Path),
		// Containers (and root) often lack the namespaces of Chromium's sandbox; the browser only ever
		// loads the tests' own pages on loopback.
		chromedp.NoSandbox,
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("hide-scrollbars", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	b := &Browser{opts: o, ctx: ctx, cancel: func() { cancelCtx(); cancelAlloc() }}
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			b.cancel()
			return nil, fmt.Errorf("starting %s: %w", o.Path, err)
		}
	case <-time.After(o.Timeout):
		b.cancel()
		return nil, fmt.Errorf("starting %s: no answer within %v", o.Path, o.Timeout)
	}
	return b, nil
}

// Close stops the browser and its tabs.
func (b *Browser) Close() { b.cancel() }

// Tab is one tab of the browser. Its methods are not safe for concurrent use.
type Tab struct {
	b      *Browser
	ctx    context.Context
	cancel func()
}

// cspRecorder keeps, in the page, the Content-Security-Policy violations it raises. It is injected by the
// DevTools protocol, which the page's policy does not govern.
const cspRecorder = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline')));`

// NewTab opens a fresh tab; Close it at the end of the spec.
func (b *Browser) NewTab() (*Tab, error) {
	ctx, cancelTab := chromedp.NewContext(b.ctx)
	ctx, cancelTimeout := context.WithTimeout(ctx, b.opts.Timeout)
	t := &Tab{b: b, ctx: ctx, cancel: func() { cancelTimeout(); cancelTab() }}
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(b.opts.Width, b.opts.Height),
		chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
			return err
		}))
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	return t, nil
}

// Close closes the tab.
func (t *Tab) Close() { t.cancel() }

// Response is the response to a navigation of the tab, as the browser received it.
type Response struct {
	URL    string
	Status int
	// Header holds the response headers, canonicalized.
	Header http.Header
	// RequestHeader holds the headers the browser transmitted with the request, canonicalized (empty when
	// the browser did not report them).
	RequestHeader http.Header
}

func response(r *network.Response) *Response {
	if r == nil {
		return nil
	}
	return &Response{URL: r.URL, Status: int(r.Status), Header: header(r.Headers), RequestHeader: header(r.RequestHeaders)}
}

func header(h network.Headers) http.Header {
	out := http.Header{}
	for k, v := range h {
		// The protocol joins repeated headers with newlines.
		for _, line := range strings.Split(fmt.Sprint(v), "\n") {
			out.Add(k, line)
		}
	}
	return out
}

// Open loads url in the tab and returns the document's response.
func (t *Tab) Open(url string) (*Response, error) {
	r, err := chromedp.Run(t.ctx, chromedp.NavigateResponse(url))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", url, err)
	}
	return response(r), nil
}

// Click clicks the first element matching the CSS selector, with the mouse, and returns the response of
// the navigation it causes (a form's submission).
func (t *Tab) Click(css string) (*Response, error) {
	r, err := chromedp.RunResponse(t.ctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		return nil, fmt.Errorf("clicking %s: %w", css, err)
	}
	return response(r), nil
}

// Keys the tests press.
const (
	KeyTab   = "\t"
	KeyEnter = "\r"
	KeySpace = " "
)

// Press presses keys on whatever has the focus, as a person at the keyboard does.
func (t *Tab) Press(keys string) error {
	if err := chromedp.Do(t.ctx, chromedp.KeyEvent(keys)); err != nil {
		return fmt.Errorf("pressing %q: %w", keys, err)
	}
	return nil
}

// PressToSubmit presses keys that submit a form, and returns the response of the navigation.
func (t *Tab) PressToSubmit(keys string) (*Response, error) {
	r, err := chromedp.RunResponse(t.ctx, chromedp.KeyEvent(keys))
	if err != nil {
		return nil, fmt.Errorf("pressing %q: %w", keys, err)
	}
	return response(r), nil
}

// Element describes an element of the page.
type Element struct {
	Tag, Text, Name, Value string
	// FocusVisible tells whether the browser draws its focus ring (:focus-visible).
	FocusVisible bool
}

// Focused returns the element that has the keyboard focus (the body when none has).
func (t *Tab) Focused() (Element, error) {
	return Eval[Element](t, `(() => { const e = document.activeElement;
  return {tag: e.tagName.toLowerCase(), text: e.innerText || '', name: e.getAttribute('name') || '',
    value: e.value || '', focusVisible: e.matches(':focus-visible')}; })()`)
}

// Lang is the lang attribute of the document's root element.
func (t *Tab) Lang() (string, error) {
	return Eval[string](t, `document.documentElement.lang`)
}

// Text is the rendered text of the first element matching the CSS selector.
func (t *Tab) Text(css string) (string, error) {
	return chromedp.Run(t.ctx, chromedp.Text(chromedp.CSS(css)))
}

// Violations are the Content-Security-Policy violations the page raised since it loaded, as
// "<directive> blocked <what>".
func (t *Tab) Violations() ([]string, error) {
	return Eval[[]string](t, `window.__cspViolations || []`)
}

// Control is an interactive node of the accessibility tree: its role and the name the browser computed
// for it (from a label, aria attributes or the content), which is what a screen reader announces.
type Control struct {
	Role, Name string
}

// interactiveRoles are the roles of the nodes a person operates.
var interactiveRoles = []string{"button", "checkbox", "combobox", "link", "listbox", "menuitem", "radio",
	"searchbox", "slider", "spinbutton", "switch", "tab", "textbox"}

// Controls returns the interactive nodes of the page's accessibility tree, in document order.
func (t *Tab) Controls() ([]Control, error) {
	tree, err := chromedp.Call(t.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		return nil, fmt.Errorf("reading the accessibility tree: %w", err)
	}
	var out []Control
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		role := axString(n.Role)
		if !slices.Contains(interactiveRoles, role) {
			continue
		}
		out = append(out, Control{Role: role, Name: strings.TrimSpace(axString(n.Name))})
	}
	return out, nil
}

func axString(v *accessibility.Value) string {
	if v == nil {
		return ""
	}
	var s string
	if json.Unmarshal(v.Value, &s) != nil {
		return string(v.Value) // not a string: a number, a boolean
	}
	return s
}

// Screenshot saves the viewport as <Options.Screenshots>/<name>.png and returns the file's path.
func (t *Tab) Screenshot(name string) (string, error) {
	png, err := chromedp.Run(t.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", fmt.Errorf("taking screenshot %s: %w", name, err)
	}
	if err := os.MkdirAll(t.b.opts.Screenshots, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(t.b.opts.Screenshots, name+".png")
	return path, os.WriteFile(path, png, 0o644)
}

// Eval evaluates a JavaScript expression in the page (unbound by the page's policy) and decodes its value.
func Eval[T any](t *Tab, js string) (T, error) {
	v, err := chromedp.Run(t.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		return v, fmt.Errorf("evaluating %q: %w", js, err)
	}
	return v, nil
}

// Frames returns the URL of each frame below the page's main frame, as the browser committed them; a
// frame whose load was blocked shows the browser's error page (chrome-error://...).
func (t *Tab) Frames() ([]string, error) {
	tree, err := chromedp.Call(t.ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	var out []string
	var walk func(ft *page.FrameTree)
	walk = func(ft *page.FrameTree) {
		for _, c := range ft.ChildFrames {
			out = append(out, c.Frame.URL)
			walk(c)
		}
	}
	walk(tree.FrameTree)
	return out, nil
}

// Context is the tab's context, for chromedp actions the helpers above lack.
func (t *Tab) Context() context.Context { return t.ctx }
