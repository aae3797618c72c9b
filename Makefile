# The two commands a new user needs: `make run` and `make test`. `make check` adds ruff and mypy.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: run test check lint typecheck bench db snapshot clean

# uv installs the same packages as pip from the same index in a few seconds instead of about forty; pip
# installs them if uv cannot be had.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet 'uv>=0.9,<1' || true
	@if test -x $(BIN)/uv; then $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'; \
	else $(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet -e '.[dev]'; fi
	@touch $(STAMP)

db: $(STAMP)
	$(BIN)/workbench init --if-missing

snapshot: db
	$(BIN)/workbench snapshot

run: $(STAMP)
	@$(BIN)/workbench init --if-missing
	@$(BIN)/workbench user first-director --email director@example.org --name "Program director"
	@$(BIN)/workbench snapshot
	$(BIN)/workbench serve --port $(PORT)

# The suite on every core (pytest-xdist, a test file per worker at a time: module fixtures are built once), one
# worker more than there are cores (browser journeys wait on Chromium), the files in tests/schedule.py's order.
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python bench/bench_matching.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
