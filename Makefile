# ExecutionCore: `make demo` and `make test` work on a fresh clone (they create .venv).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint format bench bench-peers faults fuzz-full clean check-ib-insync accel

# ACCEL=0: skip compiling the hot modules and run everything as plain Python (same results)
ACCEL ?= 1
ifeq ($(ACCEL),0)
export EXECUTIONCORE_PURE := 1
endif

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,accel]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# the hot modules compiled with Cython into the venv (executioncore/accel): only what changed is
# rebuilt, and an edited .py runs as Python until then, so a stale build never runs. A failed
# build (no C compiler, say) is reported and ignored: plain Python gives the same results, and
# in CI tests/accel fails when the suite does not run compiled.
accel: $(STAMP)
ifneq ($(ACCEL),0)
	-$(BIN)/executioncore accel build
endif

demo: $(STAMP) accel
	$(BIN)/executioncore demo

test: $(STAMP) accel lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) accel
	$(BIN)/python benches/run_throughput.py $(BENCH_ARGS)

bench-peers: $(STAMP) accel
	$(BIN)/python benches/peers.py $(BENCH_ARGS)

# the full live fault matrices: every fault kind of each local venue (alpaca, ibkr) x seeds 1-3
# (make test: one seed per kind; BENCH_ARGS="--venue ibkr" for one venue)
faults: $(STAMP)
	$(BIN)/python benches/fault_matrix.py $(BENCH_ARGS)

# the property-testing kit at full count (docs/TESTING.md): 1000 generated examples, as a bench
fuzz-full: $(STAMP)
	$(BIN)/python benches/fuzz_kit.py --examples 1000 $(BENCH_ARGS)

# The IBKR adapter's tests with ib_insync instead of ib_async (the adapter's import fallback), in
# a venv of its own: ib_async's aeventkit and ib_insync's eventkit install the same package, so
# the two cannot share one. It lives inside .venv (ignored by git and ruff; make clean removes
# it). The local venue's own tests (and their conftest) use ib_async as their oracle: they are
# left out (--noconftest; tests/ on the path for seed_config). Not part of make test.
INSYNC := $(VENV)/insync

check-ib-insync:
	test -x $(INSYNC)/bin/python || $(PYTHON) -m venv $(INSYNC)
	$(INSYNC)/bin/python -m pip install --quiet --upgrade pip
	$(INSYNC)/bin/python -m pip install --quiet -e '.[test]'
	$(INSYNC)/bin/python -m pip uninstall --quiet -y ib_async aeventkit
	$(INSYNC)/bin/python -m pip install --quiet --force-reinstall --no-deps eventkit
	$(INSYNC)/bin/python -m pip install --quiet 'ib_insync>=0.9.86'
	$(INSYNC)/bin/python -c "from live.adapters.ibkr import ib_api; assert ib_api.LIBRARY == 'ib_insync', ib_api.LIBRARY"
	PYTHONPATH=tests $(INSYNC)/bin/python -m pytest --noconftest -q \
		tests/unit/live/test_ibkr_*.py tests/adapters/ibkr/test_adapter_ibkr_*.py

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis .benchmarks
