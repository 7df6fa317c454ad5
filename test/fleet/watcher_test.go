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
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"roster.dev/roster/internal/shard"
)

var _ = Describe("Shard watcher", func() {
	// watch runs a shard's Watcher, as main adds it to the manager, on a cache of its own; the channel
	// gets what Start returns, which ends the manager.
	watch := func(ctx context.Context, selector string) <-chan error {
		GinkgoHelper()
		sel, err := shard.Parse(selector)
		Expect(err).NotTo(HaveOccurred())
		owned, err := shard.Load(ctx, k8sClient, sel)
		Expect(err).NotTo(HaveOccurred())
		informers, err := cache.New(cfg, cache.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		go func() { _ = informers.Start(ctx) }()
		exited := make(chan error, 1)
		go func() { exited <- (&shard.Watcher{Shard: owned, Informers: informers}).Start(ctx) }()
		return exited
	}

	It("ends the replica when a namespace joins its shard or leaves it, and only then", func(ctx SpecContext) {
		label := map[string]string{shardLabel: "watched"}
		member := newNamespace(label)
		newNamespace(map[string]string{shardLabel: "elsewhere"})

		By("a namespace joins")
		exited := watch(ctx, shardLabel+"=watched")
		// Another shard's namespace, and the shard's own at start, change nothing.
		newNamespace(map[string]string{shardLabel: "elsewhere"})
		Consistently(exited).WithTimeout(time.Second).ShouldNot(Receive())
		joined := newNamespace(label)
		Eventually(exited).WithTimeout(10 * time.Second).Should(Receive(MatchError(ContainSubstring("namespace " + joined + " joined or left shard"))))

		By("a namespace leaves, once the replica restarted with the new set")
		exited = watch(ctx, shardLabel+"=watched")
		Consistently(exited).WithTimeout(time.Second).ShouldNot(Receive())
		ns := &corev1.Namespace{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: member}, ns)).To(Succeed())
		ns.Labels[shardLabel] = "elsewhere"
		Expect(k8sClient.Update(ctx, ns)).To(Succeed())
		Eventually(exited).WithTimeout(10 * time.Second).Should(Receive(MatchError(ContainSubstring("namespace " + member + " joined or left shard"))))
	})
})
