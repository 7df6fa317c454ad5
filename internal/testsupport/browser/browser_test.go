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

package browser_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"roster.dev/roster/internal/testsupport/browser"
)

func TestFindHonoursCHROMIUM(t *testing.T) {
	t.Setenv("CHROMIUM", "/nonexistent/chromium")
	if p, err := browser.Find(); err == nil {
		t.Fatalf("Find found %s", p)
	}
}

// form is a page like the operator's: strict headers, French, a form with two buttons; it also has an
// inline script its own policy blocks, and a text field without a label.
const form = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>t</title>
<style>button { color: rgb(1, 2, 3); }</style></head><body>
<script>document.title = 'ran';</script>
<input type="text" name="unlabelled">
<label for="n">Nom</label><input id="n" type="text" name="n">
<form method="post" action="/form"><input type="hidden" name="token" value="s3cret">
<button type="submit" name="decision" value="Approved">Approuver</button>
<button type="submit" name="decision" value="Refused">Refuser</button></form></body></html>`

func TestTab(t *testing.T) {
	path, err := browser.Find()
	if err != nil {
		t.Skip(err)
	}
	var mu sync.Mutex
	var posted []string // decision and Referer of each POST
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if r.Method == http.MethodPost {
			mu.Lock()
			posted = append(posted, r.FormValue("decision")+" referer="+r.Referer())
			mu.Unlock()
			_, _ = w.Write([]byte(`<!DOCTYPE html><html lang="fr"><p id="done">ok</p></html>`))
			return
		}
		_, _ = w.Write([]byte(form))
	}))
	defer page.Close()
	// Another origin (another port) that frames the page.
	framer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<!DOCTYPE html><html><iframe src="` + page.URL + `/form"></iframe></html>`))
	}))
	defer framer.Close()

	b, err := browser.Start(browser.Options{Path: path, Screenshots: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tab, err := b.NewTab()
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()

	resp, err := tab.Open(page.URL + "/form")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("response as the browser saw it: %+v", resp)
	}
	if lang, err := tab.Lang(); err != nil || lang != "fr" {
		t.Errorf("lang: %q, %v", lang, err)
	}
	if v, err := tab.Violations(); err != nil || !slices.Contains(v, "script-src-elem blocked inline") {
		t.Errorf("the inline script must be reported blocked: %q, %v", v, err)
	}
	if title, err := browser.Eval[string](tab, `document.title`); err != nil || title != "t" {
		t.Errorf("the blocked script ran: title %q, %v", title, err)
	}
	if color, err := browser.Eval[string](tab, `getComputedStyle(document.querySelector('button')).color`); err != nil || color != "rgb(1, 2, 3)" {
		t.Errorf("the inline style the policy allows must apply: %q, %v", color, err)
	}
	controls, err := tab.Controls()
	want := []browser.Control{{Role: "textbox"}, {Role: "textbox", Name: "Nom"}, {Role: "button", Name: "Approuver"}, {Role: "button", Name: "Refuser"}}
	if err != nil || !slices.Equal(controls, want) {
		t.Errorf("controls: got %+v, %v; want %+v", controls, err, want)
	}

	// Keyboard: two fields, then the first button.
	for range 3 {
		if err := tab.Press(browser.KeyTab); err != nil {
			t.Fatal(err)
		}
	}
	if f, err := tab.Focused(); err != nil || f.Tag != "button" || f.Value != "Approved" || !f.FocusVisible {
		t.Errorf("focus after three Tabs: %+v, %v", f, err)
	}
	shot, err := tab.Screenshot("form")
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Errorf("screenshot %s is not a PNG: %v", shot, err)
	}
	resp, err = tab.PressToSubmit(browser.KeyEnter)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.RequestHeader.Get("Referer") != "" {
		t.Errorf("the POST as the browser sent it: %+v", resp)
	}
	if text, err := tab.Text("#done"); err != nil || text != "ok" {
		t.Errorf("after Enter: %q, %v", text, err)
	}
	mu.Lock()
	if !slices.Equal(posted, []string{"Approved referer="}) {
		t.Errorf("posted: %q", posted)
	}
	mu.Unlock()

	// Space on the second button, after a reload.
	if _, err := tab.Open(page.URL + "/form"); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := tab.Press(browser.KeyTab); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tab.PressToSubmit(browser.KeySpace); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if !slices.Equal(posted, []string{"Approved referer=", "Refused referer="}) {
		t.Errorf("posted: %q", posted)
	}
	mu.Unlock()

	// Framed by another origin: blocked.
	if _, err := tab.Open(framer.URL); err != nil {
		t.Fatal(err)
	}
	frames, err := tab.Frames()
	if err != nil || len(frames) != 1 || strings.HasPrefix(frames[0], page.URL) {
		t.Errorf("frames: %q, %v", frames, err)
	}
	t.Logf("frames: %q", frames)
}
