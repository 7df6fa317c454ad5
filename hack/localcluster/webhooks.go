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
	"bytes"
	"fmt"
	"os"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"
)

// exemptOperator is the matchCondition config/default puts on every webhook, for the local manager's
// user: the operator's own writes skip its webhooks, as in a deployment.
var exemptOperator = admissionv1.MatchCondition{
	Name:       "not-the-roster-operator",
	Expression: "request.userInfo.username != '" + operatorUser + "'",
}

// readWebhooks reads the webhook configurations of path and adds exemptOperator to each webhook.
func readWebhooks(path string) ([]*admissionv1.MutatingWebhookConfiguration, []*admissionv1.ValidatingWebhookConfiguration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var mutating []*admissionv1.MutatingWebhookConfiguration
	var validating []*admissionv1.ValidatingWebhookConfiguration
	for doc := range bytes.SplitSeq(data, []byte("\n---")) {
		var head struct{ Kind string }
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		switch head.Kind {
		case "MutatingWebhookConfiguration":
			c := &admissionv1.MutatingWebhookConfiguration{}
			if err := yaml.UnmarshalStrict(doc, c); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			for i := range c.Webhooks {
				c.Webhooks[i].MatchConditions = append(c.Webhooks[i].MatchConditions, exemptOperator)
			}
			mutating = append(mutating, c)
		case "ValidatingWebhookConfiguration":
			c := &admissionv1.ValidatingWebhookConfiguration{}
			if err := yaml.UnmarshalStrict(doc, c); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			for i := range c.Webhooks {
				c.Webhooks[i].MatchConditions = append(c.Webhooks[i].MatchConditions, exemptOperator)
			}
			validating = append(validating, c)
		case "":
		default:
			return nil, nil, fmt.Errorf("%s: unexpected kind %s", path, head.Kind)
		}
	}
	return mutating, validating, nil
}
