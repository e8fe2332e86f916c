# Set-up and everyday commands. Each target creates .venv and installs the
# project into it first, so a fresh clone needs only `make render` or `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: render test bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $(INSTALLED)

render: $(INSTALLED)
	$(BIN)/python render.py --format all

test: $(INSTALLED)
	$(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python bench/render_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
