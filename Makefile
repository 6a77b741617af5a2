# medstream: `make run` serves the portal and API; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format check bench-engine bench-adversarial bench cluster clean fuzz soak

$(BIN)/python:
	PYTHON=$(PYTHON) scripts/bootstrap-venv.sh $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# The demo runs as production does, DEBUG off (README, "Two commands"): a debug page would show
# whoever causes an error the request's data, patients' included.
run: $(VENV)/.runtime-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_demo_users
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "medstream on http://127.0.0.1:$(PORT)/ (admin /admin/, API /api/docs/)"
	$(BIN)/python -m medstream.serve --bind 127.0.0.1 --port $(PORT)

test: $(VENV)/.dev-installed
	scripts/system-packages.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-engine: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks.engine_bench

# The slowest 10,000-character notes found (hand-made and by hypothesis), read and validated on
# one core against the 50 ms target (README, "Adversarial notes"); BENCH_ARGS="--examples 1000".
bench-adversarial: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks.adversarial_notes $(BENCH_ARGS)

# Side by side in one run: bare websockets, daphne alone, medstream embedded and on Redis +
# PostgreSQL; cross-worker delivery; 5,000 idle sockets; the engine alone (README, "Performance").
bench: $(VENV)/.dev-installed
	scripts/system-packages.sh
	$(BIN)/python -m benchmarks.stream_bench $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.layers

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis test-artifacts

cluster: $(VENV)/.dev-installed
	scripts/system-packages.sh
	$(BIN)/python -m devtools.cluster --port $(PORT)

# Hypothesis against live daphne workers (embedded and PostgreSQL + Redis): 10,000 frames each.
fuzz: $(VENV)/.dev-installed
	scripts/system-packages.sh
	MEDSTREAM_FUZZ_PROFILE=fuzz $(BIN)/pytest tests/live/test_fuzz.py $(PYTEST_ARGS)

# 200 sockets of four users coming and going at random on two workers with Redis + PostgreSQL
# while streams run back to back (README, "A run never waits on a follower"); exit 1 on any
# failure. SOAK_SECONDS=120 make soak for a shorter run.
SOAK_SECONDS ?= 600
SOAK_SOCKETS ?= 100,50,25,25
soak: $(VENV)/.dev-installed
	scripts/system-packages.sh
	$(BIN)/python -m benchmarks.soak --seconds $(SOAK_SECONDS) --sockets-per-user $(SOAK_SOCKETS)
