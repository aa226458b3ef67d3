# paris-housing: `make run` runs the whole job on embedded defaults, `make test` tests it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_COMPILE_BYTECODE := 1
export UV_LINK_MODE := copy
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 180

# uv from PATH, else the uv package of python3 (installed by `make setup` when missing)
UV := $(or $(shell command -v uv 2>/dev/null),python3 -m uv)
VENV := .venv
BIN := $(VENV)/bin
CLI := $(BIN)/paris-housing
PYTEST_ARGS ?=
PACKAGES := paris_housing data_ingestion model_selection orchestration webservice monitoring flask_deployment
SOURCES := $(PACKAGES) tests benchmarks
# pytest's idioms: fixtures are arguments named like the fixture, test names are their docstrings
TEST_PYLINT := --disable=missing-function-docstring,redefined-outer-name,protected-access

.PHONY: help uv setup system-deps bench-deps run pipeline score deploy prefect-server ingest train serve predict web web-bundle test test-fast quality_checks format bench clean

help: ## Show the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

uv:
	@$(UV) --version >/dev/null 2>&1 || { \
	  echo "uv not found: installing it for this user (python3 -m pip install --user uv)"; \
	  python3 -m pip install --quiet --user --disable-pip-version-check uv; }

setup: uv ## Create .venv from uv.lock (idempotent; seconds when up to date)
	@$(UV) sync --frozen --extra dev --quiet
	@echo "environment ready: $(VENV) (activate with 'source $(BIN)/activate')"

run: setup ## The main job on embedded defaults: the training flow, then the API and the web form
	$(CLI) pipeline
	$(CLI) up

pipeline: setup ## Run the training flow with Prefect (ingest, validate, train, evaluate, promote)
	$(CLI) pipeline $(if $(SOURCE),--source $(SOURCE)) $(if $(CANDIDATES),--candidates $(CANDIDATES))

score: setup ## Score the newest period with the champion (PERIOD=n for another); predictions to the bucket
	$(CLI) score $(if $(PERIOD),--period $(PERIOD))

deploy: setup ## Serve the flows' deployments on the Prefect server at PREFECT_API_URL (see README)
	$(CLI) deploy

prefect-server: setup ## Start a local Prefect server with its UI on 127.0.0.1:4200
	$(BIN)/prefect server start --host 127.0.0.1 --port 4200

ingest: setup ## Ingest the dataset (SOURCE=auto|kaggle|shipped|path, BUCKET=uri)
	$(CLI) ingest --source $(or $(SOURCE),auto) $(if $(BUCKET),--bucket $(BUCKET))

train: setup ## Select, track, register and promote a model (CANDIDATES=linear,ridge,... to narrow)
	$(CLI) train $(if $(CANDIDATES),--candidates $(CANDIDATES))

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps: ## Install the Debian packages the tests need (headless chromium) when missing
	@test -x /usr/bin/chromium || { echo "installing chromium for the browser tests (apt-get)"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y --no-install-recommends chromium chromium-driver; }

serve: setup ## Serve the champion's API on 127.0.0.1:8000 (HOST, PORT, WORKERS to change)
	$(CLI) serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT)) $(if $(WORKERS),--workers $(WORKERS))

predict: setup ## Ask the running API to price the dataset's first home (ROW=n for another)
	$(CLI) predict --example $(if $(ROW),--row $(ROW))

web: setup ## Serve the web form on 127.0.0.1:5000 (embedded MongoDB unless MONGODB_URI is set)
	$(CLI) web

web-bundle: setup ## Write the web form as a PaaS buildpack folder (OUT=dir, default .local/web-bundle)
	$(CLI) web-bundle $(or $(OUT),.local/web-bundle)

test: setup system-deps ## Run every test (unit, data, integration against real servers on loopback)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: setup ## Run the tests that need no server (skips -m integration)
	$(BIN)/pytest -m "not integration" $(PYTEST_ARGS)

quality_checks: setup ## isort --check, black --check, pylint, the import contracts: all must be clean
	$(BIN)/isort --check-only --diff $(SOURCES)
	$(BIN)/black --check $(SOURCES)
	$(BIN)/pylint $(PACKAGES) benchmarks
	$(BIN)/pylint $(TEST_PYLINT) tests
	$(BIN)/lint-imports --no-cache

format: setup ## Apply isort and black
	$(BIN)/isort $(SOURCES)
	$(BIN)/black $(SOURCES)

bench-deps: ## Install wrk (Debian), the HTTP load generator of the benchmarks, when missing
	@command -v wrk >/dev/null || { echo "installing wrk for the benchmarks (apt-get)"; \
	  $(SUDO) apt-get install -y --no-install-recommends wrk || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y --no-install-recommends wrk; }; }

bench: setup bench-deps ## Run the benchmarks (BENCH="name ..." for some), print ratios, write bench-results/bench.json
	$(BIN)/python -m benchmarks $(BENCH)

clean: ## Remove generated state (.local: bucket, MLflow runs) but not the environment
	rm -rf .local .pytest_cache
