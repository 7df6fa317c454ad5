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

package localmail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
)

// maxDepth bounds the nesting of multiparts read.
const maxDepth = 8

// Summary is what the console shows of a message.
type Summary struct {
	// Subject is the decoded (RFC 2047) Subject header.
	Subject string
	// Links are the http and https URLs of the message, in order and each once: those of its text/plain
	// part, or of its text/html part when it has no plain text.
	Links []string
	// Err is set when the message could not be read entirely; the fields above may then be partial.
	Err error
}

// Summarize reads a message: its subject and its links, decoded from quoted-printable or base64, in
// multiparts as deep as maxDepth.
func Summarize(data []byte) Summary {
	var s Summary
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		s.Err = fmt.Errorf("reading the message: %w", err)
		return s
	}
	var dec mime.WordDecoder
	if s.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		s.Subject = msg.Header.Get("Subject")
	}
	var texts parts
	s.Err = texts.read(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	if texts.plain != "" {
		s.Links = links(texts.plain)
	} else {
		s.Links = links(html.UnescapeString(texts.html))
	}
	return s
}

// parts are the first text/plain and text/html parts of a message.
type parts struct{ plain, html string }

func (p *parts) read(contentType, encoding string, body io.Reader, depth int) error {
	mediaType, params := "text/plain", map[string]string(nil)
	if contentType != "" {
		var err error
		if mediaType, params, err = mime.ParseMediaType(contentType); err != nil {
			return fmt.Errorf("content type %q: %w", contentType, err)
		}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth >= maxDepth {
			return fmt.Errorf("multiparts nested deeper than %d", maxDepth)
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextPart decodes a quoted-printable part, and then drops its Content-Transfer-Encoding.
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading a part of %s: %w", mediaType, err)
			}
			if err := p.read(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, depth+1); err != nil {
				return err
			}
		}
	}
	if (mediaType != "text/plain" || p.plain != "") && (mediaType != "text/html" || p.html != "") {
		return nil // attachments, and the texts after the first of each type
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, spaceSkipper{body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("decoding %s: %w", mediaType, err)
	}
	if mediaType == "text/plain" {
		p.plain = string(text)
	} else {
		p.html = string(text)
	}
	return nil
}

// spaceSkipper drops the white space of base64 text: encoding/base64 skips line breaks, but not the
// spaces and tabs some senders leave.
type spaceSkipper struct{ r io.Reader }

func (n spaceSkipper) Read(p []byte) (int, error) {
	c, err := n.r.Read(p)
	out := p[:0]
	for _, b := range p[:c] {
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			out = append(out, b)
		}
	}
	return len(out), err
}

// urlPattern matches an http or https URL up to a space, a quote or an angle bracket.
var urlPattern = regexp.MustCompile(`https?://[^\s<>"'` + "`" + `]+`)

// links returns the URLs of text, in order and each once, without the punctuation that ends a sentence.
func links(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range urlPattern.FindAllString(text, -1) {
		u = strings.TrimRight(u, ".,;:!?)]")
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}
