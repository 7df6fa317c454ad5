# Roster: contact rosters as Kubernetes resources.
# `make run` and `make test` are all a newcomer needs; `make help` lists the rest.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

IMG ?= roster-controller:dev
LOCALBIN ?= $(CURDIR)/bin
K8S_BIN ?= $(LOCALBIN)/k8s
LOCAL_DIR ?= $(LOCALBIN)/local

# Pinned tools and control-plane versions.
CONTROLLER_TOOLS_VERSION ?= v0.21.0
KUBERNETES_VERSION ?= v1.36.3
ETCD_VERSION ?= v3.5.35

CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
KUBE_APISERVER ?= $(K8S_BIN)/kube-apiserver
ETCD ?= $(K8S_BIN)/etcd

GO_TEST_FLAGS ?= -race -count=1
# Fuzz targets, as package:Target (go test -fuzz takes one target of one package at a time). make test
# runs each for FUZZ_SMOKE_TIME after the unit tests; make fuzz runs each for FUZZTIME.
FUZZ_TARGETS = ./internal/approval:FuzzIdentify ./internal/approval:FuzzDecisionCodes ./internal/approvalweb:FuzzHandler
FUZZ_SMOKE_TIME ?= 3s
FUZZTIME ?= 1m
FUZZ_FLAGS ?=
# make bench-scale: organizations per roster (31 objects each), and extra flags of hack/benchscale.
ORGS ?= 100
BENCH_FLAGS ?=
# kube-apiserver --version prints the real version only when the build stamps it.
KUBEVERSION_LDFLAGS = $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(p).gitVersion=$(KUBERNETES_VERSION) -X $(p).gitMajor=1 \
	-X $(p).gitMinor=$(word 2,$(subst ., ,$(KUBERNETES_VERSION))) -X $(p).gitTreeState=clean)

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs, RBAC and webhook configurations under config/.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods for the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: test
test: manifests generate vet control-plane ## Run go vet, the unit tests and the envtest suites against a real kube-apiserver and etcd (the browser specs with Chromium), then each fuzz target for FUZZ_SMOKE_TIME.
	@$(check-chromium)
	KUBEBUILDER_ASSETS="$(K8S_BIN)" go test $(GO_TEST_FLAGS) $$(go list ./... | grep -v /test/fleet)
	# test/fleet counts writes that depend on time (a contact's arrival wait): not beside the other suites.
	KUBEBUILDER_ASSETS="$(K8S_BIN)" go test $(GO_TEST_FLAGS) ./test/fleet/...
	$(MAKE) promcheck
	$(call run-fuzz,$(FUZZ_SMOKE_TIME))

.PHONY: promcheck
promcheck: ## Parse the PrometheusRule's and the Grafana dashboard's expressions; check they use only exported metrics (its own module: hack/promcheck).
	cd hack/promcheck && go vet ./... && go test -count=1 ./...

.PHONY: fuzz-smoke
fuzz-smoke: ## Run each fuzz target for FUZZ_SMOKE_TIME (3s), as make test does after the unit tests.
	$(call run-fuzz,$(FUZZ_SMOKE_TIME))

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (1m); failing inputs are kept under the package's testdata/fuzz/.
	$(call run-fuzz,$(FUZZTIME))

# check-chromium says, in one line, when the browser specs will be skipped (internal/testsupport/browser
# looks for the same executables).
define check-chromium
for b in $${CHROMIUM:-} chromium chromium-browser google-chrome-stable google-chrome; do \
	if command -v "$$b" >/dev/null 2>&1; then exit 0; fi; \
done; \
echo "make test: Chromium not found (apt-get install -y chromium): the browser specs are skipped"
endef

# run-fuzz runs every target of FUZZ_TARGETS for $(1).
define run-fuzz
for target in $(FUZZ_TARGETS); do \
	echo "go test $${target%%:*} -run '^$$' -fuzz '^$${target##*:}$$' -fuzztime $(1) $(FUZZ_FLAGS)"; \
	go test "$${target%%:*}" -run '^$$' -fuzz "^$${target##*:}\$$" -fuzztime $(1) $(FUZZ_FLAGS); \
done
endef

.PHONY: bench
bench: control-plane ## Run the benchmarks and print their figures.
	KUBEBUILDER_ASSETS="$(K8S_BIN)" go test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-scale
bench-scale: manifests generate control-plane ## Scale benchmark: ORGS organizations (31 objects each) vs a ConfigMap baseline; table on stdout, JSON in bin/bench/results.json.
	go build -o $(LOCALBIN)/manager . && go build -o $(LOCALBIN)/localcluster ./hack/localcluster && \
	go build -o $(LOCALBIN)/benchscale ./hack/benchscale
	KUBEBUILDER_ASSETS="$(K8S_BIN)" $(LOCALBIN)/benchscale --orgs $(ORGS) --dir $(LOCALBIN)/bench \
		--localcluster $(LOCALBIN)/localcluster --manager $(LOCALBIN)/manager $(BENCH_FLAGS)

##@ Build

.PHONY: build
build: manifests generate vet ## Build the manager into bin/manager and the kubectl plugin into bin/kubectl-roster.
	go build -o $(LOCALBIN)/manager .
	go build -o $(LOCALBIN)/kubectl-roster ./cmd/kubectl-roster

.PHONY: run
run: manifests generate control-plane ## Run the operator: against a local control plane under bin/local/ when no cluster is configured, else against the current cluster.
	@if [ -z "$${KUBECONFIG:-}" ] && [ ! -f "$$HOME/.kube/config" ]; then \
		go build -o $(LOCALBIN)/manager . && go build -o $(LOCALBIN)/localcluster ./hack/localcluster && \
		KUBEBUILDER_ASSETS="$(K8S_BIN)" exec $(LOCALBIN)/localcluster --dir "$(LOCAL_DIR)" --manager "$(LOCALBIN)/manager"; \
	else \
		echo "Using the cluster of $${KUBECONFIG:-$$HOME/.kube/config} (webhooks are not served from a laptop; use make deploy for them)"; \
		kubectl apply --server-side -k config/crd && \
		kubectl create namespace roster-system --dry-run=client -o yaml | kubectl apply -f - && \
		go run . --enable-webhooks=false --token-key-secret=roster-system/roster-token-key; \
	fi

.PHONY: clean-local
clean-local: ## Wipe the local control plane's data (bin/local/).
	rm -rf "$(LOCAL_DIR)"

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

##@ Deployment

.PHONY: install
install: manifests ## Install the CRDs into the current cluster.
	kubectl apply --server-side -k config/crd

.PHONY: uninstall
uninstall: manifests ## Remove the CRDs (and every Roster object) from the current cluster.
	kubectl delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy the operator to the current cluster (needs cert-manager for the webhook certificate).
	kubectl apply --server-side -k config/default

.PHONY: undeploy
undeploy: ## Remove the operator from the current cluster.
	kubectl delete --ignore-not-found -k config/default

##@ Dependencies

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/.
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

.PHONY: control-plane
control-plane: $(KUBE_APISERVER) $(ETCD) ## Build kube-apiserver and etcd from the Go module proxy into bin/k8s/ (once).

$(KUBE_APISERVER): hack/controlplane/kube-apiserver/go.mod
	cd hack/controlplane/kube-apiserver && CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w $(KUBEVERSION_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(ETCD): hack/controlplane/etcd/go.mod
	cd hack/controlplane/etcd && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o $@ go.etcd.io/etcd/server/v3
