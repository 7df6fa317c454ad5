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
	"strings"
	"testing"
)

func TestPrintEscapes(t *testing.T) {
	table := Table{
		Columns: []Column{{"NAMESPACE", namespaceKey}, {"NAME", "name"}, {"NOTE", "note"}},
		Rows: [][]string{
			{"ns", "a|b", "tab\there\nnewline"},
			{"ns", "=SUM(A1)", "-1+1"},
			{"ns", "@x", "<b>*bold*</b> _it_ `c` \\"},
		},
		Items: []string{},
	}
	tests := []struct {
		name   string
		format string
		o      PrintOptions
		want   string
	}{{
		name: "table: one line a row, namespace only across namespaces, no headers", format: FormatTable,
		o: PrintOptions{NoHeaders: true},
		want: golden(
			"a|b        tab here newline",
			"=SUM(A1)   -1+1",
			"@x         <b>*bold*</b> _it_ `c` \\",
		),
	}, {
		name: "csv: quoted, and formulas defused", format: FormatCSV,
		want: golden(
			"namespace,name,note",
			"ns,a|b,\"tab\there",
			"newline\"",
			"ns,'=SUM(A1),'-1+1",
			"ns,'@x,<b>*bold*</b> _it_ `c` \\",
		),
	}, {
		name: "markdown: cells cannot end the row nor render markup", format: FormatMarkdown,
		o: PrintOptions{AllNamespaces: true},
		want: golden(
			"| NAMESPACE | NAME | NOTE |",
			"| --- | --- | --- |",
			`| ns | a\|b | tab	here newline |`,
			`| ns | =SUM(A1) | -1+1 |`,
			"| ns | @x | &lt;b&gt;\\*bold\\*&lt;/b&gt; \\_it\\_ \\`c\\` \\\\ |",
		),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(t, table, tt.format, tt.o); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestValidFormat(t *testing.T) {
	for _, f := range Formats {
		if err := ValidFormat(f); err != nil {
			t.Errorf("ValidFormat(%q) = %v", f, err)
		}
	}
	for _, f := range []string{"wide", "CSV", "jsonpath={.items}", ""} {
		if err := ValidFormat(f); err == nil {
			t.Errorf("ValidFormat(%q) = nil, want an error", f)
		}
	}
}

func TestReadCode(t *testing.T) {
	code := "q1w2E3r4-T5y6_U7i8O9p0aAsSdDfFgGhHjJkKlLzZx"
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "a line", in: code + "\n", want: code},
		{name: "without newline", in: code, want: code},
		{name: "surrounding spaces and CRLF", in: "  " + code + " \r\n", want: code},
		{name: "only the first line", in: code + "\nsomething else\n", want: code},
		{name: "empty", in: "", wantErr: "no code given"},
		{name: "blank line", in: "\n", wantErr: "no code given"},
		{name: "a whole annotation pasted", in: "roster.dev/approve=" + code, wantErr: "characters a code of Roster never has"},
		{name: "too long", in: strings.Repeat("a", maxCode+1), wantErr: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prompts strings.Builder
			got, err := ReadCode(strings.NewReader(tt.in), &prompts, "Code: ")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadCode(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ReadCode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if prompts.Len() != 0 {
				t.Errorf("prompted %q when stdin is not a terminal", prompts.String())
			}
		})
	}
}

func TestDecisionPatch(t *testing.T) {
	got := string(DecisionPatch("roster.dev/approve", "abc-_1"))
	want := `{"metadata":{"annotations":{"roster.dev/approve":"abc-_1"}}}`
	if got != want {
		t.Errorf("DecisionPatch = %s, want %s", got, want)
	}
}
