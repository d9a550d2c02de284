# Parley: `make run` serves the product on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PORT ?= 8000

.PHONY: install run test lint bench bench-smoke fuzz lock clean messages

# Create .venv and install the locked versions: requirements-dev.lock is requirements.lock (what
# production images install) plus the test and lint tools, both compiled from pyproject.toml.
$(INSTALLED): requirements-dev.lock
	@echo "== Installing Parley's locked dependencies into $(VENV)/ (first run, or the lock changed; about a minute)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv \
		&& $(BIN)/uv pip install --python $(BIN)/python --compile-bytecode -q -r requirements-dev.lock \
		|| $(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.lock
	@touch $(INSTALLED)
	@echo "== Dependencies installed"

install: $(INSTALLED)

run: $(INSTALLED)
	@echo "== Preparing the database (SQLite in var/ unless DATABASE_URL is set)"
	@$(BIN)/python manage.py migrate --noinput -v 0
	@echo "== Demo data"
	@$(BIN)/python manage.py seed_demo --port $(PORT)
	@$(BIN)/python manage.py seed_self_service
	@$(BIN)/python manage.py seed_reports
	@$(BIN)/python manage.py seed_automation
	@echo "== Serving (Ctrl-C stops)"
	@$(BIN)/python manage.py serve --port $(PORT)

test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m bench.render --check

bench: $(INSTALLED)
	$(BIN)/python -m bench

# Every benchmark at a tiny scale, failing on its own checks (CI runs it after the suite).
bench-smoke: $(INSTALLED)
	$(BIN)/python -m bench --smoke

# The fuzzers of tests/fuzz/ at length (`make test` runs them on a small fixed budget): random
# examples, PARLEY_FUZZ_EXAMPLES per test (default 200), failures kept in var/hypothesis/ and
# tried first next time. FUZZ_EXAMPLES=2000 make fuzz goes further.
fuzz: $(INSTALLED)
	PARLEY_FUZZ_PROFILE=fuzz PARLEY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz $(PYTEST_ARGS)

# Refresh the lock after editing pyproject.toml's dependencies.
lock: $(INSTALLED)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --group dev --python-version 3.11 -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# The desk's words in its languages (agents.models.DESK_LANGUAGES): gathers new and changed ones
# into locale/*/LC_MESSAGES/django.po and djangojs.po and compiles what is there. Translate the
# empty entries, then run it again (the .mo files are committed; tests/desk/test_desk_catalogues.py
# fails while any entry is empty).
MESSAGE_IGNORES := --ignore=.venv --ignore=tests --ignore=bench --ignore=docs --ignore=var --ignore=test-artifacts --ignore=staticfiles
messages: $(INSTALLED)
	$(BIN)/python manage.py makemessages -l fr -l es -l pt --no-location --no-obsolete $(MESSAGE_IGNORES)
	$(BIN)/python manage.py makemessages -d djangojs -l fr -l es -l pt --no-location --no-obsolete $(MESSAGE_IGNORES) --ignore='static/vendor/*' --ignore='static/widget/*' --ignore='static/helpcenter/*'
	$(BIN)/python manage.py compilemessages --ignore=.venv
