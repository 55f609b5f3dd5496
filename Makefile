# The two commands: `make run` (fresh machine → served site) and `make test` (set up → whole suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAILYPAPERS_HOME ?= $(CURDIR)/var
DEMO_DATA ?= ../shared/data/hf-daily-papers.jsonl.gz
DEMO_MARK := $(DAILYPAPERS_HOME)/.demo-imported
# axe-core for the accessibility tests, from tests/browser/package-lock.json (npm writes this file).
AXE := tests/browser/node_modules/.package-lock.json

.PHONY: run test venv lint test-sqlite test-postgres bench-import bench-http clean

$(BIN)/dailypapers: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

venv: $(BIN)/dailypapers

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error

run: venv
	$(BIN)/dailypapers migrate --noinput
	$(BIN)/dailypapers collectstatic --noinput -v0
	@if [ -f "$(DEMO_DATA)" ] && [ ! -f "$(DEMO_MARK)" ]; then \
		$(BIN)/dailypapers import "$(DEMO_DATA)" && touch "$(DEMO_MARK)"; \
	elif [ ! -f "$(DEMO_DATA)" ]; then echo "No demo data at $(DEMO_DATA): starting with an empty site."; fi
	@echo
	@echo "  Site   http://$${BIND:-127.0.0.1:8000}/"
	@if [ -n "$$EMAIL_URL$$EMAIL_HOST$$EMAIL_BACKEND" ]; then echo "  Mail   sent as configured (EMAIL_URL / EMAIL_HOST)"; \
	else echo "  Mail   no SMTP configured: each message is a .eml file in $(DAILYPAPERS_HOME)/mail/"; fi
	@echo "  Admin  make an account for /admin/ with: DAILYPAPERS_HOME=$(DAILYPAPERS_HOME) $(BIN)/dailypapers createsuperuser"
	@echo
	$(BIN)/dailypapers serve

lint: venv
	$(BIN)/ruff check .
	$(BIN)/dailypapers makemigrations --check --dry-run

test-sqlite: venv $(AXE)
	$(BIN)/pytest -q

test-postgres: venv $(AXE)
	scripts/with-postgres $(BIN)/pytest -q

test: lint test-sqlite test-postgres

bench-import: venv
	scripts/with-postgres sh -c 'BENCH_POSTGRES_URL="$$DATABASE_URL" $(BIN)/python bench/import.py'

bench-http: venv
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) var tests/browser/node_modules
