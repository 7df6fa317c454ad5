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

// Package webhooks holds the validating admission webhooks of the rules that span several objects:
// role capacity, references between objects, email uniqueness and the last holder of a required role.
// Rules of one object live in the CRD schemas (OpenAPI and CEL); races that slip past admission are
// settled by the controllers (oldest wins) and reported in status.
//
// Admission also checks who writes, not only what (as cert-manager does for CertificateRequest
// approvals): the status of every kind is written by the operator only (statusGuard); the break-glass
// annotation roster.dev/override and a change that weakens the catalogue of a held role need the verb
// approve on contacttransfers.roster.dev, checked with a SubjectAccessReview for the request's user; the
// author of an override is stamped by the mutating webhook.
//
// Failure policy: Fail, with a 5 second timeout. A write that breaks a rule must get a clear error at
// once rather than a condition later, and the webhook server runs on every replica (it needs no leader),
// so two replicas keep admission available. Deleting objects of a namespace or organization that is being
// deleted is always allowed, so that teardown never hangs on the last-holder rule.
package webhooks

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/roles"
	"roster.dev/roster/internal/state"
)

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Options configure the webhooks.
type Options struct {
	// OperatorUsername is the Kubernetes user the operator runs as (e.g.
	// system:serviceaccount:roster-system:roster-controller-manager): the only writer of status.
	OperatorUsername string
	// Now is the clock of the rules; time.Now when nil. Tests move it.
	Now func() time.Time
}

// Setup registers the admission webhooks with the manager's webhook server.
func Setup(mgr ctrl.Manager, opts Options) error {
	if opts.OperatorUsername == "" {
		return fmt.Errorf("webhooks: the operator's username is needed to admit status writes from it only")
	}
	access := &subjectAccessReviewer{client: mgr.GetClient()}
	r := &reader{cache: mgr.GetClient(), live: mgr.GetAPIReader(), access: access, clock: opts.Now}
	mgr.GetWebhookServer().Register(statusPath, &webhook.Admission{Handler: &statusGuard{operator: opts.OperatorUsername}})
	if err := ctrl.NewWebhookManagedBy(mgr, &v1alpha1.Organization{}).
		WithDefaulter(OrganizationDefaulter{}).WithValidator(&OrganizationValidator{r}).Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &v1alpha1.Contact{}).
		WithDefaulter(OwnedByOrganization[*v1alpha1.Contact]{r, mgr.GetScheme()}).WithValidator(&ContactValidator{r}).Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &v1alpha1.RoleAssignment{}).
		WithDefaulter(RoleAssignmentDefaulter{Owner: OwnedByOrganization[*v1alpha1.RoleAssignment]{r, mgr.GetScheme()}, Operator: opts.OperatorUsername}).
		WithValidator(&RoleAssignmentValidator{reader: r, writer: mgr.GetClient()}).Complete(); err != nil {
		return err
	}
	return ctrl.NewWebhookManagedBy(mgr, &v1alpha1.ContactTransfer{}).
		WithDefaulter(ContactTransferDefaulter{Owner: &OwnedByOrganization[*v1alpha1.ContactTransfer]{r, mgr.GetScheme()}}).WithValidator(&ContactTransferValidator{reader: r, operator: opts.OperatorUsername}).Complete()
}

// reader reads the cluster for the validators.
type reader struct {
	// cache is the manager's cache with the indexes of package index: every read goes through it.
	cache client.Reader
	// live reads the apiserver directly, only for a referent the cache does not have: a GitOps apply may
	// have created it a moment ago, before the cache heard of it.
	live client.Reader
	// access tells whether the user of a request was granted the verb approve.
	access approveChecker
	// clock is the time of the rules (spec.validUntil, the initial roster window); time.Now when nil.
	clock func() time.Time
}

func (r *reader) now() time.Time {
	if r.clock != nil {
		return r.clock()
	}
	return time.Now()
}

// get reads obj from the cache, or from the apiserver when the cache does not have it; false when it
// does not exist.
func (r *reader) get(ctx context.Context, key client.ObjectKey, obj client.Object) (bool, error) {
	err := r.cache.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) {
		err = r.live.Get(ctx, key, obj)
	}
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// organization returns the named organization, or nil when it does not exist.
func (r *reader) organization(ctx context.Context, namespace, name string) (*v1alpha1.Organization, error) {
	org := &v1alpha1.Organization{}
	if found, err := r.get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, org); !found {
		return nil, err
	}
	return org, nil
}

// contact returns the named contact, or nil when it does not exist.
func (r *reader) contact(ctx context.Context, namespace, name string) (*v1alpha1.Contact, error) {
	c := &v1alpha1.Contact{}
	if found, err := r.get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, c); !found {
		return nil, err
	}
	return c, nil
}

// tearingDown tells whether the organization or the namespace is being deleted, when every rule about
// deleting its objects steps aside.
func (r *reader) tearingDown(ctx context.Context, namespace string, org *v1alpha1.Organization) (bool, error) {
	if org == nil || !org.DeletionTimestamp.IsZero() {
		return true, nil
	}
	ns := &corev1.Namespace{}
	found, err := r.get(ctx, client.ObjectKey{Name: namespace}, ns)
	if !found {
		return err == nil, err
	}
	return !ns.DeletionTimestamp.IsZero(), nil
}

// input reads the organization's state from the cache, with the given contact as the apiserver has it
// (it may be newer than the cache's copy).
func (r *reader) input(ctx context.Context, org *v1alpha1.Organization, fresh ...*v1alpha1.Contact) (roles.Input, error) {
	in, err := state.Load(ctx, r.cache, org, r.now())
	if err != nil {
		return in, err
	}
	for _, c := range fresh {
		if c == nil {
			continue
		}
		replaced := false
		for i := range in.Contacts {
			if in.Contacts[i].Name == c.Name {
				in.Contacts[i], replaced = *c, true
			}
		}
		if !replaced {
			in.Contacts = append(in.Contacts, *c)
		}
	}
	return in, nil
}

// wouldVacate returns the organization and the required (role, scope) rows a change would leave vacant.
// A change during teardown (organization or namespace being deleted) vacates nothing.
func (r *reader) wouldVacate(ctx context.Context, namespace, organization string, change func(roles.Input) roles.Input) (*v1alpha1.Organization, []roles.Row, error) {
	org, err := r.organization(ctx, namespace, organization)
	if err != nil {
		return nil, nil, err
	}
	if down, err := r.tearingDown(ctx, namespace, org); down || err != nil {
		return org, nil, err
	}
	in, err := r.input(ctx, org)
	if err != nil {
		return org, nil, state.IgnoreInvalidCatalogue(err)
	}
	return org, newlyVacant(roles.Evaluate(in), roles.Evaluate(change(in))), nil
}

// newlyVacant returns the required (role, scope) rows satisfied before and not after.
func newlyVacant(before, after roles.Evaluation) []roles.Row {
	var out []roles.Row
	for _, row := range after.Vacant() {
		if prev, ok := before.Row(row.Role, row.Scope); ok && prev.Satisfied {
			out = append(out, row)
		}
	}
	return out
}

// describeRows names rows for messages: "primary", "technical for scope site-paris".
func describeRows(rows []roles.Row) string {
	s := ""
	for i, row := range rows {
		if i > 0 {
			s += ", "
		}
		s += row.Role
		if row.Scope != "" {
			s += " for scope " + row.Scope
		}
	}
	return s
}

// invalid builds the Invalid error of a kind from field errors.
func invalid(kind, name string, errs field.ErrorList) error {
	return apierrors.NewInvalid(schema.GroupKind{Group: v1alpha1.GroupVersion.Group, Kind: kind}, name, errs)
}

// forbidden builds the Forbidden error of a resource.
func forbidden(resource, name, format string, args ...any) error {
	return apierrors.NewForbidden(schema.GroupResource{Group: v1alpha1.GroupVersion.Group, Resource: resource}, name,
		fmt.Errorf(format, args...))
}
