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

package webhooks

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"roster.dev/roster/api/v1alpha1"
)

const (
	override   = v1alpha1.OverrideAnnotation
	overrideBy = v1alpha1.OverrideByAnnotation
)

func TestStampOverrideBy(t *testing.T) {
	cases := []struct {
		name     string
		old, new map[string]string
		want     map[string]string
	}{
		{name: "no override", new: map[string]string{"a": "b"}, want: map[string]string{"a": "b"}},
		{name: "override added on create",
			new:  map[string]string{override: "bob=Approved"},
			want: map[string]string{override: "bob=Approved", overrideBy: "root"}},
		{name: "override added with a forged author",
			old:  map[string]string{},
			new:  map[string]string{override: "bob=Approved", overrideBy: "someone-else"},
			want: map[string]string{override: "bob=Approved", overrideBy: "root"}},
		{name: "override changed",
			old:  map[string]string{override: "bob=Approved", overrideBy: "first"},
			new:  map[string]string{override: "bob=Refused", overrideBy: "first"},
			want: map[string]string{override: "bob=Refused", overrideBy: "root"}},
		{name: "override unchanged keeps its author",
			old:  map[string]string{override: "bob=Approved", overrideBy: "first"},
			new:  map[string]string{override: "bob=Approved", overrideBy: "first", "x": "y"},
			want: map[string]string{override: "bob=Approved", overrideBy: "first", "x": "y"}},
		{name: "override unchanged, author rewritten by the client",
			old:  map[string]string{override: "bob=Approved", overrideBy: "first"},
			new:  map[string]string{override: "bob=Approved", overrideBy: "root"},
			want: map[string]string{override: "bob=Approved", overrideBy: "first"}},
		{name: "override unchanged, author removed by the client",
			old:  map[string]string{override: "bob=Approved", overrideBy: "first"},
			new:  map[string]string{override: "bob=Approved"},
			want: map[string]string{override: "bob=Approved", overrideBy: "first"}},
		{name: "override unchanged and never stamped stays unstamped",
			old:  map[string]string{override: "bob=Approved"},
			new:  map[string]string{override: "bob=Approved", overrideBy: "root"},
			want: map[string]string{override: "bob=Approved"}},
		{name: "override removed removes its author",
			old:  map[string]string{override: "bob=Approved", overrideBy: "first"},
			new:  map[string]string{overrideBy: "first", "x": "y"},
			want: map[string]string{"x": "y"}},
		{name: "an author without override is dropped",
			new:  map[string]string{overrideBy: "someone"},
			want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := stampOverrideBy(tc.old, maps.Clone(tc.new), "root")
			if !maps.Equal(got, tc.want) {
				t.Errorf("stampOverrideBy = %v, want %v", got, tc.want)
			}
		})
	}
}

// fakeChecker grants approve to the users it lists and records what it was asked.
type fakeChecker struct {
	approvers map[string]bool
	asked     []string
}

func (f *fakeChecker) canApprove(_ context.Context, user authenticationv1.UserInfo, namespace, name string) (bool, error) {
	f.asked = append(f.asked, user.Username+" "+namespace+"/"+name)
	return f.approvers[user.Username], nil
}

func requestBy(user string, op admissionv1.Operation, subresource string, old runtime.Object) admission.Request {
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: op, SubResource: subresource, Name: "to-bob", Namespace: "tenant",
		Resource: metav1.GroupVersionResource{Group: "roster.dev", Version: "v1alpha1", Resource: "contacttransfers"},
		UserInfo: authenticationv1.UserInfo{Username: user, Groups: []string{"system:authenticated"}},
	}}
	if old != nil {
		raw, _ := json.Marshal(old)
		req.OldObject = runtime.RawExtension{Raw: raw}
	}
	return req
}

func transferWith(annotations map[string]string) *v1alpha1.ContactTransfer {
	return &v1alpha1.ContactTransfer{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant", Name: "to-bob", Annotations: annotations}}
}

func TestSecurityOverrideNeedsTheVerbApprove(t *testing.T) {
	cases := []struct {
		name     string
		user     string
		old, new map[string]string
		refused  bool
		asked    bool
	}{
		{name: "an approver sets override", user: "breakglass", new: map[string]string{override: "bob=Approved"}, asked: true},
		{name: "an editor sets override", user: "editor", new: map[string]string{override: "bob=Approved"}, refused: true, asked: true},
		{name: "an editor changes override", user: "editor",
			old: map[string]string{override: "bob=Approved"}, new: map[string]string{override: "bob=Refused"}, refused: true, asked: true},
		{name: "an editor leaves override as it is", user: "editor",
			old: map[string]string{override: "bob=Approved"}, new: map[string]string{override: "bob=Approved", "x": "y"}},
		{name: "an editor removes override", user: "editor", old: map[string]string{override: "bob=Approved"}},
		{name: "an editor writes other annotations", user: "editor", new: map[string]string{v1alpha1.ResendAnnotation: ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checker := &fakeChecker{approvers: map[string]bool{"breakglass": true}}
			v := &ContactTransferValidator{reader: &reader{access: checker}}
			old := transferWith(tc.old)
			ctx := admission.NewContextWithRequest(context.Background(), requestBy(tc.user, admissionv1.Update, "", old))
			_, err := v.ValidateUpdate(ctx, old, transferWith(tc.new))
			if (len(checker.asked) > 0) != tc.asked {
				t.Errorf("SubjectAccessReviews asked: %v, want some: %v", checker.asked, tc.asked)
			}
			if tc.asked && checker.asked[0] != tc.user+" tenant/to-bob" {
				t.Errorf("asked %q, want the request's user on the named transfer", checker.asked[0])
			}
			if !tc.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !apierrors.IsForbidden(err) {
				t.Fatalf("got %v, want Forbidden", err)
			}
			for _, part := range []string{"metadata.annotations[roster.dev/override]", `user "editor"`, "verb approve",
				"contacttransfers.roster.dev", "namespace tenant", approverRoleHint} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}

func TestDefaulterStampsTheOverrideAuthor(t *testing.T) {
	old := transferWith(map[string]string{override: "bob=Approved", overrideBy: "first"})
	changed := transferWith(map[string]string{override: "alice=Approved", overrideBy: "forged"})
	ctx := admission.NewContextWithRequest(context.Background(), requestBy("breakglass", admissionv1.Update, "", old))
	if err := (ContactTransferDefaulter{}).Default(ctx, changed); err != nil {
		t.Fatal(err)
	}
	if got := changed.Annotations[overrideBy]; got != "breakglass" {
		t.Errorf("override-by = %q, want the request's user", got)
	}
	if changed.Spec.Username != "" {
		t.Errorf("spec.username changed on update: %q", changed.Spec.Username)
	}

	created := transferWith(map[string]string{override: "bob=Approved", overrideBy: "forged"})
	created.Spec.Username = "forged"
	ctx = admission.NewContextWithRequest(context.Background(), requestBy("carol", admissionv1.Create, "", nil))
	if err := (ContactTransferDefaulter{}).Default(ctx, created); err != nil {
		t.Fatal(err)
	}
	if created.Annotations[overrideBy] != "carol" || created.Spec.Username != "carol" {
		t.Errorf("on create: override-by %q, spec.username %q, want carol for both", created.Annotations[overrideBy], created.Spec.Username)
	}
}

func TestStatusGuard(t *testing.T) {
	const operator = "system:serviceaccount:roster-system:roster-controller-manager"
	guard := &statusGuard{operator: operator}
	cases := []struct {
		name        string
		user        string
		op          admissionv1.Operation
		subresource string
		resource    string
		allowed     bool
	}{
		{name: "the operator writes a transfer's status", user: operator, op: admissionv1.Update, subresource: "status",
			resource: "contacttransfers", allowed: true},
		{name: "a cluster-admin writes a transfer's status", user: "mallory", op: admissionv1.Update, subresource: "status",
			resource: "contacttransfers"},
		{name: "a cluster-admin writes an assignment's status", user: "mallory", op: admissionv1.Update, subresource: "status",
			resource: "roleassignments"},
		{name: "a user whose name contains the operator's", user: operator + "-not", op: admissionv1.Update, subresource: "status",
			resource: "organizations"},
		{name: "a spec write is not the guard's business", user: "mallory", op: admissionv1.Update, resource: "contacts", allowed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := requestBy(tc.user, tc.op, tc.subresource, nil)
			req.Resource.Resource = tc.resource
			resp := guard.Handle(context.Background(), req)
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (%v)", resp.Allowed, tc.allowed, resp.Result)
			}
			if tc.allowed {
				return
			}
			if resp.Result.Code != 403 || resp.Result.Reason != metav1.StatusReasonForbidden {
				t.Errorf("result %d %s, want 403 Forbidden", resp.Result.Code, resp.Result.Reason)
			}
			for _, part := range []string{"status", "written by the Roster operator only", tc.user, tc.resource + ".roster.dev"} {
				if !strings.Contains(resp.Result.Message, part) {
					t.Errorf("message %q does not say %q", resp.Result.Message, part)
				}
			}
		})
	}
}
