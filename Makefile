# One command to run the advisor, one to run the tests; each sets itself up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 13) else "imatinib-advisor needs Python 3.11 or 3.12 (durable-rules does not import on 3.13); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/advisor evaluate examples/neutropenia-grade3.yaml
	$(BIN)/advisor batch scenarios/

# The test command CI runs: lint the rulebooks, load and replay every bundled scenario,
# then the whole test suite.
test: $(STAMP)
	$(BIN)/advisor rules lint rulebooks/*.yaml
	$(BIN)/advisor batch --json scenarios/ examples/example-scenario.yaml examples/vignettes/ > /dev/null
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/advisor rules lint rulebooks/*.yaml

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
