# The two commands a newcomer runs: `make report` and `make test`.
# Each sets up what it needs: a .venv with the package and its test extras.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test report bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

report: $(STAMP)
	$(PY) -m hpo_insights report --out reports/example

bench: $(STAMP)
	$(PY) bench/import_time.py
	$(PY) bench/analyses.py

lint: $(STAMP)
	$(PY) -m ruff check hpo_insights tests bench

clean:
	rm -rf $(VENV) reports .pytest_cache .hypothesis
