# The commands the README shows. `make demo` and `make test` set up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-study

.PHONY: setup demo test test-fast benchmarks clean-demo

$(BIN)/deductive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU wheel first: otherwise pip resolves torch to a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/deductive

setup: $(BIN)/deductive

demo: setup
	rm -rf $(DEMO)
	$(BIN)/deductive init $(DEMO) --codebook codebook/demo_study.yaml
	$(BIN)/deductive ingest $(DEMO) data/documents
	$(BIN)/deductive status $(DEMO)

test: setup
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not integration"

clean-demo:
	rm -rf $(DEMO)
