# The commands the README shows. `make demo` and `make test` set up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-study

.PHONY: setup demo test test-fast benchmarks docs clean-demo

$(BIN)/deductive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU wheel first: otherwise pip resolves torch to a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/deductive

setup: $(BIN)/deductive

# The whole loop on the shipped demo study: ingest, segment, suggest, queue, the two
# fictional coders' workbooks (data/reviews), summaries and audit.
demo: setup
	rm -rf $(DEMO)
	$(BIN)/deductive demo $(DEMO)

test: setup
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not integration"

# Every picture in docs/: a fresh demo run rendered by LibreOffice, pdftoppm and Chromium.
docs: setup
	$(BIN)/python docs/screenshots.py

clean-demo:
	rm -rf $(DEMO)
