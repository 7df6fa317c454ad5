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
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/approval"
	"roster.dev/roster/internal/index"
)

// ReconfirmView is a re-confirmation request as the holder of its link sees it.
type ReconfirmView struct {
	Organization, Contact string
	// Roles lists the roles held ("primary, technical/site-paris").
	Roles  string
	DueAt  time.Time
	Locale string
}

// ReconfirmDecider shows and answers re-confirmation requests; ReconfirmBackend implements it.
type ReconfirmDecider interface {
	ViewReconfirmation(ctx context.Context, contactUID, token string) (ReconfirmView, error)
	Reconfirm(ctx context.Context, contactUID, token string) (ReconfirmView, error)
}

// ReconfirmBackend finds contacts by UID in the manager's cache (index ByUID), checks the link of the
// request in progress by deriving it again, and records the answer in the contact's status with optimistic
// concurrency: status.reconfirmedAt set, the request cleared, so that the link works once.
type ReconfirmBackend struct {
	Reader client.Reader
	Client client.Client
	Keys   *approval.Keyring
	Now    func() time.Time
}

var _ ReconfirmDecider = &ReconfirmBackend{}

// ViewReconfirmation shows the request to the holder of the link; it records nothing.
func (b *ReconfirmBackend) ViewReconfirmation(ctx context.Context, uid, token string) (ReconfirmView, error) {
	c, err := b.contact(ctx, uid, token)
	if err != nil {
		return ReconfirmView{}, err
	}
	return b.view(ctx, c), nil
}

// Reconfirm records that the holder of the link confirmed.
func (b *ReconfirmBackend) Reconfirm(ctx context.Context, uid, token string) (ReconfirmView, error) {
	var view ReconfirmView
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		c, err := b.contact(ctx, uid, token)
		if err != nil {
			return err
		}
		view = b.view(ctx, c)
		now := metav1.NewTime(b.now().Truncate(time.Second))
		c.Status.ReconfirmedAt = &now
		c.Status.Reconfirmation = nil
		return b.Client.Status().Update(ctx, c)
	})
	return view, err
}

// contact finds the contact of a UID whose request in progress the token answers.
func (b *ReconfirmBackend) contact(ctx context.Context, uid, token string) (*v1alpha1.Contact, error) {
	var list v1alpha1.ContactList
	if err := b.Reader.List(ctx, &list, client.MatchingFields{index.ByUID: uid}); err != nil {
		return nil, err
	}
	if len(list.Items) != 1 || !b.Keys.CheckReconfirmToken(&list.Items[0], token) {
		return nil, ErrInvalidToken
	}
	return &list.Items[0], nil
}

func (b *ReconfirmBackend) view(ctx context.Context, c *v1alpha1.Contact) ReconfirmView {
	v := ReconfirmView{Organization: c.Spec.OrganizationRef.Name, Contact: c.Name, Roles: c.Status.RolesSummary,
		Locale: string(c.Spec.Locale)}
	if c.Spec.DisplayName != "" {
		v.Contact = c.Spec.DisplayName
	}
	if r := c.Status.Reconfirmation; r != nil {
		v.DueAt = r.DueAt.Time
	}
	org := &v1alpha1.Organization{}
	if b.Reader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Spec.OrganizationRef.Name}, org) == nil && org.Spec.DisplayName != "" {
		v.Organization = org.Spec.DisplayName
	}
	return v
}

func (b *ReconfirmBackend) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// reconfirmMessages are the texts of the re-confirmation page.
type reconfirmMessages struct {
	Title, Intro, Organization, Contact, Roles, Due, Confirm, NotMe, Personal, Done string
}

var reconfirmTexts = map[string]*reconfirmMessages{
	"en": {Title: "Are you still the right contact?", Intro: "Your organization asks its contacts, from time to time, to confirm that they are still the right person for their roles.",
		Organization: "Organization", Contact: "Contact", Roles: "Roles", Due: "Please answer by", Confirm: "I am still the right contact",
		NotMe:    "If you are no longer the right contact, do not confirm: tell your organization's administrators, who will hand your roles over.",
		Personal: "This link is personal and works once: do not forward it.", Done: "Thank you: your confirmation was recorded. You can close this page."},
	"fr": {Title: "Êtes-vous toujours le bon contact ?", Intro: "Votre organisation demande régulièrement à ses contacts de confirmer qu'ils sont toujours la bonne personne pour leurs rôles.",
		Organization: "Organisation", Contact: "Contact", Roles: "Rôles", Due: "Merci de répondre avant le", Confirm: "Je suis toujours le bon contact",
		NotMe:    "Si vous n'êtes plus le bon contact, ne confirmez pas : prévenez les administrateurs de votre organisation, qui transféreront vos rôles.",
		Personal: "Ce lien est personnel et à usage unique : ne le transférez pas.", Done: "Merci : votre confirmation a été enregistrée. Vous pouvez fermer cette page."},
	"pt": {Title: "Você ainda é o contato certo?", Intro: "Sua organização pede periodicamente aos seus contatos que confirmem que ainda são a pessoa certa para as suas funções.",
		Organization: "Organização", Contact: "Contato", Roles: "Funções", Due: "Responda até", Confirm: "Ainda sou o contato certo",
		NotMe:    "Se você não é mais o contato certo, não confirme: avise os administradores da sua organização, que transferirão suas funções.",
		Personal: "Este link é pessoal e de uso único: não o encaminhe.", Done: "Obrigado: sua confirmação foi registrada. Você pode fechar esta página."},
}

type reconfirmData struct {
	Lang, Action, Token, Due, DueISO string
	Done                             bool
	T                                *reconfirmMessages
	V                                ReconfirmView
}

// reconfirmLocale returns the texts and the HTML lang of a contact's locale, English for anything
// unsupported.
func reconfirmLocale(locale string) (*reconfirmMessages, string) {
	l := language(locale)
	if m, ok := reconfirmTexts[l]; ok {
		return m, l
	}
	return reconfirmTexts["en"], "en"
}

// reconfirmHandlers serve GET and POST /reconfirm/{uid}, with the limits and checks of the approval page.
type reconfirmHandlers struct {
	h *handler
	d ReconfirmDecider
}

// show renders the request with its Confirm button; a GET records nothing (mail scanners open links).
func (a reconfirmHandlers) show(w http.ResponseWriter, r *http.Request, uid string) {
	token := r.URL.Query().Get("token")
	if token == "" || len(token) > maxTokenBytes {
		a.h.invalid(w)
		return
	}
	v, err := a.d.ViewReconfirmation(r.Context(), uid, token)
	if err != nil {
		a.fail(w, r, err, token, uid)
		return
	}
	t, lang := reconfirmLocale(v.Locale)
	data := reconfirmData{Lang: lang, Action: "./" + url.PathEscape(uid), Token: token, T: t, V: v}
	if !v.DueAt.IsZero() {
		m, _ := localize(v.Locale)
		data.Due, data.DueISO = m.formatTime(v.DueAt), v.DueAt.UTC().Format(time.RFC3339)
	}
	a.h.render(w, http.StatusOK, "reconfirm.html", data)
}

// decide records the confirmation of the link's holder.
func (a reconfirmHandlers) decide(w http.ResponseWriter, r *http.Request, uid string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		a.h.render(w, http.StatusBadRequest, "message.html", badRequestPage)
		return
	}
	token := r.PostForm.Get("token")
	if r.PostForm.Get("decision") != "Confirmed" {
		a.h.render(w, http.StatusBadRequest, "message.html", badRequestPage)
		return
	}
	if token == "" || len(token) > maxTokenBytes {
		a.h.invalid(w)
		return
	}
	v, err := a.d.Reconfirm(r.Context(), uid, token)
	if err != nil {
		a.fail(w, r, err, token, uid)
		return
	}
	a.h.log.Info("Re-confirmation recorded via its link", "uid", uid)
	t, lang := reconfirmLocale(v.Locale)
	a.h.render(w, http.StatusOK, "reconfirm.html", reconfirmData{Lang: lang, Done: true, T: t, V: v})
}

func (a reconfirmHandlers) fail(w http.ResponseWriter, r *http.Request, err error, token, uid string) {
	if errors.Is(err, ErrInvalidToken) {
		a.h.invalid(w)
		return
	}
	a.h.fail(w, r, err, token, "reconfirm", uid)
}
