# The two commands of the README: `make serve` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 0.0.0.0
PORT ?= 5000
# The versions CI tested (`make constraints` rewrites it from the test venv).
CONSTRAINTS := constraints.txt
# Dependency wheels for the offline install tests (tests/packaging), filled once from the index.
WHEELHOUSE := .wheelhouse

.PHONY: serve test lint typecheck bench check-bank clean constraints bundle

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg setup.py pyproject.toml $(CONSTRAINTS)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[test,bench,redis,eventlet]'
	touch $@

$(WHEELHOUSE)/.complete: $(VENV)/.installed setup.cfg $(CONSTRAINTS)
	rm -rf $(WHEELHOUSE)
	$(BIN)/python -m pip wheel --quiet -c $(CONSTRAINTS) -w $(WHEELHOUSE) .
	rm -f $(WHEELHOUSE)/quiz-*.whl
	touch $@

# From a checkout the data folder (database, host token, exports, backups) is ./instance;
# an installed quiz uses the user data folder (README). Override: QUIZ_DATA_DIR=... make serve
serve: $(VENV)/.installed
	QUIZ_DATA_DIR="$${QUIZ_DATA_DIR:-instance}" $(BIN)/quiz serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test $(WHEELHOUSE)/.complete
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

# Pin what the test venv runs: the versions make serve, the wheel tests and the bundle install.
constraints: $(VENV)/.installed-test
	{ echo "# Versions tested by make test (regenerate: make constraints)."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -viE '^(quiz|pip)=='; } > $(CONSTRAINTS)

# An offline installer for Linux and Windows x86-64 laptops: dist/quiz-offline-*/ and its .zip.
bundle: $(VENV)/.installed-test
	$(BIN)/python -m quiz.server.bundle --constraints $(CONSTRAINTS) --out dist

clean:
	rm -rf $(VENV) $(WHEELHOUSE) instance .pytest_cache .mypy_cache .ruff_cache
