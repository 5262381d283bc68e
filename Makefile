# The two commands: `make run` (set up, migrate, seed the demo, serve) and `make test` (set up, test).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test venv seed worker bench screenshots clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

venv: $(STAMP)

# An empty store is filled by the scheduler's first pull (newest days first, progress in the
# terminal and on the page) while the dashboard already serves.
run: venv
	$(PY) cli.py db upgrade
	$(PY) cli.py serve

test: venv
	$(PY) -m pytest

worker: venv
	$(PY) cli.py worker

screenshots: venv
	$(PY) -m tools.screenshots --out docs/screenshots

clean:
	rm -rf $(VENV) var/*.db var/*.db-wal var/*.db-shm
