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

package conditions

import (
	"strings"
	"testing"
	"unicode/utf8"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"roster.dev/roster/api/v1alpha1"
)

func TestSetBoundsTheMessage(t *testing.T) {
	const most = v1alpha1.MaxConditionMessage
	tests := []struct {
		name    string
		message string
		want    string
	}{
		{name: "a short message is kept", message: "every required role is held", want: "every required role is held"},
		{name: "a message at the bound is kept", message: strings.Repeat("x", most), want: strings.Repeat("x", most)},
		{name: "a longer one is cut, its last character a mark", message: strings.Repeat("x", most+1),
			want: strings.Repeat("x", most-1) + "…"},
		{name: "characters are counted, not bytes", message: strings.Repeat("é", most), want: strings.Repeat("é", most)},
		{name: "a multibyte character is never split", message: strings.Repeat("€", 2*most),
			want: strings.Repeat("€", most-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var conds []metav1.Condition
			Set(&conds, 3, v1alpha1.ReadyCondition, metav1.ConditionFalse, "RequiredRoleVacant", tt.message)
			g.Expect(conds).To(HaveLen(1))
			g.Expect(conds[0].Message).To(Equal(tt.want))
			g.Expect(utf8.RuneCountInString(conds[0].Message)).To(BeNumerically("<=", most))
			g.Expect(utf8.ValidString(conds[0].Message)).To(BeTrue())
		})
	}
}
