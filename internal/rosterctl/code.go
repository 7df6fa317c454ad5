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

package rosterctl

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxCode bounds a decision code; the operator's are 43 characters of base64url.
const maxCode = 256

// ReadCode reads a decision code: from the terminal without echo after prompting on prompts when in
// is a terminal, else from the first line of in (a pipe or a file). The code never comes from argv,
// so that it stays out of shell history and process listings.
func ReadCode(in io.Reader, prompts io.Writer, prompt string) (string, error) {
	var raw string
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompts, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompts)
		if err != nil {
			return "", fmt.Errorf("reading the code: %w", err)
		}
		raw = string(b)
	} else {
		line, err := bufio.NewReaderSize(io.LimitReader(in, maxCode+2), maxCode+2).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the code from stdin: %w", err)
		}
		raw = line
	}
	return CheckCode(raw)
}

// CheckCode trims a code and refuses one that cannot be a code of the operator (base64url), so that a
// paste error is told at once rather than counted as a wrong attempt.
func CheckCode(raw string) (string, error) {
	code := strings.TrimSpace(raw)
	if code == "" {
		return "", errors.New("no code given: type the code of your email at the prompt, or pipe it on stdin")
	}
	if len(code) > maxCode {
		return "", fmt.Errorf("the code is longer than %d characters: paste only the code of your email", maxCode)
	}
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", errors.New("the code holds characters a code of Roster never has (it is letters, digits, - and _): paste only the code of your email")
		}
	}
	return code, nil
}

// DecisionPatch is the JSON merge patch that sets annotation to code on a ContactTransfer.
func DecisionPatch(annotation, code string) []byte {
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{annotation: code}}})
	return b
}
