# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make demo   -> creates .venv, installs the project, compares the three setups on the default scenario
#   make test   -> same set-up, then the whole test suite
# and, to edit against, make check -> lint, types and the fast tier of the tests (under two minutes on two cores)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
REPS   ?= 5
OUT    ?= results/demo
BEHAVIOUR_OUT ?= results/behaviour
# Debian's package, for the screenshots of the report, the dashboard and the docs site (make figures)
CHROMIUM ?= chromium

# the docs site's builder (Material's notice about its successor is not a warning of ours)
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs

# the dashboard's address (make dashboard) and the docs site's (make serve-docs)
PORT   ?= 5006
DOCS_PORT ?= 8000

.PHONY: demo test check lint build bench bench-year docs serve-docs figures golden clean dashboard behaviour

# the install compiles the hot core with mypyc when a C compiler is there (setup.py), else installs pure Python
$(BIN)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(BIN)/.built

# the compiled core again after an edit of sim/core (until then the sources run, with a warning: sim/_build.py)
$(BIN)/.built: $(BIN)/.installed $(wildcard sim/core/*.py)
	$(BIN)/python setup.py --quiet build_ext --inplace
	touch $@

build: $(BIN)/.built

demo: $(BIN)/.built
	$(BIN)/omnisim compare scenarios/default.yaml --replications $(REPS) --out $(OUT) --force   # make owns $(OUT): replaced whole

# the default across plausible behaviour (README, the report's screenshot): 16 sets of behaviour drawn from the
# evidence register's ranges, the break-evens of the top two parameters, the waterfall by capability; four
# replications of the default's four measured weeks each
behaviour: $(BIN)/.built
	$(BIN)/omnisim compare scenarios/default.yaml --replications 4 --assumptions 16 \
		--break-evens 2 --decompose --out $(BEHAVIOUR_OUT) --force

test: $(BIN)/.built
	$(BIN)/ruff check sim tests bench
	$(BIN)/mypy   # the whole package: files and settings in pyproject.toml
	$(MKDOCS) build --strict --quiet   # the docs site: a broken link, anchor or missing page fails (site/)
	$(BIN)/python -m pytest -n 2 --durations=15 tests   # tests/test_notebooks.py executes every notebook in a real kernel

# the fast tier: what is marked slow (the slowest tests; all that need chromium or a Dask cluster) is left to make test
check: $(BIN)/.built
	$(BIN)/ruff check sim tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -m "not slow" tests

# the dashboard for strategists and consultants, on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)
dashboard: $(BIN)/.built
	$(BIN)/python -m sim.interfaces.dashboard --address 127.0.0.1 --port $(PORT)

bench: $(BIN)/.built
	$(BIN)/python bench/run.py --json bench/last.json
	$(BIN)/python bench/parallel.py --wait-idle 60 --json bench/parallel.json
	$(BIN)/python bench/scale.py --json bench/scale.json

# a whole year of the national chain, measured rather than extrapolated (about a quarter of an hour)
bench-year: $(BIN)/.built
	$(BIN)/python bench/scale.py --days 28 365 --json bench/year.json

# regenerate the golden outputs (tests/golden.json) after a change meant to change numbers; review the diff
golden: $(BIN)/.built
	$(BIN)/python -m tests.golden --write

# the docs site: the pages generated from the code (scenario fields and JSON Schema, evidence register, KPI
# glossary, command line, Python API, benchmarks), then the site itself in site/ (open site/index.html; make test
# builds it with --strict too)
docs: $(BIN)/.installed
	$(BIN)/omnisim kpis --into docs/reference/kpis.md
	$(BIN)/omnisim reference --markdown docs/reference/scenario-fields.md --schema docs/scenario.schema.json \
		--evidence docs/reference/evidence-register.md --cli docs/reference/cli.md --api docs/reference/api.md \
		--benchmarks docs/reference/benchmarks.md
	$(MKDOCS) build --strict --quiet

# the docs site on http://127.0.0.1:$(DOCS_PORT)/, rebuilt as pages change (Ctrl-C stops it)
serve-docs: $(BIN)/.installed
	$(MKDOCS) serve --dev-addr 127.0.0.1:$(DOCS_PORT)

# the charts and screenshots the README and the docs show (about 20 minutes: the demo and make behaviour run):
# the demo's charts, the report's, the dashboard's and the docs site's home page in Debian's chromium
figures: demo behaviour docs
	mkdir -p docs/img
	cp $(OUT)/kpis.png $(OUT)/differences.png $(OUT)/changes.png docs/img/
	cp $(BEHAVIOUR_OUT)/tornado.png $(BEHAVIOUR_OUT)/waterfall.png docs/img/
	$(BIN)/omnisim report $(BEHAVIOUR_OUT)
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000 \
		--window-size=1280,900 --screenshot=$(abspath docs/img/report.png) file://$(abspath $(BEHAVIOUR_OUT))/report.html
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m tests.browser $(abspath docs/img/dashboard.png) \
		'?scenario=default&days=3&replications=3&workers=2'   # a few seconds' comparison, run through the page
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000 \
		--window-size=1280,900 --screenshot=$(abspath docs/img/site.png) file://$(abspath site)/index.html

clean:
	rm -rf $(VENV) results site .pytest_cache build sim/core/*.so sim/core/_compiled.json
