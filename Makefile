# Common Ground. Everything installs itself: see scripts/setup.sh.
.PHONY: demo test bench lint clean

demo:  ## install, load the real data, serve on http://127.0.0.1:8000/ (HOST/PORT override)
	bash scripts/demo.sh

test:  ## install (incl. Debian chromium + postgresql), ruff, pytest on SQLite then PostgreSQL
	bash scripts/test.sh

bench:  ## point-in-area benchmark
	bash scripts/setup.sh bench && .venv/bin/python benchmarks/point_in_area.py

lint:
	bash scripts/setup.sh test && .venv/bin/ruff check .

clean:
	rm -rf .venv var test-artifacts
