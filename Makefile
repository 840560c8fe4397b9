# chaintrail: `make demo` and `make test` do all the set-up on a fresh machine.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench bench-stores bench-quick setup clean lint

$(STAMP): pyproject.toml package.json package-lock.json
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	npm ci --ignore-scripts --no-audit --no-fund --silent
	touch $(STAMP)

SYSSTAMP := $(VENV)/.system-deps

$(SYSSTAMP): scripts/system-deps.sh | $(STAMP)
	sh scripts/system-deps.sh
	touch $(SYSSTAMP)

setup: $(STAMP) $(SYSSTAMP)

demo: $(STAMP)
	$(BIN)/chaintrail demo

test: $(STAMP) $(SYSSTAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) $(SYSSTAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP) $(SYSSTAMP)
	sh scripts/bench-deps.sh
	$(BIN)/python -m bench.stores
	$(BIN)/python -m bench.run --out bench/results.json

bench-stores: $(STAMP)
	$(BIN)/python -m bench.stores

bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick --out bench/results-quick.json

lint: $(STAMP)
	$(BIN)/python -m ruff check src tests bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache chaintrail-data
