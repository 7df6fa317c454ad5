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

package localmail_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"roster.dev/roster/internal/localmail"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// wrap breaks s into lines of 20 characters, as a mailer breaks base64.
func wrap(s string) string {
	var lines []string
	for len(s) > 20 {
		lines = append(lines, s[:20])
		s = s[20:]
	}
	return strings.Join(append(lines, s), "\r\n")
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		subject   string
		links     []string
		err       bool
	}{{
		name:    "plain text, no encoding",
		msg:     "Subject: Hi\r\n\r\nGo to https://a.example/x?t=1, then http://b.example/y.\r\n",
		subject: "Hi",
		links:   []string{"https://a.example/x?t=1", "http://b.example/y"},
	}, {
		name: "quoted-printable: soft line breaks and =3D inside the link",
		msg: "Subject: =?UTF-8?Q?Approbation_requise_:_r=C3=B4le?=\r\nContent-Type: text/plain; charset=utf-8\r\n" +
			"Content-Transfer-Encoding: quoted-printable\r\n\r\nhttp://127.0.0.1:18082/approve/u?tok=\r\nen=3DmV3z\r\n",
		subject: "Approbation requise : rôle",
		links:   []string{"http://127.0.0.1:18082/approve/u?token=mV3z"},
	}, {
		name:    "base64 text with spaces at the ends of lines",
		msg:     "Subject: b\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.ReplaceAll(wrap(b64("link: https://c.example/z\n")), "\r\n", " \r\n"),
		subject: "b",
		links:   []string{"https://c.example/z"},
	}, {
		name: "alternatives: the text part's links, the HTML part's ignored",
		msg: "Subject: alt\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/html\r\n\r\n<a href=\"https://html.example/\">x</a>\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nhttps://text.example/ and https://text.example/ again\r\n--b--\r\n",
		subject: "alt",
		links:   []string{"https://text.example/"},
	}, {
		name: "HTML only: entities decoded",
		msg: "Subject: h\r\nContent-Type: text/html\r\n\r\n" +
			`<a href="https://h.example/confirm?token=a&amp;b=c">confirm</a><a href='https://h.example/2'>2</a>`,
		subject: "h",
		links:   []string{"https://h.example/confirm?token=a&b=c", "https://h.example/2"},
	}, {
		name: "attachments are not read",
		msg: "Subject: att\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: application/pdf\r\n\r\nhttps://pdf.example/\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nhttps://body.example/\r\n--b--\r\n",
		subject: "att",
		links:   []string{"https://body.example/"},
	}, {
		name:    "no link",
		msg:     "Subject: notice\r\n\r\nYour role was granted.\r\n",
		subject: "notice",
	}, {
		name: "multiparts nested too deep",
		msg: "Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n" + func() string {
			var b strings.Builder
			for i := 1; i <= 9; i++ {
				b.WriteString("--b" + string(rune('0'+i-1)) + "\r\nContent-Type: multipart/mixed; boundary=b" + string(rune('0'+i)) + "\r\n\r\n")
			}
			return b.String()
		}(),
		subject: "deep",
		err:     true,
	}, {
		name: "not a message",
		msg:  "no header at all",
		err:  true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s := localmail.Summarize([]byte(tc.msg))
			if s.Subject != tc.subject {
				t.Errorf("subject: got %q, want %q", s.Subject, tc.subject)
			}
			if !slices.Equal(s.Links, tc.links) {
				t.Errorf("links: got %q, want %q", s.Links, tc.links)
			}
			if (s.Err != nil) != tc.err {
				t.Errorf("error: got %v, want one: %v", s.Err, tc.err)
			}
		})
	}
}
