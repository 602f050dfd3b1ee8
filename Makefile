# pgbook: `make book` builds the book, `make test` runs every test.
# Both create the environment in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
INLINE := module://matplotlib_inline.backend_inline
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
	@# the chapters' kernels draw with the inline backend, whatever the caller's MPLBACKEND;
	@# widgets draw every state of their controls while the book is built (pgbook.widgets.core).
	@# Only here: the tests' live kernels must see live widgets (conftest builds with it set).
	PGBOOK_STATIC_WIDGETS=1 MPLBACKEND=$(INLINE) $(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo
	@echo "The book: $(CURDIR)/_build/html/index.html"

test: env vendor
	$(BIN)/python -m pytest

bench: env vendor
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf _build
