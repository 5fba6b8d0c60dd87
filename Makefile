# The two commands of the README: `make serve` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 0.0.0.0
PORT ?= 5000

.PHONY: serve test lint typecheck bench check-bank clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench,redis,eventlet]'
	touch $@

serve: $(VENV)/.installed
	$(BIN)/quiz serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check quiz tests bench
	$(BIN)/ruff format --check quiz tests bench
	$(BIN)/mypy quiz/engine quiz/bank quiz/fair quiz/tournament quiz/audience
	$(BIN)/quiz bank check --strict question_bank
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check quiz tests bench
	$(BIN)/ruff format --check quiz tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy quiz/engine quiz/bank quiz/fair quiz/tournament quiz/audience

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
