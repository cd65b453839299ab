# Two commands for a newcomer: `make run` and `make test`. Everything else is a step of those.
VENV := .venv
PY := $(VENV)/bin/python
# Tests run with production-like settings (DEBUG off); this key exists only for them.
TEST_ENV := DEBUG=false SECRET_KEY=test-only-secret-key-not-for-production

.PHONY: run test venv deps dev-deps lint check seed bench clean messages

$(VENV)/.created:
	@python=$$(scripts/find-python) && echo "Using $$python" && "$$python" -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@touch $@

$(VENV)/.deps: $(VENV)/.created requirements.txt
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev-deps: $(VENV)/.deps requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

## Set up and run the product on SQLite: web server + task worker (Ctrl-C stops both).
run: deps
	@scripts/dev-env
	$(PY) manage.py migrate --no-input
	@echo "In a second terminal, create your first login (an attorney): $(PY) manage.py create_attorney USERNAME EMAIL"
	@echo "Name the firm (every page and email): FIRM_NAME=... in .env. An API client: $(PY) manage.py create_integration NAME"
	scripts/run

## Set up and run the whole test suite (SQLite unless DATABASE_URL says otherwise).
test: dev-deps
	@scripts/ensure-chromium
	$(TEST_ENV) $(VENV)/bin/pytest $(ARGS)

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: dev-deps
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

## 10,000 demo leads in the configured database.
seed: deps
	$(PY) manage.py seed_leads --count 10000

## Benchmarks against PostgreSQL at 10,000 and 1,000,000 leads (by hand; needs wrk).
bench: dev-deps
	$(PY) bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles

## Translations: refresh locale/*/LC_MESSAGES/django.po from the public pages' and the prospect
## emails' strings (GNU gettext needed), then compile the .mo files that are committed beside them.
MESSAGES_IGNORE := --ignore=.venv --ignore=bench --ignore=staticfiles --ignore=test-artifacts --ignore=media \
	--ignore='*/tests/*' --ignore=leads/admin --ignore=templates/admin --ignore=leads/management --ignore=accounts \
	--ignore='templates/emails/lead_overdue*' --ignore='templates/emails/lead_quiet*' --ignore='templates/emails/overdue_summary*' \
	--ignore='templates/emails/digest*'
messages: dev-deps
	$(TEST_ENV) $(PY) manage.py makemessages --all --no-location --no-obsolete $(MESSAGES_IGNORE)
	$(TEST_ENV) $(PY) manage.py compilemessages --ignore=.venv
