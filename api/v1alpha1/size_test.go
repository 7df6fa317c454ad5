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

package v1alpha1_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	. "roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/notify"
)

// objectBudget is the most bytes the JSON of a Roster object may take besides its metadata, whatever
// is written into it within its schema: etcd refuses a request above 1.5 MiB (--max-request-bytes), and
// metadata needs the rest (annotations alone may take 256 KiB, managedFields and labels more).
const objectBudget = 1 << 20

// rolesAllowance is what an Organization's status.roles may take within objectBudget. It lists every
// holder of every (role, scope), so the schema does not bound its bytes; the operator keeps it within
// MaxRolesBytes (controllers/organization_status.go).
const rolesAllowance = MaxRolesBytes

// TestWorstCaseSize computes, from the generated CRDs, the largest JSON a valid object of each kind can
// have: every list at its maxItems, every string at its maxLength, every map at its maxProperties,
// every optional field set, as tightened by the CEL size rules the schema carries. It follows the
// markers by itself: a bound loosened in the Go types shows here after `make manifests`.
func TestWorstCaseSize(t *testing.T) {
	tests := []struct {
		kind string
		file string
		// allowance replaces the worst case of a path whose size the schema does not bound.
		allowance map[string]int64
	}{
		{kind: "Organization", file: "roster.dev_organizations.yaml", allowance: map[string]int64{".status.roles": rolesAllowance}},
		{kind: "Contact", file: "roster.dev_contacts.yaml"},
		{kind: "RoleAssignment", file: "roster.dev_roleassignments.yaml"},
		{kind: "ContactTransfer", file: "roster.dev_contacttransfers.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			root := loadSchema(t, tt.file)
			w := newSizer()
			w.allowance = tt.allowance
			size := w.object(tt.kind, root)
			for _, e := range w.unbounded {
				t.Errorf("%s: no bound in the schema: add a maxLength, maxItems or maxProperties (or a CEL size rule)", e)
			}
			t.Logf("%s: worst case %s of %s (%.0f %%)", tt.kind, kib(size), kib(objectBudget), 100*float64(size)/objectBudget)
			for _, p := range w.largest(12) {
				t.Logf("  %-44s %s", p, kib(w.sizes[p]))
			}
			if size > objectBudget {
				t.Errorf("%s: worst case %s exceeds the budget of %s: tighten the markers listed above", tt.kind, kib(size), kib(objectBudget))
			}
		})
	}
}

// TestCRDLimitsMatchTheOperator checks that what the operator cuts its writes to is what the CRDs allow:
// a write it makes never fails on a bound, and the worst case above is the one it can reach.
func TestCRDLimitsMatchTheOperator(t *testing.T) {
	for _, file := range []string{"roster.dev_organizations.yaml", "roster.dev_contacts.yaml", "roster.dev_roleassignments.yaml",
		"roster.dev_contacttransfers.yaml"} {
		t.Run(file, func(t *testing.T) {
			root := loadSchema(t, file)
			w := newSizer()
			w.object("Kind", root)
			for path, want := range map[string]int64{
				".status.conditions[].message": MaxConditionMessage, // internal/conditions cuts to it
				".status.outbox[].facts{}":     notify.MaxFactBytes, // bytes, so as many characters at most
				".status.outbox[].facts{key}":  notify.MaxFactName,
			} {
				if got, ok := w.limit[path]; !ok || got != want {
					t.Errorf("%s: the CRD bounds it to %d (found: %v), the operator to %d", path, got, ok, want)
				}
			}
			sums := w.sums(".status.outbox", w.lookup("", root, ".status.outbox"))
			want := []string{".status.outbox[].id", ".status.outbox[].recipients[]", ".status.outbox[].facts{key}", ".status.outbox[].facts{}"}
			if len(sums) != 1 || sums[0].n != notify.MaxOutboxBytes || !slices.Equal(sums[0].paths, want) {
				t.Errorf("status.outbox: want one rule summing %v to notify.MaxOutboxBytes (%d), got %+v", want, notify.MaxOutboxBytes, sums)
			}
		})
	}
}

// TestSizerFollowsTheRules checks the walker on small schemas, CEL size rules included.
func TestSizerFollowsTheRules(t *testing.T) {
	str := func(n int64) apiextv1.JSONSchemaProps { return apiextv1.JSONSchemaProps{Type: "string", MaxLength: &n} }
	list := func(n int64, item apiextv1.JSONSchemaProps, rules ...string) apiextv1.JSONSchemaProps {
		return apiextv1.JSONSchemaProps{Type: "array", MaxItems: &n, Items: &apiextv1.JSONSchemaPropsOrArray{Schema: &item},
			XValidations: validations(rules)}
	}
	obj := func(props map[string]apiextv1.JSONSchemaProps, rules ...string) apiextv1.JSONSchemaProps {
		return apiextv1.JSONSchemaProps{Type: "object", Properties: props, XValidations: validations(rules)}
	}
	dict := func(n int64, value apiextv1.JSONSchemaProps, rules ...string) apiextv1.JSONSchemaProps {
		return apiextv1.JSONSchemaProps{Type: "object", MaxProperties: &n,
			AdditionalProperties: &apiextv1.JSONSchemaPropsOrBool{Allows: true, Schema: &value}, XValidations: validations(rules)}
	}
	tests := []struct {
		name   string
		schema apiextv1.JSONSchemaProps
		want   int64
	}{
		{name: "a string at its maxLength", schema: str(10), want: 12},
		{name: "a list of strings", schema: list(3, str(2)), want: 2 + 3*4 + 2},
		{name: "self.size()", schema: list(3, str(2), "self.size() <= 1"), want: 2 + 4},
		{name: "an item rule", schema: list(3, obj(map[string]apiextv1.JSONSchemaProps{"m": str(100)}, "self.m.size() <= 1")),
			want: int64(2 + 3*len(`{"m":"x"}`) + 2)},
		{name: "an all() rule", schema: list(3, str(100), "self.all(x, x.size() <= 2)"), want: 2 + 3*4 + 2},
		{name: "a sum of characters", schema: list(3, str(100), "self.map(x, x.size()).sum() <= 10"), want: 2 + 3*2 + 2 + 10},
		{name: "a sum of items",
			schema: list(4, obj(map[string]apiextv1.JSONSchemaProps{"l": list(10, str(1))}), "self.map(x, has(x.l) ? x.l.size() : 0).sum() <= 3"),
			want:   int64(2 + 4*len(`{"l":[]}`) + 3 + 3*len(`"x",`))},
		{name: "a map with key and value bounds",
			schema: dict(2, apiextv1.JSONSchemaProps{Type: "string"}, "self.all(k, k.size() <= 3 && self[k].size() <= 5)"),
			want:   int64(2 + 2*len(`"kkk":"vvvvv"`) + 1)},
		{name: "a map without a key bound", schema: dict(2, str(1)), want: -1},
		{name: "a list without maxItems", schema: apiextv1.JSONSchemaProps{Type: "array", Items: &apiextv1.JSONSchemaPropsOrArray{Schema: ptr(str(1))}}, want: -1},
		{name: "an unknown rule changes nothing", schema: list(3, str(2), "self.all(x, x != 'a')"), want: 2 + 3*4 + 2},
		{name: "a sum over a nested list of objects",
			schema: list(2, obj(map[string]apiextv1.JSONSchemaProps{"l": list(3, obj(map[string]apiextv1.JSONSchemaProps{"m": str(100)}))}),
				"self.map(x, has(x.l) ? x.l.map(y, y.m.size()).sum() : 0).sum() <= 10"),
			want: int64(2 + 2*len(`{"l":[{"m":""},{"m":""},{"m":""}]}`) + 1 + 10)},
		{name: "a rule that sums unknown terms still bounds the known ones",
			schema: list(3, str(100), "self.map(x, x.size() + int(x)).sum() <= 10"), want: 2 + 3*2 + 2 + 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSizer()
			got := w.size("x", &tt.schema)
			if tt.want < 0 {
				if len(w.unbounded) == 0 {
					t.Fatalf("got %d, want the schema reported unbounded", got)
				}
				return
			}
			if len(w.unbounded) > 0 {
				t.Fatalf("unexpected unbounded %v", w.unbounded)
			}
			if got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func validations(rules []string) apiextv1.ValidationRules {
	var out apiextv1.ValidationRules
	for _, r := range rules {
		out = append(out, apiextv1.ValidationRule{Rule: r})
	}
	return out
}

func loadSchema(t *testing.T, file string) *apiextv1.JSONSchemaProps {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", file))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextv1.CustomResourceDefinition
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Schema == nil {
		t.Fatalf("%s: want one version with a schema", file)
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema
}

func kib(n int64) string { return fmt.Sprintf("%.1f KiB", float64(n)/1024) }

// maxDateTime is the longest RFC 3339 time: nanoseconds and an offset.
const maxDateTime = int64(len("2006-01-02T15:04:05.999999999-07:00"))

// sizer walks an OpenAPI schema and computes the largest JSON a value valid against it can take. A
// character counts one byte, as in the names, keys and messages the operator writes. (JSON writes a
// control character, or <, > and &, in 6 bytes: text made of them could take up to 6 times as much. The
// operator's outbox budget counts the encoded bytes; see notify.MaxOutboxBytes.) A date-time counts as
// the longest RFC 3339 time, with nanoseconds and an offset, the most a Kubernetes client writes.
//
// CEL rules tighten the bounds when they have one of these forms (any other rule is left out, which
// can only make the result larger):
//
//	self.size() <= N                      on a string, list or map
//	self.F.size() <= N                    on an object: its field F
//	self.all(x, A && B ...)               on a list or map, each clause x.size() <= N (an item, or a
//	                                      key), x.F.size() <= N (a field of an item), self[x].size() <= N
//	                                      (a value of a map)
//	self.map(x, T + T ...).sum() <= N     on a list or map: the sizes of the terms T over all the items
//	                                      add up to N at most. T is x.size(), self[x].size(), x.F.size(),
//	                                      has(x.F) ? x.F.size() : 0, has(x.F) ? x.F.map(y, y.size()).sum() : 0
//	                                      or has(x.F) ? x.F.map(k, k.size() + x.F[k].size()).sum() : 0
//
// The size of a string is its characters; of a list, its items; of a map, its entries.
type sizer struct {
	// limit holds the bounds CEL rules put on a path (the size of a string, list or map there).
	limit map[string]int64
	// zero holds the paths whose size a sum rule accounts for: walked as if empty.
	zero map[string]bool
	// allowance replaces the worst case of the paths it names.
	allowance map[string]int64
	// sizes records the worst case found at each path.
	sizes     map[string]int64
	summing   int
	unbounded []string
}

func newSizer() *sizer {
	return &sizer{limit: map[string]int64{}, zero: map[string]bool{}, sizes: map[string]int64{}}
}

// object sizes a Kind's root schema: apiVersion and kind as the apiserver writes them, metadata left
// out (it has its own limits).
func (w *sizer) object(kind string, root *apiextv1.JSONSchemaProps) int64 {
	s := *root
	s.Properties = maps.Clone(root.Properties)
	delete(s.Properties, "metadata")
	for p, v := range map[string]string{"apiVersion": GroupVersion.String(), "kind": kind} {
		s.Properties[p] = apiextv1.JSONSchemaProps{Type: "string", Enum: []apiextv1.JSON{{Raw: []byte(strconv.Quote(v))}}}
	}
	return w.size("", &s)
}

// largest lists the paths with the largest worst cases, at most n, from the top level down.
func (w *sizer) largest(n int) []string {
	paths := slices.Collect(maps.Keys(w.sizes))
	slices.SortFunc(paths, func(a, b string) int {
		if c := int(w.sizes[b] - w.sizes[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	var out []string
	for _, p := range paths {
		if p != "" && len(out) < n {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// size is the worst case of the value at path: at most what its structure allows, and at most what its
// sum rules allow.
func (w *sizer) size(path string, s *apiextv1.JSONSchemaProps) int64 {
	if n, ok := w.allowance[path]; ok {
		w.sizes[path] = n
		return n
	}
	w.bound(path, s)
	worst := w.structure(path, s)
	if sums := w.sums(path, s); len(sums) > 0 {
		worst = min(worst, w.summed(path, s, sums))
	}
	if cur, ok := w.sizes[path]; w.summing == 0 && (!ok || worst > cur) {
		w.sizes[path] = worst
	}
	return worst
}

// structure is the worst case of the value at path from its type, its bounds and those of its parts.
func (w *sizer) structure(path string, s *apiextv1.JSONSchemaProps) int64 {
	switch {
	case s.Type == "string":
		return w.str(path, s)
	case s.Type == "integer":
		digits := int64(20) // int64, or no format: -9223372036854775808
		if s.Format == "int32" {
			digits = 11
		}
		if s.Minimum != nil && *s.Minimum >= 0 {
			digits--
		}
		if s.Maximum != nil && s.Minimum != nil {
			digits = int64(max(len(strconv.FormatFloat(*s.Maximum, 'f', -1, 64)), len(strconv.FormatFloat(*s.Minimum, 'f', -1, 64))))
		}
		return digits
	case s.Type == "boolean":
		return int64(len("false"))
	case s.Type == "array":
		n, ok := w.count(path, s.MaxItems)
		if !ok || s.Items == nil || s.Items.Schema == nil {
			return 0
		}
		if n == 0 {
			return 2
		}
		return 2 + n*w.size(path+"[]", s.Items.Schema) + n - 1
	case s.Type == "object" && s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
		n, ok := w.count(path, s.MaxProperties)
		if !ok {
			return 0
		}
		if n == 0 {
			return 2
		}
		key := w.str(path+"{key}", &apiextv1.JSONSchemaProps{Type: "string"})
		return 2 + n*(key+1+w.size(path+"{}", s.AdditionalProperties.Schema)) + n - 1
	case s.Type == "object" && len(s.Properties) > 0:
		total := int64(2)
		for i, name := range slices.Sorted(maps.Keys(s.Properties)) {
			if i > 0 {
				total++
			}
			prop := s.Properties[name]
			total += int64(len(name)) + 3 + w.size(path+"."+name, &prop)
		}
		return total
	default:
		w.unbounded = append(w.unbounded, fmt.Sprintf("%s (%s without properties)", path, s.Type))
		return 0
	}
}

// count is the most items (or entries) at path.
func (w *sizer) count(path string, schemaMax *int64) (int64, bool) {
	if w.zero[path] {
		return 0, true
	}
	n, ok := w.limit[path]
	if schemaMax != nil && (!ok || *schemaMax < n) {
		n, ok = *schemaMax, true
	}
	if !ok {
		w.unbounded = append(w.unbounded, path)
	}
	return n, ok
}

// str is the worst case of the string at path.
func (w *sizer) str(path string, s *apiextv1.JSONSchemaProps) int64 {
	if len(s.Enum) > 0 {
		longest := 0
		for _, e := range s.Enum {
			longest = max(longest, len(e.Raw))
		}
		return int64(longest)
	}
	if w.zero[path] {
		return 2
	}
	n, ok := w.limit[path]
	if s.MaxLength != nil && (!ok || *s.MaxLength < n) {
		n, ok = *s.MaxLength, true
	}
	if s.Format == "date-time" && (!ok || maxDateTime < n) {
		n, ok = maxDateTime, true
	}
	if !ok {
		w.unbounded = append(w.unbounded, path)
		return 0
	}
	return 2 + n
}

var (
	sizeRule   = regexp.MustCompile(`^self(\.\w+)?\.size\(\) <= (\d+)$`)
	clauseRule = regexp.MustCompile(`^(\w+)(\.\w+)?(?:\[(\w+)\])?\.size\(\) <= (\d+)$`)
	allRule    = regexp.MustCompile(`^self\.all\((\w+), (.*)\)$`)
	sumRule    = regexp.MustCompile(`^self\.map\((\w+), (.*)\)\.sum\(\) <= (\d+)$`)
	sizeTerm   = regexp.MustCompile(`^(\w+)(\.\w+)?\.size\(\)$`)
	valueTerm  = regexp.MustCompile(`^self\[(\w+)\]\.size\(\)$`)
	hasTerm    = regexp.MustCompile(`^\(?has\((\w+)\.(\w+)\) \? (.*) : 0\)?$`)
	listTerm   = regexp.MustCompile(`^(\w+)\.(\w+)\.map\((\w+), (\w+)\.size\(\)\)\.sum\(\)$`)
	mapTerm    = regexp.MustCompile(`^(\w+)\.(\w+)\.map\((\w+), (\w+)\.size\(\) \+ (\w+)\.(\w+)\[(\w+)\]\.size\(\)\)\.sum\(\)$`)
	nestedTerm = regexp.MustCompile(`^(\w+)\.(\w+)\.map\((\w+), (.*)\)\.sum\(\)$`)
)

// bound records the limits that the rules of the schema at path put on it and on its parts.
func (w *sizer) bound(path string, s *apiextv1.JSONSchemaProps) {
	set := func(p string, n int64) {
		if cur, ok := w.limit[p]; !ok || n < cur {
			w.limit[p] = n
		}
	}
	for _, r := range s.XValidations {
		rule := strings.TrimSpace(r.Rule)
		if m := sizeRule.FindStringSubmatch(rule); m != nil {
			set(path+m[1], atoi(m[2]))
			continue
		}
		m := allRule.FindStringSubmatch(rule)
		if m == nil {
			continue
		}
		x := m[1]
		for _, clause := range strings.Split(m[2], " && ") {
			c := clauseRule.FindStringSubmatch(clause)
			switch {
			case c == nil:
			case c[1] == x: // x.size() or x.F.size()
				set(w.element(path, s)+c[2], atoi(c[4]))
			case c[1] == "self" && c[3] == x && c[2] == "": // self[x].size()
				set(path+"{}", atoi(c[4]))
			}
		}
	}
}

// element is the path of the items of a list, or of the keys of a map.
func (w *sizer) element(path string, s *apiextv1.JSONSchemaProps) string {
	if s.Type == "array" {
		return path + "[]"
	}
	return path + "{key}"
}

// sum is a sum rule: the sizes at paths add up to n at most.
type sum struct {
	paths []string
	n     int64
}

// sums reads the sum rules of the schema at path.
func (w *sizer) sums(path string, s *apiextv1.JSONSchemaProps) []sum {
	var out []sum
	for _, r := range s.XValidations {
		m := sumRule.FindStringSubmatch(strings.TrimSpace(r.Rule))
		if m == nil {
			continue
		}
		x, elem := m[1], w.element(path, s)
		var paths []string
		for _, term := range splitTerms(m[2]) {
			if h := hasTerm.FindStringSubmatch(term); h != nil && h[1] == x {
				term = h[3] // has(x.F) ? T : 0 is T when F is set, and 0 adds nothing
			}
			switch t := sizeTerm.FindStringSubmatch(term); {
			case t != nil && t[1] == x:
				paths = append(paths, elem+t[2])
			case valueTerm.MatchString(term) && valueTerm.FindStringSubmatch(term)[1] == x && s.Type == "object":
				paths = append(paths, path+"{}")
			case listTerm.MatchString(term):
				l := listTerm.FindStringSubmatch(term)
				if l[1] == x && l[3] == l[4] {
					paths = append(paths, elem+"."+l[2]+"[]")
				}
			case mapTerm.MatchString(term):
				l := mapTerm.FindStringSubmatch(term)
				if l[1] == x && l[5] == x && l[2] == l[6] && l[3] == l[4] && l[3] == l[7] {
					paths = append(paths, elem+"."+l[2]+"{key}", elem+"."+l[2]+"{}")
				}
			case nestedTerm.MatchString(term):
				// x.L.map(y, y.F.size() + (has(y.G) ? y.G.size() : 0)).sum() sums fields of a list of objects
				l := nestedTerm.FindStringSubmatch(term)
				if l[1] != x {
					break
				}
				for _, inner := range splitTerms(l[4]) {
					if h := hasTerm.FindStringSubmatch(inner); h != nil && h[1] == l[3] {
						inner = h[3]
					}
					if t := sizeTerm.FindStringSubmatch(inner); t != nil && t[1] == l[3] && t[2] != "" {
						paths = append(paths, elem+"."+l[2]+"[]"+t[2])
					}
				}
			}
		}
		if len(paths) > 0 {
			out = append(out, sum{paths: paths, n: atoi(m[3])})
		}
	}
	return out
}

// summed is the worst case of the value at path under its sum rules: the value with every summed size
// at zero, plus for each rule its bound times the most one unit (a character, an item, an entry) of
// the sizes it sums can add.
func (w *sizer) summed(path string, s *apiextv1.JSONSchemaProps, sums []sum) int64 {
	saved := maps.Clone(w.zero)
	w.summing++
	defer func() { w.zero = saved; w.summing-- }()
	for _, r := range sums {
		for _, p := range r.paths {
			w.zero[p] = true
		}
	}
	base := w.structure(path, s)
	total := base
	for _, r := range sums {
		unit := int64(0)
		for _, p := range r.paths {
			unit = max(unit, w.unit(path, s, p))
		}
		total += r.n * unit
	}
	return total
}

// unit is the most one unit of the size at target (below the value at path) adds: a character of a
// string, an item of a list with its comma, an entry of a map.
func (w *sizer) unit(path string, s *apiextv1.JSONSchemaProps, target string) int64 {
	node := w.lookup(path, s, target)
	if node == nil {
		return 0
	}
	delete(w.zero, target)
	defer func() { w.zero[target] = true }()
	switch {
	case strings.HasSuffix(target, "{key}") || node.Type == "string":
		return 1
	case node.Type == "array":
		return w.size(target+"[]", node.Items.Schema) + 1
	case node.AdditionalProperties != nil:
		return w.str(target+"{key}", &apiextv1.JSONSchemaProps{Type: "string"}) + 1 + w.size(target+"{}", node.AdditionalProperties.Schema) + 1
	}
	return 0
}

// lookup finds the schema at target, a path below the value at path.
func (w *sizer) lookup(path string, s *apiextv1.JSONSchemaProps, target string) *apiextv1.JSONSchemaProps {
	rest := strings.TrimPrefix(target, path)
	node := s
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "[]"):
			if node.Items == nil {
				return nil
			}
			node, rest = node.Items.Schema, rest[2:]
		case strings.HasPrefix(rest, "{key}"):
			return &apiextv1.JSONSchemaProps{Type: "string"}
		case strings.HasPrefix(rest, "{}"):
			if node.AdditionalProperties == nil {
				return nil
			}
			node, rest = node.AdditionalProperties.Schema, rest[2:]
		case strings.HasPrefix(rest, "."):
			name := rest[1:]
			if i := strings.IndexAny(name, ".[{"); i >= 0 {
				name = name[:i]
			}
			prop, ok := node.Properties[name]
			if !ok {
				return nil
			}
			node, rest = &prop, rest[1+len(name):]
		default:
			return nil
		}
	}
	return node
}

// splitTerms splits a CEL sum at its top-level +.
func splitTerms(expr string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range expr {
		switch r {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case '+':
			if depth == 0 {
				out = append(out, strings.TrimSpace(expr[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(expr[start:]))
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
