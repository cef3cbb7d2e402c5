# The two commands of the README: `make synth` and `make test`. Each installs what it needs:
# Python dependencies into .venv (pinned by constraints.txt) and the pinned CDK CLI into
# node_modules (pinned by package-lock.json). Only python3 (3.11+), node/npm and make are needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CDK := node_modules/.bin/cdk

# jsii prints a large banner on Node 20 (end of life); the CDK works on it, so silence it explicitly.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# No telemetry or notices from this build (the machine may have no route to them).
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Material for MkDocs prints a banner about its successor on every build.
export NO_MKDOCS_2_WARNING := 1

# The quickstart (README, docs/testing.md) is a project of its own: top-level modules app,
# handler.orders, test_app.
QUICKSTART := docs/examples/quickstart
QUICKSTART_PY := $(QUICKSTART)/app.py $(QUICKSTART)/test_app.py $(QUICKSTART)/handler/orders.py

.PHONY: synth plan rehearse test bench lint typecheck unit fuzz docs wheel wheel-test deps python-deps \
	node-deps lock clean

synth: deps
	PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK) synth --no-notices --quiet
	@echo "Synthesized to cdk.out/: $$(ls cdk.out/*.template.json | xargs -n1 basename | tr '\n' ' ')"

plan: synth
	$(BIN)/constructs-pkg plan cdk.out

# The release rehearsal of the sample app: 1,000 simulated releases per release, fault and rate
# (docs/rehearsal.md). Synthesizes (with cdk.json's context) into a temporary cdk.out, so it
# needs no CDK CLI.
rehearse: python-deps
	@out=$$(mktemp -d) && trap 'rm -rf "$$out"' EXIT && \
	$(BIN)/python -c "import json, sys; from aws_cdk import App; from sample_app.app import build; \
	app = App(outdir=sys.argv[1], analytics_reporting=False, builtin_cloud_formation_validation=False, \
	context=json.load(open('cdk.json'))['context']); build(app); app.synth()" "$$out" >/dev/null && \
	$(BIN)/constructs-pkg rehearse "$$out" --traffic 1,10,100 --fault all --runs 1000 --seed 0

test: python-deps lint typecheck unit docs

lint: python-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: python-deps
	$(BIN)/mypy
	MYPYPATH=$(QUICKSTART) $(BIN)/mypy --explicit-package-bases $(QUICKSTART_PY)

unit: python-deps
	$(BIN)/pytest -q -m "not long"

# The docs site (mkdocs.yml) with every warning an error: a broken link or anchor, or an API
# reference to a name that no longer exists, fails the build.
docs: python-deps
	$(BIN)/mkdocs build --strict --quiet

# The wheel from the working tree into dist/, built by the pinned build backend.
wheel: python-deps
	rm -rf dist
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .

# The wheel as a user gets it: installed into a fresh venv in a temporary folder outside the
# repository, the quickstart synthesized there with the pinned CDK CLI, its tests run.
wheel-test: wheel node-deps
	PYTHON=$(PYTHON) .ci/wheel-test dist/*.whl $(CDK)

deps: python-deps node-deps

python-deps: $(VENV)/.installed-python
node-deps: node_modules/.installed-node

$(VENV)/.installed-python: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $@

node_modules/.installed-node: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Refresh constraints.txt after changing dependency ranges in pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^constructs-pkg' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache site dist

# Benchmarks (not tests): plain CDK vs FunctionFleet at N = 10, 40 and 500 (docs/performance.md);
# the sticky canary router's work per request (docs/sticky-canary.md).
bench: python-deps
	$(BIN)/python -m benchmarks.fleet_bench
	$(BIN)/python -m benchmarks.router_bench

# Property tests with the long hypothesis profile (random seeds, many examples) and the
# measurements too slow for `make test` (a 57 MB baseline plan). Prints hypothesis statistics.
fuzz: python-deps
	CONSTRUCTS_PKG_HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q -s -m "property or long" \
		--hypothesis-show-statistics
