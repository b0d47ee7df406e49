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

# Every script under benchmarks/ (tests/test_architecture.py checks that none is left
# out). Each prints its figures with the baseline measured in the same run; they read the
# shared data from ../shared/benchmarks. A listed script that is not in this checkout is
# reported and makes the target fail at the end, after the others have run.
BENCHMARKS := ingest_speed annomi_suggest suggest_speed embed_backends review_roundtrip \
              summarize_annomi annomi_ceiling flow_overhead audit_annomi refi_roundtrip \
              zero_shot learning_curve hostile_inputs scale pseudonymise unit_rollup phase_units \
              qdpx_import_memory int8_recipes learn_speed fine_tune annomi_end_to_end \
              fit_by_length onnx_wrapper ranking_variants queue_speed fit_sample_cost \
              temperature_widening codebook_styles int8_recheck fit_two_stage backend_quality

benchmarks: setup
	@missing=""; for name in $(BENCHMARKS); do \
	  if [ -f benchmarks/$$name.py ]; then \
	    echo "== benchmarks/$$name.py"; $(BIN)/python benchmarks/$$name.py || exit 1; \
	  else missing="$$missing $$name.py"; fi; \
	done; \
	if [ -n "$$missing" ]; then echo "listed in the Makefile but missing from benchmarks/:$$missing"; exit 1; fi
