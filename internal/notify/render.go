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
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"roster.dev/roster/api/v1alpha1"
)

// Message is a notification rendered for one recipient.
type Message struct {
	// Subject is one line of plain text.
	Subject string
	// Text is the plain-text body.
	Text string
	// HTML is the HTML body (a complete document).
	HTML string
}

// allTypes lists every notification type, in the order of the constants.
var allTypes = []Type{
	TransferRequested, TransferApproved, TransferCompleted, TransferRefused, TransferExpired,
	TransferLocked, TransferCancelled, RoleGranted, RoleRevoked, RoleExpiring, RoleExpired, ContactDisabled, RequiredRoleVacant, Notice,
	TransferReminder, ReconfirmationRequested, ReconfirmationLapsed,
}

// factKeys are the facts messages show; missing ones render as empty.
var factKeys = []string{
	"role", "scope", "from", "to", "requestedBy", "reason", "expiresAt", "transfer", "organizationDisplayName",
	"subject", "body", "holder", "validUntil", "stage", "dueAt", "reminder",
}

const defaultLocale = "en"

//go:embed templates
var templateFS embed.FS

// locale is the templates of one language.
type locale struct {
	text       *texttemplate.Template // "<Type>.subject" and "<Type>.text"
	html       *htmltemplate.Template // "<Type>.html", inside "layout"
	months     [12]string
	timeFormat string // day, month name, year, hour, minute
}

var locales = map[string]*locale{
	"en": mustLocale("en", "%d %s %d, %02d:%02d UTC", [12]string{"January", "February", "March", "April",
		"May", "June", "July", "August", "September", "October", "November", "December"}),
	"fr": mustLocale("fr", "%d %s %d à %02d:%02d UTC", [12]string{"janvier", "février", "mars", "avril",
		"mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}),
	"pt": mustLocale("pt", "%d de %s de %d às %02d:%02d UTC", [12]string{"janeiro", "fevereiro", "março", "abril",
		"maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"}),
}

func mustLocale(lang, timeFormat string, months [12]string) *locale {
	text := texttemplate.Must(texttemplate.New(lang).Option("missingkey=zero").
		ParseFS(templateFS, "templates/"+lang+"/text.tmpl"))
	html := htmltemplate.Must(htmltemplate.New(lang).Option("missingkey=zero").
		ParseFS(templateFS, "templates/layout.html.tmpl", "templates/"+lang+"/html.tmpl"))
	return &locale{text: text, html: html, months: months, timeFormat: timeFormat}
}

// language returns the supported language of a locale ("fr", "fr-CA", "fr_FR" -> "fr"; "pt", "pt-BR",
// "pt_BR" -> "pt"), English for anything unsupported.
func language(loc string) string {
	l := strings.ToLower(strings.TrimSpace(loc))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	if _, ok := locales[l]; ok {
		return l
	}
	return defaultLocale
}

// templateData is what the templates see.
type templateData struct {
	// Lang is the language rendered ("en", "fr", "pt").
	Lang string
	Type Type
	// Organization is the display name of the organization, or its name.
	Organization string
	Object       ObjectRef
	Recipient    Recipient
	// Name is the recipient's display name, or the contact name.
	Name string
	// Facts holds every known fact key (empty when missing) and any other fact given.
	Facts map[string]string
	// IsTransfer is true for the Transfer* types (an empty "from" then means the role is vacant).
	IsTransfer bool
	// ExpiresAt is the expiresAt fact formatted in the language when it is an RFC 3339 time; shown only
	// while a decision is pending (requested, approved) or when it explains the outcome (expired).
	ExpiresAt string
	// ValidUntil is the validUntil fact (the end of a time-limited role) formatted in the language.
	ValidUntil string
	// DueAt is the dueAt fact (the due date of a re-confirmation) formatted in the language.
	DueAt string
	// Transfer and Namespace name the ContactTransfer for the kubectl commands.
	Transfer, Namespace string
	// Token and Link are the recipient's own approval token and link (TransferRequested and
	// TransferReminder parties, ReconfirmationRequested's holder).
	Token, Link string
	// ApproveCode and RefuseCode are the recipient's codes for kubectl annotate, one per decision.
	ApproveCode, RefuseCode string
	// Approve and Refuse are the annotations that approve or refuse with those codes.
	Approve, Refuse string
}

// Render renders n for r in r's locale (English when the locale is not supported).
func Render(n Notification, r Recipient) (Message, error) {
	lang := language(r.Locale)
	loc := locales[lang]
	name := string(n.Type)
	if loc.text.Lookup(name+".subject") == nil {
		return Message{}, fmt.Errorf("no message for notification type %q", n.Type)
	}
	data := newTemplateData(n, r, lang, loc)

	var subject, text, body, html bytes.Buffer
	if err := loc.text.ExecuteTemplate(&subject, name+".subject", data); err != nil {
		return Message{}, fmt.Errorf("rendering the %s subject of %s: %w", lang, n.Type, err)
	}
	if err := loc.text.ExecuteTemplate(&text, name+".text", data); err != nil {
		return Message{}, fmt.Errorf("rendering the %s text of %s: %w", lang, n.Type, err)
	}
	if err := loc.html.ExecuteTemplate(&body, name+".html", data); err != nil {
		return Message{}, fmt.Errorf("rendering the %s HTML of %s: %w", lang, n.Type, err)
	}
	msg := Message{Subject: strings.Join(strings.Fields(subject.String()), " "), Text: tidyText(text.String())}
	page := layoutData{
		templateData: data,
		Subject:      msg.Subject,
		// body is the output of html/template, escaped already.
		Body: htmltemplate.HTML(strings.TrimSpace(body.String())), //nolint:gosec // escaped by html/template
	}
	if err := loc.html.ExecuteTemplate(&html, "layout", page); err != nil {
		return Message{}, fmt.Errorf("rendering the %s HTML of %s: %w", lang, n.Type, err)
	}
	msg.HTML = html.String()
	return msg, nil
}

// layoutData is what the HTML layout sees: the notification's data, its subject and its rendered body.
type layoutData struct {
	templateData
	Subject string
	Body    htmltemplate.HTML
}

func newTemplateData(n Notification, r Recipient, lang string, loc *locale) templateData {
	facts := make(map[string]string, len(factKeys)+len(n.Facts))
	for _, k := range factKeys {
		facts[k] = ""
	}
	for k, v := range n.Facts {
		facts[k] = v
	}
	org := facts["organizationDisplayName"]
	if org == "" {
		org = n.Organization
	}
	name := displayName(r.DisplayName)
	if name == "" {
		name = r.Contact
	}
	expiresAt := ""
	switch n.Type {
	case TransferRequested, TransferApproved, TransferExpired, TransferReminder:
		expiresAt = loc.formatTime(facts["expiresAt"])
	}
	transfer := facts["transfer"]
	if transfer == "" {
		transfer = n.Object.Name
	}
	return templateData{
		Lang:         lang,
		Type:         n.Type,
		Organization: org,
		Object:       n.Object,
		Recipient:    r,
		Name:         name,
		Facts:        facts,
		IsTransfer:   strings.HasPrefix(string(n.Type), "Transfer"),
		ExpiresAt:    expiresAt,
		ValidUntil:   loc.formatTime(facts["validUntil"]),
		DueAt:        loc.formatTime(facts["dueAt"]),
		Transfer:     transfer,
		Namespace:    n.Object.Namespace,
		Token:        r.Token,
		Link:         r.Link,
		ApproveCode:  r.ApproveCode,
		RefuseCode:   r.RefuseCode,
		Approve:      v1alpha1.ApproveAnnotation,
		Refuse:       v1alpha1.RefuseAnnotation,
	}
}

// formatTime writes an RFC 3339 time in UTC, to the minute, with the month's name in the language; any
// other value is returned as is.
func (l *locale) formatTime(v string) string {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return v
	}
	t = t.UTC()
	return fmt.Sprintf(l.timeFormat, t.Day(), l.months[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// tidyText trims trailing spaces, collapses runs of blank lines left by optional sections and ends the
// text with one newline.
func tidyText(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, line := range lines {
		line = strings.TrimRight(line, " \t\r")
		if line == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n") + "\n"
}
