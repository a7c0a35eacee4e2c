# ExecutionCore: `make demo` and `make test` work on a fresh clone (they create .venv).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint format bench bench-peers faults clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/executioncore demo

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benches/run_throughput.py $(BENCH_ARGS)

bench-peers: $(STAMP)
	$(BIN)/python benches/peers.py $(BENCH_ARGS)

# the full live fault matrix: every fault kind of the local venue x seeds 1-3 (make test: one seed)
faults: $(STAMP)
	$(BIN)/python benches/fault_matrix.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis .benchmarks
