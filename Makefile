# debate-search: `make serve` and `make test` are all a fresh clone needs.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.DEFAULT_GOAL := help
.PHONY: help install index serve test test-fast bench soak bench-scale lint clean

help: ## Show this list
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

install: $(STAMP) ## Create the virtualenv and install the project (pinned, CPU-only torch)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,distributed,tune]'
	@touch $@

index: install ## Build the default corpus's index if it is missing or stale
	$(BIN)/debate-search index

serve: install ## Serve API and page on 127.0.0.1:8000, building the index meanwhile if needed
	$(BIN)/debate-search serve --build

test: install ## Run every test, the slow ones included (what CI runs)
	$(BIN)/pytest -m "slow or not slow"

test-fast: install ## Run the fast tests only
	$(BIN)/pytest

bench: install ## Benchmarks: build, latency, memory, overload, answers, quotes, quality, backends -> bench-results/
	$(BIN)/python -m bench; status=$$?; $(BIN)/debate-search index --quiet && \
	  $(BIN)/python -m bench.load && $(BIN)/python -m bench.quotes && \
	  $(BIN)/python -m bench.quality && $(BIN)/python -m bench.backends && exit $$status

soak: install ## Overload levels, then 10 minutes at 4 clients: server memory -> bench-results/load.json
	$(BIN)/debate-search index --quiet && $(BIN)/python -m bench.load --soak 600

bench-scale: install ## Synthetic 10k/100k/1M-chunk indexes: build, recall, latency, memory -> bench-results/scale/
	$(BIN)/python -m bench.scale --chunks 1000000

lint: install ## Lint with ruff, type-check with mypy, and check the layers' imports (pyproject.toml)
	$(BIN)/ruff check indexer search_api tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean: ## Remove the virtualenv and built indexes
	rm -rf $(VENV) var bench-results
