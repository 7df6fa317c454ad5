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
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/api/v1alpha1"
	"roster.dev/roster/internal/rosterctl"
)

// app holds what every command shares: the kubectl flags, the streams and the clock.
type app struct {
	streams genericiooptions.IOStreams
	flags   *genericclioptions.ConfigFlags
	now     func() time.Time
}

// newRootCommand builds kubectl roster and its commands. wrapConfig, when given, wraps the REST config
// (the tests watch the requests with it).
func newRootCommand(streams genericiooptions.IOStreams, now func() time.Time, wrapConfig ...func(*rest.Config) *rest.Config) *cobra.Command {
	a := &app{streams: streams, flags: genericclioptions.NewConfigFlags(true), now: now}
	for _, w := range wrapConfig {
		a.flags.WrapConfigFn = w
	}
	root := &cobra.Command{
		Use:   "kubectl-roster",
		Short: "Look up and audit the contact rosters of Roster",
		Long: "kubectl roster answers the questions of support desks and auditors about the Organizations, Contacts and\n" +
			"ContactTransfers of Roster: who an address is, which required roles are vacant, which transfers wait,\n" +
			"what changed and who approved it, and who holds what.",
		Annotations:  map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl roster"},
		SilenceUsage: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	a.flags.AddFlags(root.PersistentFlags())
	root.AddCommand(a.whoisCommand(), a.vacantCommand(), a.pendingCommand(), a.historyCommand(), a.reportCommand(),
		a.decideCommand("approve", v1alpha1.ApproveAnnotation), a.decideCommand("refuse", v1alpha1.RefuseAnnotation))
	return root
}

// client is a client of the cluster the kubectl flags name.
func (a *app) client() (client.Client, error) {
	cfg, err := a.flags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme})
}

// namespace is -n, else the namespace of the kubeconfig's context.
func (a *app) namespace() (string, error) {
	ns, _, err := a.flags.ToRawKubeConfigLoader().Namespace()
	return ns, err
}

// output are the flags of a command that prints rows.
type output struct {
	format        string
	noHeaders     bool
	allNamespaces bool
}

func (o *output) addFlags(cmd *cobra.Command, allNamespaces bool, formats string) {
	cmd.Flags().StringVarP(&o.format, "output", "o", rosterctl.FormatTable, "Output format: "+formats+".")
	cmd.Flags().BoolVar(&o.noHeaders, "no-headers", false, "Leave out the header line of the table.")
	if allNamespaces {
		cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "List across all namespaces; -n is then ignored.")
	}
}

// scope is the namespace to list: "" with -A.
func (a *app) scope(o *output) (string, error) {
	if o.allNamespaces {
		return "", nil
	}
	return a.namespace()
}

func (a *app) print(o *output, t rosterctl.Table) error {
	return rosterctl.Print(a.streams.Out, o.format, t, rosterctl.PrintOptions{NoHeaders: o.noHeaders, AllNamespaces: o.allNamespaces})
}

const allFormats = "table, json, yaml, csv or markdown"

func (a *app) whoisCommand() *cobra.Command {
	o := &output{}
	cmd := &cobra.Command{
		Use:   "whois ADDRESS",
		Short: "Find the contacts of an email address, whatever its case, and their organizations and roles",
		Long: "whois finds the Contacts whose address is ADDRESS, whatever its case, in every namespace (or the one\n" +
			"-n names), with a field selector on status.normalizedEmail, and lists each of their roles.",
		Example: "  kubectl roster whois Alice.Martin@ACME.example",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rosterctl.ValidFormat(o.format); err != nil {
				return err
			}
			ns := ""
			if cmd.Flags().Changed("namespace") {
				ns = *a.flags.Namespace
			}
			o.allNamespaces = ns == ""
			c, err := a.client()
			if err != nil {
				return err
			}
			contacts, err := rosterctl.ContactsByEmail(cmd.Context(), c, ns, args[0])
			if err != nil {
				return err
			}
			return a.print(o, rosterctl.Whois(contacts))
		},
	}
	o.addFlags(cmd, false, allFormats)
	return cmd
}

func (a *app) vacantCommand() *cobra.Command {
	o := &output{}
	cmd := &cobra.Command{
		Use:   "vacant",
		Short: "List the required roles without enough holders, and for how long",
		Long: "vacant lists every required (role, scope) of the Organizations whose holders do not satisfy it, with\n" +
			"since when: the change of holder that left it vacant, else when RolesSatisfied turned False, else the\n" +
			"organization's creation.",
		Example: "  kubectl roster vacant -A\n  kubectl roster vacant -n acme-system -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rosterctl.ValidFormat(o.format); err != nil {
				return err
			}
			ns, err := a.scope(o)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			orgs, err := rosterctl.Organizations(cmd.Context(), c, ns)
			if err != nil {
				return err
			}
			return a.print(o, rosterctl.Vacant(orgs, a.now()))
		},
	}
	o.addFlags(cmd, true, allFormats)
	return cmd
}

func (a *app) pendingCommand() *cobra.Command {
	o := &output{}
	cmd := &cobra.Command{
		Use:   "pending",
		Short: "List the transfers not settled yet, whom they await and when they expire",
		Long: "pending lists the ContactTransfers that are neither completed, refused nor expired, the soonest to\n" +
			"expire first, with the parties whose decision is awaited.",
		Example: "  kubectl roster pending -A",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rosterctl.ValidFormat(o.format); err != nil {
				return err
			}
			ns, err := a.scope(o)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			transfers, err := rosterctl.Transfers(cmd.Context(), c, ns)
			if err != nil {
				return err
			}
			return a.print(o, rosterctl.Pending(transfers, a.now()))
		},
	}
	o.addFlags(cmd, true, allFormats)
	return cmd
}

func (a *app) historyCommand() *cobra.Command {
	o := &output{}
	var role, since string
	cmd := &cobra.Command{
		Use:   "history ORGANIZATION",
		Short: "List the changes of holder of an organization, with how, approvers, requester and user",
		Long: "history lists the Organization's status.history, oldest first: each change of holder of each\n" +
			"(role, scope), how it happened, who approved it (through which channel, when), which contact\n" +
			"asked for it and which Kubernetes user.",
		Example: "  kubectl roster history acme -n acme-system --role billing --since 2026-03-01",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rosterctl.ValidFormat(o.format); err != nil {
				return err
			}
			f := rosterctl.HistoryFilter{Role: role}
			if since != "" {
				t, err := rosterctl.ParseSince(since)
				if err != nil {
					return err
				}
				f.Since = t
			}
			ns, err := a.namespace()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			org := &v1alpha1.Organization{}
			if err := c.Get(cmd.Context(), types.NamespacedName{Namespace: ns, Name: args[0]}, org); err != nil {
				return err
			}
			return a.print(o, rosterctl.History(org, f))
		},
	}
	o.addFlags(cmd, false, allFormats)
	cmd.Flags().StringVar(&role, "role", "", "Only the changes of this role.")
	cmd.Flags().StringVar(&since, "since", "", "Only the changes from this date (2006-01-02, UTC) or time (RFC 3339) on.")
	return cmd
}

func (a *app) reportCommand() *cobra.Command {
	o := &output{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Report who holds what, with when each address was verified and each holder re-confirmed",
		Long: "report lists every holder of every (role, scope) of the Organizations, with the contact's address,\n" +
			"when it was verified and when the contact last re-confirmed. Columns keep their order and dates are\n" +
			"RFC 3339 in UTC, for an auditor to attach to a review.",
		Example: "  kubectl roster report -A -o csv > roster-report.csv\n  kubectl roster report -n acme-system -o markdown",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rosterctl.ValidFormat(o.format); err != nil {
				return err
			}
			ns, err := a.scope(o)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			orgs, err := rosterctl.Organizations(cmd.Context(), c, ns)
			if err != nil {
				return err
			}
			contacts, err := rosterctl.Contacts(cmd.Context(), c, ns)
			if err != nil {
				return err
			}
			return a.print(o, rosterctl.Report(orgs, contacts))
		},
	}
	o.addFlags(cmd, true, allFormats)
	return cmd
}

// decideCommand is approve or refuse: it reads the party's code from the terminal (without echo) or
// stdin, never from argv, and annotates the transfer with it for the operator to check.
func (a *app) decideCommand(verb, annotation string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " TRANSFER",
		Short: fmt.Sprintf("%s a ContactTransfer with the %s code of your email, read from a prompt or stdin", capitalized(verb), verb),
		Long: fmt.Sprintf("%s reads the %s code that your email gives for TRANSFER from a prompt that does not echo it, or\n"+
			"from stdin when stdin is not a terminal, and sets the annotation %s with it. The operator checks\n"+
			"the code, records the decision and removes the annotation. The code is never read from the command\n"+
			"line, so that it stays out of shell history and process listings.", verb, verb, annotation),
		Example: fmt.Sprintf("  kubectl roster %[1]s billing-to-bob -n acme-system\n  pass show roster/code | kubectl roster %[1]s billing-to-bob -n acme-system", verb),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ns, err := a.namespace()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			t := &v1alpha1.ContactTransfer{}
			if err := c.Get(cmd.Context(), types.NamespacedName{Namespace: ns, Name: args[0]}, t); err != nil {
				return err
			}
			if rosterctl.Settled(t) {
				return fmt.Errorf("contacttransfer %s/%s is settled already: nothing to %s", ns, t.Name, verb)
			}
			code, err := rosterctl.ReadCode(a.streams.In, a.streams.ErrOut, fmt.Sprintf("Code to %s %s/%s: ", verb, ns, t.Name))
			if err != nil {
				return err
			}
			if err := c.Patch(cmd.Context(), t, client.RawPatch(types.MergePatchType, rosterctl.DecisionPatch(annotation, code))); err != nil {
				return err
			}
			fmt.Fprintf(a.streams.Out, "contacttransfer.roster.dev/%s annotated with %s; the operator checks the code "+
				"(kubectl roster pending shows whom the transfer still awaits)\n", t.Name, annotation)
			return nil
		},
	}
}

func capitalized(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
