# mmped developer commands. `make test` and `make demo` work from a fresh clone: both create the
# environment (.venv) first when it is missing or out of date.
PYTHON_ENV := .venv/bin/python
PYTEST_WORKERS ?= 2

.PHONY: env test lint demo mutation clean-env

env:
	bash tools/install_env.sh

test: env
	$(PYTHON_ENV) -m pytest -n $(PYTEST_WORKERS) --timeout 900 tests

lint: env
	$(PYTHON_ENV) -m ruff check .

# mutation check of the protocol, loss and module code (slow: not part of `make test` / CI).
# `make mutation MODULES="losses parsers"` checks some modules; the report is printed and kept
# in .mutation/<module>/summary.json (docs/testing.md). MUTATION_JOBS=2 tests 2 mutants at once.
MODULES ?=
mutation: env
	nice -n 10 $(PYTHON_ENV) tools/misc/mutation.py $(MODULES)

# main job: GDFL trained on a generated CityPersons-format dataset, evaluated with the real
# CityPersons miss-rate protocol; results and images in ./demo_out
demo: env
	$(PYTHON_ENV) -m mmped.utils.collect_env
	$(PYTHON_ENV) demo/gdfl_demo.py --out-dir demo_out

clean-env:
	rm -rf .venv mmped/.mim
