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
	"strings"
	"time"
)

// messages are the texts of the approval and confirmation pages in one language.
type messages struct {
	Title, Greeting, Intro                      string
	Organization, Role, Scope, From, To, Vacant string
	RequestedBy, Reason, Expires                string
	AlsoAwaited, OneOf                          string
	Approve, Refuse, Personal                   string
	Approved, Refused, Close                    string
	months                                      [12]string
	timeFormat                                  string // %d day, %s month, %d year, %02d hour, %02d minute
}

var english = &messages{
	Title:        "Change of contact",
	Greeting:     "Hello",
	Intro:        "You are asked to approve or refuse this change of contact.",
	Organization: "Organization",
	Role:         "Role",
	Scope:        "Scope",
	From:         "From",
	To:           "To",
	Vacant:       "nobody (the role is vacant)",
	RequestedBy:  "Requested by",
	AlsoAwaited:  "Also awaited",
	OneOf:        "one of",
	Reason:       "Reason",
	Expires:      "Decide before",
	Approve:      "Approve",
	Refuse:       "Refuse",
	Personal:     "This link is personal: do not forward it.",
	Approved:     "Your approval was recorded",
	Refused:      "Your refusal was recorded",
	Close:        "You can close this page.",
	months: [12]string{"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"},
	timeFormat: "%d %s %d at %02d:%02d UTC",
}

var french = &messages{
	Title:        "Changement de contact",
	Greeting:     "Bonjour",
	Intro:        "Vous êtes invité(e) à approuver ou à refuser ce changement de contact.",
	Organization: "Organisation",
	Role:         "Rôle",
	Scope:        "Périmètre",
	From:         "Ancien titulaire",
	To:           "Nouveau titulaire",
	Vacant:       "personne (le rôle est vacant)",
	RequestedBy:  "Demandé par",
	AlsoAwaited:  "Également attendus",
	OneOf:        "l'un de",
	Reason:       "Motif",
	Expires:      "À décider avant le",
	Approve:      "Approuver",
	Refuse:       "Refuser",
	Personal:     "Ce lien est personnel : ne le transférez pas.",
	Approved:     "Votre approbation a été enregistrée",
	Refused:      "Votre refus a été enregistré",
	Close:        "Vous pouvez fermer cette page.",
	months: [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"},
	timeFormat: "%d %s %d à %02d:%02d UTC",
}

var portuguese = &messages{
	Title:        "Mudança de contato",
	Greeting:     "Olá",
	Intro:        "Você é convidado(a) a aprovar ou recusar esta mudança de contato.",
	Organization: "Organização",
	Role:         "Função",
	Scope:        "Escopo",
	From:         "Titular anterior",
	To:           "Novo titular",
	Vacant:       "ninguém (a função está vaga)",
	RequestedBy:  "Solicitado por",
	AlsoAwaited:  "Também aguardados",
	OneOf:        "um de",
	Reason:       "Motivo",
	Expires:      "Decida até",
	Approve:      "Aprovar",
	Refuse:       "Recusar",
	Personal:     "Este link é pessoal: não o encaminhe.",
	Approved:     "Sua aprovação foi registrada",
	Refused:      "Sua recusa foi registrada",
	Close:        "Você pode fechar esta página.",
	months: [12]string{"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
		"setembro", "outubro", "novembro", "dezembro"},
	timeFormat: "%d de %s de %d às %02d:%02d UTC",
}

// localize returns the texts and the HTML lang of a party's locale: French for "fr" (and "fr-CA",
// "fr_FR"...), Brazilian Portuguese for "pt" (and "pt-BR", "pt_BR"...), English for anything else.
func localize(locale string) (*messages, string) {
	switch language(locale) {
	case "fr":
		return french, "fr"
	case "pt":
		return portuguese, "pt"
	}
	return english, "en"
}

// language returns the language of a locale, lowercase and without its region: "fr-CA", "fr_FR" and
// "FR" are "fr", "pt-BR" is "pt".
func language(locale string) string {
	l := strings.ToLower(locale)
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	return l
}

// formatTime writes t in UTC, to the minute, with the month's name in the language.
func (m *messages) formatTime(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf(m.timeFormat, t.Day(), m.months[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// messagePage is a page of the generic answers, in English and in French: the party's locale is unknown.
type messagePage struct {
	Title, English, French string
}

var (
	invalidPage = messagePage{
		Title:   "Link not valid",
		English: "This link is not valid or has expired.",
		French:  "Ce lien n’est pas valide ou a expiré.",
	}
	unavailablePage = messagePage{
		Title:   "Try again",
		English: "Try again in a moment.",
		French:  "Réessayez dans un instant.",
	}
	tooManyPage = messagePage{
		Title:   "Too many requests",
		English: "Too many requests: try again in a few minutes.",
		French:  "Trop de requêtes : réessayez dans quelques minutes.",
	}
	badRequestPage = messagePage{
		Title:   "Bad request",
		English: "This request is not valid.",
		French:  "Cette requête n’est pas valide.",
	}
)
