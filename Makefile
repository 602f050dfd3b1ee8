# pgbook: `make book` builds the book, `make test` runs every test.
# Both create the environment in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The venv's bin first, so the notebook kernel is the venv's python (with pgbook).
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: book test bench env vendor clean

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml tools/jupyterlab-overrides.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@# JupyterLab opens the .md chapters as notebooks (jupytext), not as text
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp tools/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

vendor:
	$(BIN)/python tools/vendor_assets.py

book: env vendor
	@# the chapters run two at a time into the execution cache, then jupyter-book builds
	@# with -W -n (tools/build_book.py: widgets in their static mode, inline figures)
	$(BIN)/python tools/build_book.py
	@echo
	@echo "The book: $(CURDIR)/_build/html/index.html"

test: env vendor
	$(BIN)/python -m pytest

bench: env vendor
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf _build
