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

package approval

import (
	"testing"

	. "github.com/onsi/gomega"

	"roster.dev/roster/api/v1alpha1"
)

func transferOf(from, to, requestedBy string) *v1alpha1.ContactTransfer {
	t := &v1alpha1.ContactTransfer{Spec: v1alpha1.ContactTransferSpec{
		OrganizationRef: v1alpha1.LocalObjectReference{Name: "acme"},
		Role:            "billing",
		To:              v1alpha1.LocalObjectReference{Name: to},
		RequestedBy:     v1alpha1.LocalObjectReference{Name: requestedBy},
	}}
	if from != "" {
		t.Spec.From = &v1alpha1.LocalObjectReference{Name: from}
	}
	return t
}

func TestPartiesOf(t *testing.T) {
	tests := []struct {
		name         string
		transfer     *v1alpha1.ContactTransfer
		wantApprove  []string
		wantInformed []string
	}{
		{name: "a third party asks: requester and incoming approve, outgoing is told",
			transfer: transferOf("alice", "bob", "carol"), wantApprove: []string{"carol", "bob"}, wantInformed: []string{"alice"}},
		{name: "the current holder names its successor: both approve, nobody else is told",
			transfer: transferOf("alice", "bob", "alice"), wantApprove: []string{"alice", "bob"}},
		{name: "the incoming contact asks for itself: it approves once, the holder is told",
			transfer: transferOf("alice", "bob", "bob"), wantApprove: []string{"bob"}, wantInformed: []string{"alice"}},
		{name: "vacant role: requester and incoming approve",
			transfer: transferOf("", "bob", "carol"), wantApprove: []string{"carol", "bob"}},
		{name: "vacant role asked for by the incoming contact",
			transfer: transferOf("", "bob", "bob"), wantApprove: []string{"bob"}},
		{name: "from with an empty name counts as omitted",
			transfer: func() *v1alpha1.ContactTransfer {
				x := transferOf("", "bob", "carol")
				x.Spec.From = &v1alpha1.LocalObjectReference{}
				return x
			}(), wantApprove: []string{"carol", "bob"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			p := PartiesOf(tt.transfer)
			g.Expect(p.Approvers).To(Equal(tt.wantApprove))
			g.Expect(p.Informed).To(Equal(tt.wantInformed))
			for _, a := range tt.wantApprove {
				g.Expect(p.Approvers).To(ContainElement(a))
			}
			for _, i := range tt.wantInformed {
				g.Expect(p.Approvers).NotTo(ContainElement(i))
			}
		})
	}
}
