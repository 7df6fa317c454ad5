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

// Package rosterctl computes the rows of the kubectl roster plugin from Roster objects and prints them
// the way kubectl does (table, json, yaml), or as csv and markdown for auditors. It needs no cluster:
// the plugin's commands fetch the objects and hand them over.
package rosterctl

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/yaml"
)

// Output formats of -o.
const (
	FormatTable    = "table"
	FormatJSON     = "json"
	FormatYAML     = "yaml"
	FormatCSV      = "csv"
	FormatMarkdown = "markdown"
)

// Formats lists the output formats, in the order the help shows them.
var Formats = []string{FormatTable, FormatJSON, FormatYAML, FormatCSV, FormatMarkdown}

// none stands for an empty cell in a table, as kubectl prints it.
const none = "<none>"

// namespaceKey is the key of the namespace column, which tables show only across namespaces.
const namespaceKey = "namespace"

// Column is one column: Header in tables and markdown (upper case, as kubectl), Key in csv and JSON.
type Column struct {
	Header string
	Key    string
}

// Table is what a command prints: Columns and string Rows for table, csv and markdown, and Items
// (a slice of the row structs) for json and yaml.
type Table struct {
	Columns []Column
	Rows    [][]string
	Items   any
}

// PrintOptions tune the table format.
type PrintOptions struct {
	// NoHeaders leaves out the header line of a table.
	NoHeaders bool
	// AllNamespaces shows the NAMESPACE column of tables and markdown; csv, json and yaml always have it.
	AllNamespaces bool
}

// ValidFormat returns an error naming the formats when f is not one of them.
func ValidFormat(f string) error {
	if slices.Contains(Formats, f) {
		return nil
	}
	return fmt.Errorf("unknown output format %q: use one of %s", f, strings.Join(Formats, ", "))
}

// Print writes t to w in format f.
func Print(w io.Writer, f string, t Table, o PrintOptions) error {
	switch f {
	case FormatTable, "":
		return printTable(w, t, o)
	case FormatMarkdown:
		return printMarkdown(w, t, o)
	case FormatCSV:
		return printCSV(w, t)
	case FormatJSON:
		b, err := json.MarshalIndent(list{Items: t.Items}, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case FormatYAML:
		b, err := yaml.Marshal(list{Items: t.Items})
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return ValidFormat(f)
}

// list wraps the items of json and yaml, as kubectl wraps a list.
type list struct {
	Items any `json:"items"`
}

// visible returns the indexes of the columns a table or markdown shows.
func visible(t Table, o PrintOptions) []int {
	var idx []int
	for i, c := range t.Columns {
		if c.Key == namespaceKey && !o.AllNamespaces {
			continue
		}
		idx = append(idx, i)
	}
	return idx
}

func printTable(w io.Writer, t Table, o PrintOptions) error {
	if len(t.Rows) == 0 {
		_, err := fmt.Fprintln(w, "No resources found.")
		return err
	}
	tw := printers.GetNewTabWriter(w)
	idx := visible(t, o)
	if !o.NoHeaders {
		cells := make([]string, 0, len(idx))
		for _, i := range idx {
			cells = append(cells, t.Columns[i].Header)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	for _, row := range t.Rows {
		cells := make([]string, 0, len(idx))
		for _, i := range idx {
			c := tableCell(row[i])
			if c == "" {
				c = none
			}
			cells = append(cells, c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// tableCell keeps a cell on one line of one column.
func tableCell(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

func printMarkdown(w io.Writer, t Table, o PrintOptions) error {
	idx := visible(t, o)
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	head := make([]string, 0, len(idx))
	rule := make([]string, 0, len(idx))
	for _, i := range idx {
		head = append(head, markdownCell(t.Columns[i].Header))
		rule = append(rule, "---")
	}
	line(head)
	line(rule)
	for _, row := range t.Rows {
		cells := make([]string, 0, len(idx))
		for _, i := range idx {
			cells = append(cells, markdownCell(row[i]))
		}
		line(cells)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownCell escapes what would end a cell or the row, and what markdown would render as markup.
func markdownCell(s string) string {
	return strings.NewReplacer(`\`, `\\`, "|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;",
		"*", `\*`, "_", `\_`, "`", "\\`").Replace(s)
}

func printCSV(w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	head := make([]string, 0, len(t.Columns))
	for _, c := range t.Columns {
		head = append(head, c.Key)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, row := range t.Rows {
		if err := cw.Write(csvRow(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvRow defuses cells a spreadsheet would run as a formula (a contact's display name or a user name
// is written by whoever may edit it), by prefixing them with a quote, as OWASP recommends.
func csvRow(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			c = "'" + c
		}
		out[i] = c
	}
	return out
}

// Timestamp formats t in RFC 3339, UTC, to the second; the zero time is "".
func Timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
