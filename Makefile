# trialkg: `make run` builds the example graph, `make test` runs the tests, `make bench` the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/trialkg build
	$(BIN)/trialkg query --name trial-overview

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run.py

docs: $(STAMP)
	$(BIN)/trialkg ontology docs -o docs/ontology

clean:
	rm -rf $(VENV) trialkg-data dist build
