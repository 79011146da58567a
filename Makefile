PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv

.PHONY: env test-env demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip uv

env: $(BIN)/python
	$(UV) pip install --quiet --python $(BIN)/python -e .

test-env: $(BIN)/python
	$(UV) pip install --quiet --python $(BIN)/python -e '.[test]'

demo: env
	$(BIN)/retain demo

test: test-env
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/pytest -n 2

lint: test-env
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

bench: env
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/metrics.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
