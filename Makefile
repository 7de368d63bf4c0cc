# The two commands a newcomer runs: `make report` and `make test`.
# Each sets up what it needs: a .venv with the package and its test extras.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test report notebook bench sims lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

report: $(STAMP)
	$(PY) -m hpo_insights report --out reports/example

# Open the example report's notebook in JupyterLab (installs the `jupyter` extra once).
JUPYTER_STAMP := $(VENV)/.jupyter
$(JUPYTER_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,jupyter]'
	touch $(JUPYTER_STAMP)

notebook: $(JUPYTER_STAMP)
	test -f reports/example/report.ipynb || $(MAKE) report
	$(VENV)/bin/jupyter lab reports/example/report.ipynb

bench: $(STAMP)
	$(PY) bench/import_time.py
	$(PY) bench/analyses.py
	$(PY) bench/importance_speed.py
	$(PY) bench/guard.py
	$(PY) bench/report_time.py
	$(PY) bench/curves_speed.py

# The simulations behind docs/statistics.md, docs/curves.md and docs/benchmarks.md (tens of minutes each),
# and the 20,000-trial storage read (bench/load.py; writing the storage takes long).
sims: $(STAMP)
	$(PY) bench/importance_sim.py
	$(PY) bench/trend_sim.py
	$(PY) bench/budget_sim.py
	$(PY) bench/fidelity_sim.py
	$(PY) bench/progress_sim.py
	$(PY) bench/progress_tpe.py
	$(PY) bench/pruning_sim.py
	$(PY) bench/importance_vs_optuna.py --quick
	$(PY) bench/load.py

lint: $(STAMP)
	$(PY) -m ruff check hpo_insights tests bench

clean:
	rm -rf $(VENV) reports .pytest_cache .hypothesis
