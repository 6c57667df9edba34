# Two commands on a fresh machine (see README.md):
#   make book   set up .venv, execute every chapter, build the HTML book into _build/html
#   make test   lint, unit tests, every chapter under nbval, strict book build, real-browser check,
#               every chapter in the Colab stand-in (make colab)
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Extra pip options, e.g. PIP_EXTRA="--extra-index-url https://download.pytorch.org/whl/cpu"
# on machines without a local CPU wheel of torch 2.13.0.
PIP_EXTRA ?=
BOOK_ENV := SUPERSCALE_BOOK_BUILD=1 PYTHONHASHSEED=0
CHROMIUM ?= /usr/bin/chromium
# The Colab stand-in: Colab's package versions in their own environment (tools/colab/README.md).
COLAB_VENV := .venv-colab
COLAB_STAMP := $(COLAB_VENV)/.installed

.PHONY: book test lint unit notebooks book-strict browser colab vendor setup-cells clean help
.DEFAULT_GOAL := help

help:
	@echo "make book  - build the book into _build/html (creates .venv on first use)"
	@echo "make test  - run every check (lint, unit tests, notebooks, strict build, browser)"

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(PIP_EXTRA) -r requirements.txt
	$(BIN)/python -m pip check
	touch $(STAMP)

# plotly.js for the static book, copied from the installed plotly so the versions always match.
# MathJax 3.2.2 with its fonts, from the pinned PyPI package sphinx-mathjax-offline==0.0.2 (requirements.txt;
# its static/mathjax is MathJax's es5 folder, file for file the npm package mathjax@3.2.2): the book serves
# it as _static/mathjax (mathjax_path in _config.yml), so no page asks a CDN. The other combined bundles
# (SVG output, MathML-only, node) are left out: 10 MB instead of 24 MB.
vendor: $(STAMP)
	@mkdir -p _vendor/static
	@$(BIN)/python -c "import plotly, pathlib, shutil; src = pathlib.Path(plotly.__file__).parent / 'package_data' / 'plotly.min.js'; shutil.copyfile(src, '_vendor/static/plotly.min.js')"
	@$(BIN)/python -c "import importlib.util, pathlib, shutil, sys; spec = importlib.util.find_spec('sphinx-mathjax-offline'); spec or sys.exit('MathJax is missing: pip install -r requirements.txt (sphinx-mathjax-offline)'); src = pathlib.Path(spec.submodule_search_locations[0]) / 'static' / 'mathjax'; (src / 'tex-mml-chtml.js').is_file() or sys.exit(f'no tex-mml-chtml.js in {src}'); shutil.rmtree('_vendor/static/mathjax', ignore_errors=True); shutil.copytree(src, '_vendor/static/mathjax', ignore=lambda d, names: [n for n in names if d == str(src) and n.endswith('.js') and n not in ('tex-mml-chtml.js', 'loader.js', 'startup.js', 'core.js', 'latest.js')])"

# The set-up cells of the chapters and workbook notebooks, and the workbook's Colab (exercise) versions.
setup-cells: $(STAMP)
	$(BIN)/python tools/sync_setup_cells.py --check
	$(BIN)/python tools/make_workbook.py --check

book: $(STAMP) vendor
	rm -rf _build
	$(BOOK_ENV) $(BIN)/jupyter-book build --all .
	@echo "Book built. Start page: $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check $(wildcard lib tests tools benchmarks book)
	$(BIN)/ruff format --check $(wildcard lib tests tools benchmarks)

unit: $(STAMP) setup-cells
	$(BIN)/python -m pytest -q tests

notebooks: $(STAMP)
	$(BOOK_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env book

# Warnings are errors; every chapter re-executed from a clean _build (no stale cache).
book-strict: $(STAMP) vendor
	rm -rf _build
	$(BOOK_ENV) $(BIN)/jupyter-book build -W -n --keep-going --all .
	@echo "Book built. Start page: $(CURDIR)/_build/html/index.html"

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	 else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi

browser: $(STAMP) $(CHROMIUM)
	$(BIN)/python tools/check_html.py --selftest
	$(BIN)/python tools/check_html.py _build/html
	$(BIN)/python tools/check_explorer.py --selftest
	$(BIN)/python tools/check_explorer.py _build/html

# --no-compile: installing torch takes half the time (25 s instead of 53 s here); imports write their .pyc.
$(COLAB_STAMP): tools/colab/colab-versions.txt tools/colab/google/colab/__init__.py | $(STAMP)
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required"; exit 1; }
	rm -rf $(COLAB_VENV)
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install -q pip==24.1.2
	$(COLAB_VENV)/bin/python -m pip install -q --no-compile --only-binary=:all: $(PIP_EXTRA) -r tools/colab/colab-versions.txt
	$(COLAB_VENV)/bin/python -m pip check
	$(BIN)/python tools/colab_check.py --prepare $(COLAB_VENV)
	touch $(COLAB_STAMP)

# Every chapter top to bottom as in Colab (set-up cell clones the repository from a local git URL),
# live sliders moved; fails if a set-up cell changes numpy, torch or plotly. Runs the commit at HEAD.
# --workbook: the workbook's exercise versions too (book/workbook/colab), their checks saying "not done yet".
colab: $(STAMP) $(COLAB_STAMP)
	$(BIN)/python tools/colab_check.py --venv $(COLAB_VENV) --workbook

test: lint unit notebooks book-strict browser colab
	@echo "make test: all checks passed"

clean:
	rm -rf _build _vendor
