# qbrole — see README.md. The two commands a fresh machine needs:
#   make demo   run the custom resource locally against moto's IAM (no AWS account)
#   make test   every check and test, as CI runs it (.ci/run)
# and the fast loop of a change, with nothing but Go:
#   make check  gofmt, go vet, staticcheck and every test that needs only Go

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
GO    ?= go
# The Python tools' virtual environment (see deps-python), first on PATH; not
# for make check-go-only, whose PATH holds nothing but Go and the shell's tools.
# VENV is taken from make's command line only (make VENV=...), never from
# the environment, where a shell may export it for a venv of its own, which
# deps-python would remake and clean remove.
PYTHON      ?= python3
VENV        := .venv
override VENV := $(abspath $(VENV))
PYTHON_SEED ?=
ifndef QBROLE_GO_ONLY
export PATH := $(VENV)/bin:$(PATH)
export QBROLE_VENV := $(VENV)
endif
# Lambda build: provided.al2023 on arm64, with the recipe of internal/lambdabuild.
BUILD_LAMBDA := GO=$(GO) $(GO) run ./internal/devtools/build
DIST := dist
# The Go tools (staticcheck, gremlins, aws-lambda-rie) are pinned in a module
# of their own, so that the library's go.mod carries none of their requirements.
GOTOOL := $(GO) tool -modfile=tools/go.mod
# Reads `go test -json`; fails a tier that failed or ran no test.
TALLY := $(GO) run ./internal/devtools/testtally
# Copies a run's output through, and writes its figures into docs/FIGURES.md.
RECORD := $(GO) run ./internal/devtools/figures
# The build tag of the tests that need more than Go: moto's server, the IAM
# policy evaluator (Node), the Runtime Interface Emulator, CDK synth (jsii), cfn-lint.
INTEGRATION := -tags integration

# The npm packages are installed with `npm ci` from the package-lock.json
# committed in each dot-directory (Go tooling does not walk into those; a
# node_modules inside the module breaks go vet ./...). A stamp is redone when
# its lockfile changes.
# CDK: the aws-cdk CLI, pinned in .cdkcli/package.json.
CDK_DIR   := .cdkcli
CDK       := $(CURDIR)/$(CDK_DIR)/node_modules/.bin/cdk
CDK_STAMP := $(CDK_DIR)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# Synth needs no AWS account and no network beyond the registries.
CDK_ENV   := CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true
CDK_FLAGS := --no-notices --no-version-reporting
CDK_TEMPLATE := cdk/cdk.out/QBusinessRoleDemo.template.json

# The IAM policy evaluator of the tests: @cloud-copilot/iam-simulate (AGPL-3.0:
# a test tool only, never shipped), pinned with the packages it loads in
# .iamsim/package.json, beside the script that imports it.
IAMSIM_DIR   := .iamsim
IAMSIM_STAMP := $(IAMSIM_DIR)/.installed
# The TypeScript CDK snippet (cdk/typescript/app.ts) is synthesized by the tests
# with aws-cdk-lib at the version of the Go bindings (.cdkts/package.json).
CDKTS_DIR   := .cdkts
CDKTS_STAMP := $(CDKTS_DIR)/.installed
NPM_CI := npm ci --no-audit --no-fund --loglevel=error --prefix

.PHONY: demo test leftovers check check-go-only test-fast integration model soak bench mutate fuzz deps-python iamsim cdk-ts fmt-check vet staticcheck \
	build package stackset stackset-code build-QBusinessRoleFunction cdk-cli synth diff deploy destroy clean

demo: deps-python
	$(GO) run ./internal/devtools/demo

# Both tiers: each fails when it ran no test. The fast tier runs with PATH
# holding only Go and the shell's tools, which proves it needs nothing else.
test: check-go-only deps-python iamsim cdk-ts synth fuzz integration model
	@$(MAKE) --no-print-directory leftovers

# Every server a test starts (moto, the IAM policy evaluator, the Runtime
# Interface Emulator and its function) carries QBROLE_TEST_SERVER=<the run's
# id> in its environment (internal/testkit/motoserver.AsTestServer), and dies
# with its test process. make test ends by failing, naming them, when any of
# this run's is still running 5 s after the last test ended (other runs' on a
# shared machine are theirs). make leftovers QBROLE_TEST_RUN=1 looks for those
# of tests run by hand.
ifndef QBROLE_TEST_RUN
export QBROLE_TEST_RUN := $(shell echo "make-$$$$-$$RANDOM$$RANDOM")
endif
leftovers:
	@for i in $$(seq 50); do 		left=$$(grep -lsxzF 'QBROLE_TEST_SERVER=$(QBROLE_TEST_RUN)' /proc/[0-9]*/environ | cut -d/ -f3); 		[ -z "$$left" ] && { echo "leftovers: no process of this run's tests is left"; exit 0; }; sleep 0.1; 	done; 	echo "processes started by this run's tests still run (QBROLE_TEST_SERVER=$(QBROLE_TEST_RUN)):"; 	for p in $$left; do echo "  $$p: $$(tr '\0' ' ' < /proc/$$p/cmdline 2>/dev/null)"; done; exit 1

# The fast tier: needs nothing but Go (no moto, Node or Python on PATH).
check: fmt-check vet staticcheck test-fast

test-fast:
	$(GO) test -count=1 -json ./... | $(TALLY) -tier fast

# make check with PATH holding only go, gofmt and the shell's tools (no
# python3, node, npm, moto_server, cfn-lint, gcc): a directory of links to them
# (gofmt from GOROOT, so a go that is a wrapper works), and of the environment
# only HOME and the go command's own settings (GO_ENV_VARS, when set).
GO_ONLY_TOOLS := bash sh make env cat ls mkdir rm cp mv ln touch mktemp dirname basename sed grep find sort head tail tr wc git
GO_ENV_VARS   := GOFLAGS GOCACHE GOMODCACHE GOPATH GOPROXY GOSUMDB GONOSUMDB GONOPROXY GOPRIVATE GOINSECURE \
	GOTOOLCHAIN GOENV GOROOT XDG_CONFIG_HOME XDG_CACHE_HOME HTTPS_PROXY HTTP_PROXY NO_PROXY https_proxy http_proxy no_proxy
check-go-only:
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	for t in $(GO_ONLY_TOOLS); do p=$$(command -v $$t) && ln -s "$$p" "$$dir/$$t" || true; done && \
	ln -s "$$(command -v $(GO))" "$$dir/go" && ln -s "$$($(GO) env GOROOT)/bin/gofmt" "$$dir/gofmt" && \
	vars=(HOME="$$HOME" PATH="$$dir") && \
	for v in $(GO_ENV_VARS); do [ -n "$${!v+x}" ] && vars+=("$$v=$${!v}"); done; \
	echo "make check with PATH=$$dir: $$(ls "$$dir" | tr '\n' ' ')" && \
	env -i "$${vars[@]}" "$$dir/make" --no-print-directory check QBROLE_GO_ONLY=1

# The model-based lifecycle test (internal/roles/model_test.go, pgregory.net/rapid):
# MODEL_CHECKS random sequences of CloudFormation requests and outside actions
# through the runner, the manager, the authorizing proxy and the strict IAM
# layer, invariants checked after every step. It prints its counts, and fails
# when it ran no sequence. On a failure it prints the shrunk sequence and the
# seed (rerun with MODEL_FLAGS=-rapid.seed=N). make soak runs many more.
MODEL_CHECKS ?= 20
MODEL_STEPS  ?= 20
MODEL_FLAGS  ?=
model: deps-python iamsim
	$(GO) test $(INTEGRATION) -count=1 -timeout=60m -json -run '^TestLifecycleModel$$' ./internal/roles \
		-rapid.checks=$(MODEL_CHECKS) -rapid.steps=$(MODEL_STEPS) $(MODEL_FLAGS) | $(TALLY) -tier model -show '^lifecycle model: ' | \
		$(RECORD) -section model -match '^lifecycle model: ' -passed '^model tier: .*: ok$$'

soak:
	$(MAKE) model MODEL_CHECKS=1000 MODEL_STEPS=50

# Each fuzz target for a bounded number of executions; crashers found are kept under testdata/fuzz.
# A count, not a duration: with a duration, Go 1.26's fuzzing coordinator can
# fail a target with a bare "context deadline exceeded" at the end of the time
# (a race in internal/fuzz, go.dev/issue/75804, fixed in Go 1.27; seen here in
# a CI run under load). A real finding writes its input under testdata/fuzz.
# Each is tallied: a target that no longer exists ("no fuzz tests to fuzz")
# fails, instead of passing having fuzzed nothing.
FUZZTIME ?= 30000x
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParseSpec$$' -fuzztime=$(FUZZTIME) -json ./internal/roles | $(TALLY) -tier 'fuzz FuzzParseSpec'
	$(GO) test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME) -json ./internal/cfnresource | $(TALLY) -tier 'fuzz FuzzDecode'
	$(GO) test -run='^$$' -fuzz='^FuzzResponse$$' -fuzztime=$(FUZZTIME) -json ./internal/cfnresource | $(TALLY) -tier 'fuzz FuzzResponse'
	$(GO) test -run='^$$' -fuzz='^FuzzAnswer$$' -fuzztime=$(FUZZTIME) -json ./internal/cfnverify | $(TALLY) -tier 'fuzz FuzzAnswer'

# One table of figures (size, cold start, memory, IAM calls, latency,
# concurrency); exits 1 when a size, memory or call budget, or the time
# budget of a Delete of a role that is gone, is missed.
bench: deps-python
	$(GO) run ./internal/devtools/bench | $(RECORD) -section bench -match '^(\||qbrole benchmark)' -passed '^every budget met$$'
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/roles ./internal/cfnresource

# Mutation testing with gremlins (pinned in tools/go.mod), with the
# integration tests but not the lifecycle model (tens of seconds a mutant);
# slow, so not part of make test. Prints killed / lived / not covered per shipping package;
# fails when the domain's efficacy falls under 97 %. cdk/qbrolecdk is left out:
# its tests synthesize through jsii, about a minute a run.
MUTATE_PKGS := ./internal/roles ./internal/cfnresource ./internal/execrole ./lambda
mutate: deps-python iamsim
	@{ for p in $(MUTATE_PKGS); do \
		gate=; [ $$p = ./internal/roles ] && gate='--threshold-efficacy 97'; \
		echo "== $$p"; \
		GOFLAGS='-count=1 -skip=^TestLifecycleModel$$' $(GOTOOL) gremlins unleash --tags integration --exclude-files 'test/' --workers 2 --timeout-coefficient 10 \
			--output-statuses lt $$gate $$p 2>&1 | grep -aE 'LIVED|TIMED OUT|Killed:|Timed out:|Test efficacy|Mutator coverage' || exit 1; \
	done; echo "every package passed"; } | $(RECORD) -section mutate -passed '^every package passed$$'

# moto's server is the local IAM of the integration tests (they rely on its
# error codes), cfn-lint checks the templates, the aws CLI (v1) runs the
# README's packaging and StackSets commands against moto: pinned, in a virtual environment
# of the project's, $(VENV) (.venv/ in the checkout: a dot-directory, which Go
# tooling ignores), made by tools/venv.sh. $(PYTHON) creates it with
# --system-site-packages, so what that interpreter already has at the pinned
# versions is used as it is; anything else is installed with the venv's own
# pip, never into the interpreter (Debian 12 and Ubuntu 24.04 refuse that:
# PEP 668, "externally-managed-environment"). Every recipe, and every test it
# runs, finds the venv's tools first on PATH; the tests also look in
# QBROLE_VENV (internal/testkit/devenv), and in .venv/ when run by hand.
# PYTHON_SEED=DIR, a site-packages directory holding moto, cfn-lint and awscli at the
# pinned versions, is added to the venv's path (a .pth file), so that pip finds
# them satisfied: for a machine whose package index is unreachable, e.g.
#   make deps-python PYTHON=/usr/bin/python3 \
#     PYTHON_SEED=$$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# (the seed must be of the same Python minor version). make clean removes the venv.
MOTO_VERSION    := 5.2.1
CFNLINT_VERSION := 1.51.0
AWSCLI_VERSION  := 1.45.11
deps-python:
	@tools/venv.sh '$(PYTHON)' '$(VENV)' $(MOTO_VERSION) $(CFNLINT_VERSION) $(AWSCLI_VERSION) '$(PYTHON_SEED)'

# Every Go file of the checkout, also those not yet added to git; fails when
# gofmt cannot be run.
fmt-check:
	@command -v gofmt >/dev/null || { echo "fmt-check: gofmt not found on PATH"; exit 1; }
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null || find . -name '*.go' -not -path './.*')) || exit 1; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Both with the integration tests' files.
vet:
	$(GO) vet $(INTEGRATION) ./...

staticcheck:
	$(GOTOOL) staticcheck $(INTEGRATION) ./...

# The integration tier: every test, the integration-tagged ones too, with the
# race detector; it fails unless every test the tag adds passed (but the
# model, which make model runs). The lifecycle tests run twice: their IAM
# calls reach moto through the strict IAM layer (internal/testkit/iamstrict),
# then through the authorizing proxy alone. The proof tests print their figures (the
# attack suite's decisions, the fault matrix, the actions proven necessary,
# concurrency). The lifecycle model runs once, in make model.
FIGURES := '^(fault matrix|strict IAM layer|least privilege|concurrency|attack suite|forged events|  inside|  outside|  another)'
integration: deps-python iamsim cdk-ts cdk-cli
	QBROLE_TEST_IAM=strict $(GO) test $(INTEGRATION) -race -count=1 -json -skip '^TestLifecycleModel$$' ./internal/roles ./lambda | \
		$(TALLY) -tier 'integration, strict IAM layer' $(INTEGRATION) -except '^TestLifecycleModel$$'
	$(GO) test $(INTEGRATION) -race -count=1 -timeout=30m -json -skip '^TestLifecycleModel$$' ./... | \
		$(TALLY) -tier integration $(INTEGRATION) -except '^TestLifecycleModel$$' -show $(FIGURES) | \
		$(RECORD) -section integration -match $(FIGURES)'|^integration tier: ' -passed '^integration tier: .*: ok$$'

# The Lambda's code: dist/bootstrap for provided.al2023 arm64, and the zip.
build:
	mkdir -p $(DIST)
	$(BUILD_LAMBDA) $(DIST)/bootstrap
	cd $(DIST) && rm -f bootstrap.zip && python3 -c "import zipfile; z=zipfile.ZipFile('bootstrap.zip','w',zipfile.ZIP_DEFLATED); i=zipfile.ZipInfo('bootstrap'); i.external_attr=0o755<<16; i.compress_type=zipfile.ZIP_DEFLATED; z.writestr(i, open('bootstrap','rb').read()); z.close()"

# sam build (BuildMethod: makefile) calls this with ARTIFACTS_DIR set.
build-QBusinessRoleFunction:
	$(BUILD_LAMBDA) "$(ARTIFACTS_DIR)/bootstrap"

# Without the SAM CLI: dist/template.yaml whose CodeUri is dist/bootstrap.zip,
# ready for `aws cloudformation package`, which resolves every local path
# against the template's directory, also the Serverless Application
# Repository's ReadmeUrl and LicenseUrl: README.md and LICENSE are copied
# beside it (awscli/customizations/cloudformation/artifact_exporter.py).
package: build deps-python
	sed 's|^      CodeUri: \.$$|      CodeUri: bootstrap.zip|' template.yaml > $(DIST)/template.yaml
	grep -q 'CodeUri: bootstrap.zip' $(DIST)/template.yaml
	cp README.md LICENSE $(DIST)/
	cfn-lint $(DIST)/template.yaml

# For StackSets: dist/stackset.json, template.yaml with the SAM transform
# applied (service-managed StackSets refuse transforms), its code read from
# the bucket <CodeS3BucketPrefix>-<region> (internal/devtools/stackset) under
# a key named by the zip's SHA-256, qbrole/bootstrap-<16 hex>.zip: the
# default of CodeS3Key. CloudFormation updates a function's code only when
# Code's properties change ("Changes to a deployment package in Amazon S3 ...
# are not detected automatically during stack updates. To update the function
# code, change the object key or version in the template.": AWS::Lambda::Function
# Code, https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html),
# so new code gets a new key, and update-stack-set deploys it; the same code
# keeps its key. dist/stackset-code mirrors a bucket's layout, holding that
# one object, for `aws s3 sync dist/stackset-code s3://<prefix>-<region>`.
# stackset-code works on the $(DIST)/bootstrap.zip there is (the tests give
# it another zip, as a new version would be).
STACKSET_TEMPLATE := $(DIST)/stackset.json
STACKSET_CODE     := $(DIST)/stackset-code
stackset: build deps-python
	@$(MAKE) --no-print-directory stackset-code
stackset-code:
	key=qbrole/bootstrap-$$(sha256sum $(DIST)/bootstrap.zip | cut -c1-16).zip && \
	rm -rf $(STACKSET_CODE) && mkdir -p $(STACKSET_CODE)/qbrole && cp $(DIST)/bootstrap.zip $(STACKSET_CODE)/$$key && \
	python3 internal/devtools/stackset/stackset.py template.yaml "$$key" > $(STACKSET_TEMPLATE).tmp
	mv $(STACKSET_TEMPLATE).tmp $(STACKSET_TEMPLATE)
	cfn-lint $(STACKSET_TEMPLATE)

iamsim: $(IAMSIM_STAMP)
$(IAMSIM_STAMP): $(IAMSIM_DIR)/package-lock.json
	$(NPM_CI) $(IAMSIM_DIR)
	touch $@

cdk-ts: $(CDKTS_STAMP)
$(CDKTS_STAMP): $(CDKTS_DIR)/package-lock.json
	$(NPM_CI) $(CDKTS_DIR)
	touch $@

cdk-cli: $(CDK_STAMP)
$(CDK_STAMP): $(CDK_DIR)/package-lock.json
	$(NPM_CI) $(CDK_DIR)
	touch $@

# make synth [CONTEXT="-c roleType=ServiceLinkedRole"]: the sample app's template, linted
# (cfn-lint's W3005 is CDK's own redundant DependsOn, the one check ignored).
synth: cdk-cli deps-python
	cd cdk && $(CDK_ENV) $(CDK) synth $(CDK_FLAGS) --quiet $(CONTEXT)
	cfn-lint --ignore-checks W3005 -- $(CDK_TEMPLATE)

diff deploy destroy: cdk-cli
	cd cdk && $(CDK_ENV) $(CDK) $@ $(CDK_FLAGS) $(CONTEXT)

clean:
	rm -rf $(VENV) $(DIST) cdk.out cdk/cdk.out $(foreach d,$(CDK_DIR) $(IAMSIM_DIR) $(CDKTS_DIR),$(d)/node_modules $(d)/.installed*)
