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

package controllers

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"roster.dev/roster/api/v1alpha1"
)

// TestRemoveConsumedAnnotationsAfterAConflict: another write between the status write and the removal
// of a consumed code must not leave the code to be read (and a wrong one counted) again, nor delete a
// code annotated meanwhile.
func TestRemoveConsumedAnnotationsAfterAConflict(t *testing.T) {
	tests := []struct {
		name string
		// meanwhile changes the stored transfer before the first removal is tried
		meanwhile func(*v1alpha1.ContactTransfer)
		want      map[string]string
	}{
		{name: "another write changed something else",
			meanwhile: func(t *v1alpha1.ContactTransfer) { t.Labels = map[string]string{"team": "billing"} },
			want:      map[string]string{"keep": "me"}},
		{name: "a new code was annotated meanwhile",
			meanwhile: func(t *v1alpha1.ContactTransfer) { t.Annotations[v1alpha1.RefuseAnnotation] = "another-code" },
			want:      map[string]string{"keep": "me", v1alpha1.RefuseAnnotation: "another-code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			scheme := runtime.NewScheme()
			g.Expect(v1alpha1.AddToScheme(scheme)).To(Succeed())
			read := &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "x",
				Annotations: map[string]string{v1alpha1.RefuseAnnotation: "wrong-code", "keep": "me"}}}
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(read.DeepCopy()).Build()
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(read), read)).To(Succeed())
			stored := read.DeepCopy()
			tt.meanwhile(stored)
			g.Expect(c.Update(ctx, stored)).To(Succeed())

			patches := 0
			withConflicts := interceptor.NewClient(c.(client.WithWatch), interceptor.Funcs{
				Patch: func(ctx context.Context, cl client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
					patches++
					return cl.Patch(ctx, obj, patch, opts...)
				},
			})
			r := &ContactTransferReconciler{Client: withConflicts, Deliverer: &Deliverer{APIReader: c}}
			s := &transferScope{t: read.DeepCopy(), before: read.DeepCopy(), consumed: []string{v1alpha1.RefuseAnnotation}}
			_, err := r.removeConsumedAnnotations(ctx, s)
			g.Expect(err).NotTo(HaveOccurred())

			got := &v1alpha1.ContactTransfer{}
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(read), got)).To(Succeed())
			g.Expect(got.Annotations).To(Equal(tt.want))
			g.Expect(patches).To(BeNumerically(">=", 1))
		})
	}
}
