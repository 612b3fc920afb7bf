# The two commands a newcomer needs: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## built-in library -> mined pairs -> rendered contact sheet in ./demo_out/
	$(BIN)/autocompose demo --out demo_out

test: $(STAMP)  ## lint, then the test suite (exit code 5, "no tests collected", counts as failure)
	scripts/ensure-chromium.sh  # the browser test drives Debian's chromium: apt-get installs it when missing
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_describe.py
	$(BIN)/python bench/bench_retrieval.py
	$(BIN)/python bench/bench_mllm_client.py
	$(BIN)/python bench/bench_serve.py
	$(BIN)/python bench/bench_real_motion.py

clean:
	rm -rf $(VENV) demo_out .pytest_cache
