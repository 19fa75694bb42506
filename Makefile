# The two commands a learner or contributor needs: `make lab` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kcourse-installed
PORT   ?= 8888

.PHONY: lab test test-frozen notebooks site bench soak lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kcourse needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

lab: $(STAMP)
	@scripts/system-deps.sh dot
	@$(BIN)/jupyter trust notebooks/*.ipynb >/dev/null
	$(BIN)/jupyter lab --ip 127.0.0.1 --port $(PORT) --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) "$(CURDIR)/notebooks/00-index.ipynb"

test: $(STAMP)
	@scripts/system-deps.sh dot chromium etcd kubectl
	$(BIN)/kcourse quiz lint kcourse/quiz/banks/
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbval notebooks/ --nbval-sanitize-with notebooks/sanitize.cfg

notebooks: $(STAMP)
	@scripts/system-deps.sh dot
	$(BIN)/python scripts/execute_notebooks.py

# The static course site (Jupyter Book 1, offline, from the stored outputs) into build/site/.
site: $(STAMP)
	$(BIN)/python scripts/build_site.py

# The full size (NODES=5000 PODS=150000) took 66 min and 14.4 GiB here (benchmarks/README.md), so the default is smaller.
NODES ?= 200
PODS  ?= 6000
bench: $(STAMP)
	@scripts/system-deps.sh dot
	$(BIN)/python benchmarks/run.py --nodes $(NODES) --pods $(PODS)

# The simulation's tests with every object the API server caches read-only (kcourse/sim/frozen.py): a
# component that changes an object it shares fails at the line that does it.
test-frozen: $(STAMP)
	KCOURSE_FREEZE=1 $(BIN)/python -m pytest tests/sim

soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest tests/properties

lint: $(STAMP)
	$(BIN)/ruff check kcourse tests benchmarks scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info test-artifacts
