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

// The bench's decoding types are not an API: no CRD is generated for them.
// +kubebuilder:skip
package main

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// watched is what the tracker decodes of a Roster object: its metadata and the parts of its status that
// tell readiness. The JSON decoder skips every other field, so the watch costs the bench (which shares
// the machine with what it measures) far less than decoding whole objects.
type watched struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Status            watchedStatus `json:"status,omitempty"`
}

type watchedStatus struct {
	ObservedGeneration int64              `json:"observedGeneration,omitempty"`
	Conditions         []watchedCondition `json:"conditions,omitempty"`
	// Roles are a Contact's roles (one row each) or an Organization's rows (each with its holders).
	Roles []watchedRoleRow `json:"roles,omitempty"`
}

type watchedCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	ObservedGeneration int64  `json:"observedGeneration,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

type watchedRoleRow struct {
	Holders []string `json:"holders,omitempty"`
}

type watchedList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []watched `json:"items"`
}

func (w *watched) DeepCopyObject() runtime.Object {
	out := *w
	w.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Status.Conditions = append([]watchedCondition(nil), w.Status.Conditions...)
	out.Status.Roles = make([]watchedRoleRow, len(w.Status.Roles))
	for i, r := range w.Status.Roles {
		out.Status.Roles[i].Holders = append([]string(nil), r.Holders...)
	}
	return &out
}

func (l *watchedList) DeepCopyObject() runtime.Object {
	out := *l
	l.ListMeta.DeepCopyInto(&out.ListMeta)
	out.Items = make([]watched, len(l.Items))
	for i := range l.Items {
		out.Items[i] = *l.Items[i].DeepCopyObject().(*watched)
	}
	return &out
}

var rosterGroupVersion = schema.GroupVersion{Group: "roster.dev", Version: "v1alpha1"}

// watchedCodecs decode every Roster kind, and its list, as watched.
func watchedCodecs() serializer.CodecFactory {
	scheme := runtime.NewScheme()
	for _, kind := range dependencyOrder {
		scheme.AddKnownTypeWithName(rosterGroupVersion.WithKind(kind), &watched{})
		scheme.AddKnownTypeWithName(rosterGroupVersion.WithKind(kind+"List"), &watchedList{})
	}
	metav1.AddToGroupVersion(scheme, rosterGroupVersion)
	return serializer.NewCodecFactory(scheme)
}

// watchedClient is a REST client for the Roster group that decodes every Roster kind as watched.
func watchedClient(cfg *rest.Config) (rest.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &rosterGroupVersion
	c.APIPath = "/apis"
	c.ContentType = runtime.ContentTypeJSON
	c.NegotiatedSerializer = watchedCodecs().WithoutConversion()
	return rest.RESTClientFor(c)
}
