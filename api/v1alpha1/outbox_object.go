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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// OutboxObject is a Roster object that keeps the notifications about it in status.outbox: the four kinds.
// The delivery engine works on any of them through it.
// +kubebuilder:object:generate=false
type OutboxObject interface {
	metav1.Object
	runtime.Object
	// Outbox is status.outbox.
	Outbox() *[]Delivery
	// StatusConditions is status.conditions.
	StatusConditions() *[]metav1.Condition
	// OrganizationName names the Organization whose channels deliver the notifications.
	OrganizationName() string
}

var (
	_ OutboxObject = &Organization{}
	_ OutboxObject = &Contact{}
	_ OutboxObject = &RoleAssignment{}
	_ OutboxObject = &ContactTransfer{}
)

func (o *Organization) Outbox() *[]Delivery                   { return &o.Status.Outbox }
func (o *Organization) StatusConditions() *[]metav1.Condition { return &o.Status.Conditions }
func (o *Organization) OrganizationName() string              { return o.Name }

func (c *Contact) Outbox() *[]Delivery                   { return &c.Status.Outbox }
func (c *Contact) StatusConditions() *[]metav1.Condition { return &c.Status.Conditions }
func (c *Contact) OrganizationName() string              { return c.Spec.OrganizationRef.Name }

func (r *RoleAssignment) Outbox() *[]Delivery                   { return &r.Status.Outbox }
func (r *RoleAssignment) StatusConditions() *[]metav1.Condition { return &r.Status.Conditions }
func (r *RoleAssignment) OrganizationName() string              { return r.Spec.OrganizationRef.Name }

func (t *ContactTransfer) Outbox() *[]Delivery                   { return &t.Status.Outbox }
func (t *ContactTransfer) StatusConditions() *[]metav1.Condition { return &t.Status.Conditions }
func (t *ContactTransfer) OrganizationName() string              { return t.Spec.OrganizationRef.Name }
