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

package main

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// samples is a scrape: every sample of the families the bench reads.
type samples []sample

var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// parseText reads the Prometheus text format, keeping the samples whose name starts with one of prefixes.
func parseText(r io.Reader, prefixes ...string) (samples, error) {
	var out samples
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		keep := false
		for _, p := range prefixes {
			keep = keep || strings.HasPrefix(line, p)
		}
		if !keep {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		if cut < 0 {
			continue
		}
		value, err := strconv.ParseFloat(line[cut+1:], 64)
		if err != nil {
			continue
		}
		head := line[:cut]
		s := sample{name: head, labels: map[string]string{}, value: value}
		if i := strings.IndexByte(head, '{'); i >= 0 {
			s.name = head[:i]
			for _, m := range labelPair.FindAllStringSubmatch(head[i:], -1) {
				s.labels[m[1]] = m[2]
			}
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// sum adds the samples named name whose labels pass keep (nil: all).
func (s samples) sum(name string, keep func(map[string]string) bool) float64 {
	total := 0.0
	for _, x := range s {
		if x.name == name && (keep == nil || keep(x.labels)) {
			total += x.value
		}
	}
	return total
}

// share is the fraction of a histogram's observations at or under bound, from cumulative buckets
// (summed over every series that passes keep), between two scrapes.
func share(before, after samples, name string, bound float64, keep func(map[string]string) bool) (fraction, count float64) {
	le := func(l map[string]string) bool {
		v, err := strconv.ParseFloat(l["le"], 64)
		return err == nil && v == bound && (keep == nil || keep(l))
	}
	count = after.sum(name+"_count", keep) - before.sum(name+"_count", keep)
	if count == 0 {
		return 0, 0
	}
	under := after.sum(name+"_bucket", le) - before.sum(name+"_bucket", le)
	return under / count, count
}
