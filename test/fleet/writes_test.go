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

package fleet

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Writes at GitOps scale", func() {
	// make bench-scale measures this on thousands of objects; this keeps it from regressing at the size
	// of one organization, counting the operator's writes, not time.
	It("brings an organization of 31 objects to Ready with at most 1.2 writes per object", func() {
		op := startOperator(operatorOptions{webhookPort: testEnv.WebhookInstallOptions.LocalServingPort})
		ns := newNamespace(nil)
		objs := rosterOf(ns, "acme", time.Hour)
		// In dependency order, as a GitOps tool applies one file per kind.
		create(objs...)
		allReady(objs)
		Eventually(op.writes.in(ns)).WithTimeout(10 * time.Second).Should(BeStableFor(2 * time.Second))

		// No owner or finalizer patches (set at admission), one status write per assignment and per
		// contact (a contact arriving with others waits for its assignments), and two for the
		// organization: Ready before its roster, then its roles once the roster settled. It was 3.6 per
		// object.
		GinkgoWriter.Printf("writes: %d for %d objects: %s\n", op.writes.in(ns)(), len(objs), op.writes.describe(ns))
		Expect(float64(op.writes.in(ns)())/float64(len(objs))).To(BeNumerically("<=", 1.2), op.writes.describe(ns))
	})
})
