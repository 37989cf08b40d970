# qbrole — see README.md. The two commands a fresh machine needs:
#   make demo   run the custom resource locally against moto's IAM (no AWS account)
#   make test   every check and test, as CI runs it (.ci/run)

SHELL := /bin/bash
GO    ?= go
# Lambda build: provided.al2023 on arm64.
LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w -buildid='
DIST := dist

.PHONY: demo test deps-python fmt-check vet staticcheck unit build package build-QBusinessRoleFunction clean

demo: deps-python
	$(GO) run ./internal/demo

test: deps-python fmt-check vet staticcheck unit

# moto's server is the local IAM of the integration tests, cfn-lint checks the
# templates; install them where missing.
deps-python:
	@command -v moto_server >/dev/null || python3 -m pip install --quiet 'moto[server]'
	@command -v cfn-lint >/dev/null || python3 -m pip install --quiet cfn-lint

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

unit:
	$(GO) test -race -count=1 ./...

# The Lambda's code: dist/bootstrap for provided.al2023 arm64, and the zip.
build:
	mkdir -p $(DIST)
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(DIST)/bootstrap ./lambda
	cd $(DIST) && rm -f bootstrap.zip && python3 -c "import zipfile; z=zipfile.ZipFile('bootstrap.zip','w',zipfile.ZIP_DEFLATED); i=zipfile.ZipInfo('bootstrap'); i.external_attr=0o755<<16; i.compress_type=zipfile.ZIP_DEFLATED; z.writestr(i, open('bootstrap','rb').read()); z.close()"

# sam build (BuildMethod: makefile) calls this with ARTIFACTS_DIR set.
build-QBusinessRoleFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "$(ARTIFACTS_DIR)/bootstrap" ./lambda

# Without the SAM CLI: dist/template.yaml whose CodeUri is dist/bootstrap.zip,
# ready for `aws cloudformation package`.
package: build deps-python
	sed 's|^      CodeUri: \.$$|      CodeUri: bootstrap.zip|' template.yaml > $(DIST)/template.yaml
	grep -q 'CodeUri: bootstrap.zip' $(DIST)/template.yaml
	cfn-lint $(DIST)/template.yaml

clean:
	rm -rf $(DIST) cdk.out cdk/cdk.out
