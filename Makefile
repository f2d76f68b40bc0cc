# The two commands of the README (demo: the six-site report; test: the test suite) and report (any SPEC into OUT). Each creates .venv (and installs the package into it) when missing.
PYTHON ?= python3
VENV ?= .venv
SPEC ?= analyses/peer_support_implementation.yaml
OUT ?= out/report
PY := $(VENV)/bin/python

.PHONY: demo report test lint typecheck docs format bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m psychometrics report analyses/peer_support_implementation.yaml --out out/peer_support --jobs 2

# Any spec without activating the venv: make report SPEC=analyses/holzinger_swineford.yaml OUT=out/hs
report: $(VENV)/.installed
	$(PY) -m psychometrics report $(SPEC) --out $(OUT)

# the suite with the docstring examples, lint, type check and the documentation build (warnings are errors)
test: lint typecheck docs
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(PY) -m ruff check psychometrics tests benchmarks
	$(PY) -m ruff format --check psychometrics tests benchmarks

typecheck: $(VENV)/.installed
	$(PY) -m mypy

docs: $(VENV)/.installed
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

format: $(VENV)/.installed
	$(PY) -m ruff format psychometrics tests benchmarks

bench: $(VENV)/.installed
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info docs/_build
