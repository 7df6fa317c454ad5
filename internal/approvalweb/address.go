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
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// AddressView is a pending change of address as the holder of a valid link sees it.
type AddressView struct {
	Organization, Contact string
	Current, New          string
	// Confirm is true on the new address's link (confirm it); false on an approver's (approve the change).
	Confirm bool
	Locale  string
}

// AddressDecider confirms and approves changes of address; AddressBackend implements it.
type AddressDecider interface {
	ViewAddress(ctx context.Context, contactUID, token string) (AddressView, error)
	DecideAddress(ctx context.Context, contactUID, token string, approve bool) (AddressView, error)
}

// AddressBackend finds contacts by UID in the manager's cache (index ByUID), checks the links of a change
// of address by deriving them again, and records confirmations and approvals in the contact's status with
// optimistic concurrency.
type AddressBackend struct {
	Reader client.Reader
	Client client.Client
	Keys   *approval.Keyring
	Now    func() time.Time
}

var _ AddressDecider = &AddressBackend{}

// Pages serves the three pages: transfers (/approve), changes of address (/confirm) and re-confirmation
// requests (/reconfirm).
type Pages struct {
	*Backend
	*AddressBackend
	*ReconfirmBackend
}

// ViewAddress shows the change to the holder of the link; it records nothing.
func (b *AddressBackend) ViewAddress(ctx context.Context, uid, token string) (AddressView, error) {
	c, approvers, err := b.contact(ctx, uid)
	if err != nil {
		return AddressView{}, err
	}
	probe := c.DeepCopy()
	party, purpose, ok := approval.DecideAddress(b.Keys, probe, approvers, token, true, metav1.NewTime(b.now()))
	if !ok {
		return AddressView{}, ErrInvalidToken
	}
	return b.view(ctx, c, party, purpose), nil
}

// DecideAddress records the confirmation, approval or refusal that the link's holder made.
func (b *AddressBackend) DecideAddress(ctx context.Context, uid, token string, approve bool) (AddressView, error) {
	var view AddressView
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		c, approvers, err := b.contact(ctx, uid)
		if err != nil {
			return err
		}
		party, purpose, ok := approval.DecideAddress(b.Keys, c, approvers, token, approve, metav1.NewTime(b.now()))
		if !ok {
			return ErrInvalidToken
		}
		view = b.view(ctx, c, party, purpose)
		return b.Client.Status().Update(ctx, c)
	})
	return view, err
}

// contact finds the contact of a UID with a pending change, and who besides itself may approve it.
func (b *AddressBackend) contact(ctx context.Context, uid string) (*v1alpha1.Contact, []string, error) {
	var list v1alpha1.ContactList
	if err := b.Reader.List(ctx, &list, client.MatchingFields{index.ByUID: uid}); err != nil {
		return nil, nil, err
	}
	if len(list.Items) != 1 || list.Items[0].Status.EmailChange == nil {
		return nil, nil, ErrInvalidToken
	}
	c := &list.Items[0]
	org := &v1alpha1.Organization{}
	if err := b.Reader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Spec.OrganizationRef.Name}, org); err != nil {
		return nil, nil, client.IgnoreNotFound(err)
	}
	in, err := state.Load(ctx, b.Reader, org, b.now())
	if err != nil {
		return c, nil, state.IgnoreInvalidCatalogue(err)
	}
	return c, roles.Evaluate(in).HoldersOf(roles.Primary, roles.Administrative), nil
}

// view is what the page shows party, in its language: the contact itself, or another initiator approving
// the change.
func (b *AddressBackend) view(ctx context.Context, c *v1alpha1.Contact, party string, purpose approval.Purpose) AddressView {
	v := AddressView{Organization: c.Spec.OrganizationRef.Name, Contact: c.Name, Current: c.Status.VerifiedEmail,
		Confirm: purpose == approval.PurposeConfirmEmail, Locale: string(c.Spec.Locale)}
	reader := &v1alpha1.Contact{}
	if party != c.Name && b.Reader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: party}, reader) == nil {
		v.Locale = string(reader.Spec.Locale)
	}
	if c.Spec.DisplayName != "" {
		v.Contact = c.Spec.DisplayName
	}
	if c.Status.EmailChange != nil {
		v.New = c.Status.EmailChange.Email
	}
	org := &v1alpha1.Organization{}
	if b.Reader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Spec.OrganizationRef.Name}, org) == nil {
		v.Organization = org.Spec.DisplayName
	}
	return v
}

func (b *AddressBackend) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// addressMessages are the texts of the address page.
type addressMessages struct {
	Title, ConfirmIntro, ApproveIntro, Organization, Contact, Current, New    string
	Confirm, NotMine, Approve, Refuse, Personal, Confirmed, Approved, Refused string
}

var addressTexts = map[string]*addressMessages{
	"en": {Title: "Change of address", ConfirmIntro: "Confirm that this is your address: notices and approval requests will come here.",
		ApproveIntro: "You are asked to approve or refuse this change of address.", Organization: "Organization", Contact: "Contact",
		Current: "Current address", New: "New address", Confirm: "Confirm", NotMine: "This is not my address", Approve: "Approve",
		Refuse: "Refuse", Personal: "This link is personal: do not forward it.", Confirmed: "Your address is confirmed. You can close this page.",
		Approved: "Your approval was recorded. You can close this page.", Refused: "Your refusal was recorded. You can close this page."},
	"fr": {Title: "Changement d'adresse", ConfirmIntro: "Confirmez que cette adresse est la vôtre : avis et demandes d'approbation y arriveront.",
		ApproveIntro: "Vous êtes invité à approuver ou refuser ce changement d'adresse.", Organization: "Organisation", Contact: "Contact",
		Current: "Adresse actuelle", New: "Nouvelle adresse", Confirm: "Confirmer", NotMine: "Ce n'est pas mon adresse", Approve: "Approuver",
		Refuse: "Refuser", Personal: "Ce lien est personnel : ne le transférez pas.", Confirmed: "Votre adresse est confirmée. Vous pouvez fermer cette page.",
		Approved: "Votre approbation a été enregistrée. Vous pouvez fermer cette page.", Refused: "Votre refus a été enregistré. Vous pouvez fermer cette page."},
	"pt": {Title: "Mudança de endereço de e-mail", ConfirmIntro: "Confirme que este endereço é seu: avisos e pedidos de aprovação chegarão nele.",
		ApproveIntro: "Você é convidado(a) a aprovar ou recusar esta mudança de endereço de e-mail.", Organization: "Organização", Contact: "Contato",
		Current: "Endereço atual", New: "Novo endereço", Confirm: "Confirmar", NotMine: "Este endereço não é meu", Approve: "Aprovar",
		Refuse: "Recusar", Personal: "Este link é pessoal: não o encaminhe.", Confirmed: "Seu endereço foi confirmado. Você pode fechar esta página.",
		Approved: "Sua aprovação foi registrada. Você pode fechar esta página.", Refused: "Sua recusa foi registrada. Você pode fechar esta página."},
}

type addressData struct {
	Lang, Action, Token, Done string
	T                         *addressMessages
	V                         AddressView
}

// addressLocale returns the texts and the HTML lang of a contact's locale, the region ignored ("pt-BR" is
// "pt"), English for anything unsupported.
func addressLocale(locale string) (*addressMessages, string) {
	l := language(locale)
	if m, ok := addressTexts[l]; ok {
		return m, l
	}
	return addressTexts["en"], "en"
}

// addressHandlers serve GET and POST /confirm/{uid}, with the limits and checks of the approval page.
type addressHandlers struct {
	h *handler
	d AddressDecider
}

func (a addressHandlers) show(w http.ResponseWriter, r *http.Request, uid string) {
	token := r.URL.Query().Get("token")
	if token == "" {
		a.h.invalid(w)
		return
	}
	v, err := a.d.ViewAddress(r.Context(), uid, token)
	if err != nil {
		a.fail(w, r, err, token, uid)
		return
	}
	t, lang := addressLocale(v.Locale)
	a.h.render(w, http.StatusOK, "confirm.html", addressData{Lang: lang, Action: "./" + url.PathEscape(uid), Token: token, T: t, V: v})
}

func (a addressHandlers) decide(w http.ResponseWriter, r *http.Request, uid string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		a.h.render(w, http.StatusBadRequest, "message.html", badRequestPage)
		return
	}
	decision, token := v1alpha1.Decision(r.PostForm.Get("decision")), r.PostForm.Get("token")
	if (decision != v1alpha1.DecisionApproved && decision != v1alpha1.DecisionRefused) || token == "" {
		a.h.render(w, http.StatusBadRequest, "message.html", badRequestPage)
		return
	}
	v, err := a.d.DecideAddress(r.Context(), uid, token, decision == v1alpha1.DecisionApproved)
	if err != nil {
		a.fail(w, r, err, token, uid)
		return
	}
	t, lang := addressLocale(v.Locale)
	done := t.Refused
	switch {
	case decision == v1alpha1.DecisionApproved && v.Confirm:
		done = t.Confirmed
	case decision == v1alpha1.DecisionApproved:
		done = t.Approved
	}
	a.h.log.Info("Change of address decided via its link", "uid", uid, "decision", decision)
	a.h.render(w, http.StatusOK, "confirm.html", addressData{Lang: lang, Done: done, T: t, V: v})
}

func (a addressHandlers) fail(w http.ResponseWriter, r *http.Request, err error, token, uid string) {
	if errors.Is(err, ErrInvalidToken) {
		a.h.invalid(w)
		return
	}
	a.h.fail(w, r, err, token, "address", uid)
}
