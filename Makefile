# The two set-up commands of the README: `make demo` (live counting from the simulated BLE sensor) and
# `make test`. Both create the virtual environment .venv and install the project into it first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: install demo test bench
install: $(STAMP)

demo: $(STAMP)
	$(BIN)/imu live --sim --overwrite --out demo-session

test: $(STAMP)
	bash scripts/ensure_chromium.sh || echo "chromium unavailable: the report browser test will say so"
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.engine_bench
