# trialkg: `make run` builds the example graph, `make test` runs the tests, `make bench` the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench docs clean java

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/trialkg build
	$(BIN)/trialkg query --name lupus-sledai

# HermiT (the OWL reasoner behind `trialkg ontology check`) needs Java; install it where we can.
java:
	@command -v java >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null) || \
	  echo "Java not found and not installable here: the reasoner tests will be skipped"; }

test: $(STAMP) java
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run.py

docs: $(STAMP)
	$(BIN)/trialkg ontology docs -o docs/ontology

clean:
	rm -rf $(VENV) trialkg-data dist build
