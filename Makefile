# Parley: `make run` serves the product on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PORT ?= 8000

.PHONY: install run test lint bench lock clean

# Create .venv and install the locked versions: requirements-dev.lock is requirements.lock (what
# production images install) plus the test and lint tools, both compiled from pyproject.toml.
$(INSTALLED): requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv \
		&& $(BIN)/uv pip install --python $(BIN)/python -q -r requirements-dev.lock \
		|| $(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.lock
	@touch $(INSTALLED)

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo --port $(PORT)
	$(BIN)/python manage.py serve --port $(PORT)

test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(INSTALLED)
	$(BIN)/python -m bench

# Refresh the lock after editing pyproject.toml's dependencies.
lock: $(INSTALLED)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --group dev --python-version 3.11 -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
