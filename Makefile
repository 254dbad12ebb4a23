# The two Quick start commands are `make demo` and `make test`; both work on a
# machine with only python3, git and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# .ci/constraints.txt pins the versions CI last passed with: without it pip can spend
# half an hour backtracking through botocore releases (aiobotocore pins botocore exactly).
$(STAMP): pyproject.toml .ci/constraints.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -c .ci/constraints.txt -e '.[test,lint,bench,remote,dask]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m gittrain.demo

test: $(STAMP)
	$(PY) -m pytest -q -p no:randomly

lint: $(STAMP)
	$(VENV)/bin/ruff check gittrain tests bench
	$(VENV)/bin/ruff format --check gittrain tests bench
	$(VENV)/bin/mypy --strict gittrain

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
