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

.PHONY: synth plan rehearse test bench lint typecheck unit deps python-deps node-deps lock clean

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

test: python-deps lint typecheck unit

lint: python-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: python-deps
	$(BIN)/mypy

unit: python-deps
	$(BIN)/pytest -q

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
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache

# Benchmark (not a test): plain CDK vs FunctionFleet at N = 10, 40 and 500; see docs/performance.md.
bench: python-deps
	$(BIN)/python -m benchmarks.fleet_bench
