# One command to run the advisor, one to run the tests; each sets itself up first.
# PYTHON=... picks the interpreter (3.11, 3.12 or 3.13) and VENV=... the folder of the venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WHEELHOUSE := wheelhouse
INTERPRETER = import os, platform, sys; print(os.path.realpath(sys.executable), platform.python_version())

.PHONY: demo test bench lint clean

# The stamp records the interpreter that made the venv. A PYTHON given on the command line or
# in the environment that names another one rebuilds the venv; a plain `make test` keeps it.
ifneq ($(filter command line environment,$(origin PYTHON)),)
ifneq ($(shell $(PYTHON) -c '$(INTERPRETER)' 2>/dev/null),$(shell cat $(STAMP) 2>/dev/null))
.PHONY: $(STAMP)
endif
endif

# durable-rules 2.0.28 does not import on 3.13 as released: tools/build_durable.py builds it
# with upstream's fix into wheelhouse/, which pip then prefers. 3.11 and 3.12 use the release.
$(STAMP): pyproject.toml
	@$(PYTHON) -c '' 2>/dev/null || { echo "cannot run PYTHON=$(PYTHON): set PYTHON to a Python 3.11, 3.12 or 3.13 interpreter" >&2; exit 2; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 14) else "imatinib-advisor needs Python 3.11, 3.12 or 3.13 (PYTHON=$(PYTHON) is %d.%d); set PYTHON to one of those" % v)'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@if $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 13))'; then \
		echo "$(BIN)/python tools/build_durable.py --wheelhouse $(WHEELHOUSE)"; \
		$(BIN)/python tools/build_durable.py --wheelhouse $(WHEELHOUSE); fi
	$(BIN)/pip install --quiet $$([ -d $(WHEELHOUSE) ] && echo --find-links $(WHEELHOUSE)) -e '.[test]'
	@$(PYTHON) -c '$(INTERPRETER)' > $(STAMP)

demo: $(STAMP)
	$(BIN)/advisor evaluate examples/neutropenia-grade3.yaml
	$(BIN)/advisor batch scenarios/

# The test command CI runs: lint the rulebooks, load and replay every bundled scenario,
# then the whole test suite.
test: $(STAMP)
	$(BIN)/advisor rules lint rulebooks/*.yaml
	$(BIN)/advisor batch --json scenarios/ examples/example-scenario.yaml examples/vignettes/ examples/blind/ examples/blind2/ examples/blind3/ examples/blind4/ examples/blind5/ examples/blind6/ examples/blind7/ examples/blind8/ examples/blind9/ examples/blind10/ > /dev/null
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/advisor rules lint rulebooks/*.yaml

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info $(WHEELHOUSE)
