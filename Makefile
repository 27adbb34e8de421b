# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

## run: install into .venv and start the daemon in the foreground (Ctrl-C stops it)
run: $(STAMP_RUN)
	$(BIN)/newsmon run

## test: install with test extras into .venv, lint, type-check and run the whole suite
test: $(STAMP_TEST)
	$(BIN)/ruff check monitor tests bench
	$(BIN)/mypy monitor
	$(BIN)/python -m pytest

demo: $(STAMP_RUN)
	$(BIN)/newsmon demo

bench: $(STAMP_TEST)
	$(BIN)/python bench/poll.py
	$(BIN)/python bench/language.py
	$(BIN)/python bench/text.py
	$(BIN)/python bench/match.py
	$(BIN)/python bench/dedup.py --sizes 10000,100000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
