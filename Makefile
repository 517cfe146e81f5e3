# Common Ground. Everything installs itself: see scripts/setup.sh.
.PHONY: demo serve test bench lint lock clean

demo:  ## install, load the real data, serve on http://127.0.0.1:8000/ (HOST/PORT override)
	bash scripts/demo.sh

HOST ?= 127.0.0.1
PORT ?= 8000
serve:  ## production: install, migrate, serve with gunicorn (WORKERS, default one per CPU) and the background worker on HOST:PORT
	bash scripts/setup.sh
	.venv/bin/python manage.py migrate --noinput
	.venv/bin/commonground serve --host $(HOST) --port $(PORT) $(if $(WORKERS),--workers $(WORKERS))

test:  ## install (incl. Debian chromium + postgresql), lint, pytest on SQLite then PostgreSQL
	bash scripts/test.sh

ROWS ?= 1000000
bench:  ## all benchmarks (point in area, ingest, row query, lens, register pages, feeds, grant reads at ROWS rows; England): make bench ROWS=100000
	bash scripts/setup.sh bench
	.venv/bin/python benchmarks/point_in_area.py --points $(ROWS)
	.venv/bin/python benchmarks/ingest.py --rows $(ROWS)
	.venv/bin/python benchmarks/row_query.py --rows $(ROWS)
	.venv/bin/python benchmarks/lens.py --points $(ROWS)
	.venv/bin/python benchmarks/projects.py
	.venv/bin/python benchmarks/feeds.py --observations $$(( $(ROWS) * 10 ))  # 10 observations a row
	.venv/bin/python benchmarks/grant_reads.py --rows $(ROWS)
	.venv/bin/python benchmarks/england.py  # all of England: load, command line, pages (ROWS does not apply)

lint:  ## ruff (style, bandit-style security, complexity), import contracts, mypy on the pure core
	bash scripts/setup.sh test
	.venv/bin/ruff check .
	.venv/bin/lint-imports --no-cache --no-logo
	.venv/bin/mypy

lock:  ## re-resolve pyproject.toml into constraints.txt, the versions setup installs; commit it
	bash scripts/lock.sh

clean:
	rm -rf .venv var test-artifacts
