# dipkit book: setup / book / test / reproduce.  `make help` lists the targets.
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PROFILE ?= quick
DEVICE  ?= auto
STAMP   := $(VENV)/.installed

.PHONY: help setup book lab test lint chromium test-capped-isa reproduce notebooks benchmark clean

help:
	@echo "make setup      create .venv and install requirements.txt + dipkit (editable)"
	@echo "make book       build the book from the committed notebooks -> _build/html/index.html"
	@echo "make lab        JupyterLab on copies of the chapters in runs/lab/ (CHAPTERS=01 for one), on 127.0.0.1"
	@echo "make test       lint, unit tests, nbval on every notebook, book build, browser check"
	@echo "make lint       ruff over dipkit/, tests/, benchmarks/ and the notebooks' code"
	@echo "make test-capped-isa  nbval on the notebooks (NOTEBOOKS=...) as a CPU with only SSE4.1 would run them"
	@echo "make reproduce  re-execute every chapter (PROFILE=quick|paper, DEVICE=auto|cpu|cuda) and build a book from the runs"
	@echo "make notebooks  re-execute the committed notebooks in place (the nbval baseline; quick profile, CPU)"
	@echo "make benchmark  DIP optimisation steps per second: the plain loop vs the speed layer tried and dropped (chapter 02)"

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3"
	@touch $@

book: setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Book: $(CURDIR)/_build/html/index.html"

lab: setup
	$(BIN)/dipkit lab $(CHAPTERS)

test: setup chromium lint
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check dipkit tests benchmarks conftest.py notebooks

# The browser test's one system prerequisite, Debian's chromium: installed when we can (root with apt-get),
# otherwise make stops at once and says how.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser test (apt-get install chromium)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs Debian's chromium at /usr/bin/chromium for its browser test; install it with:"; \
	    echo "    sudo apt-get install -y chromium"; \
	    exit 1; \
	  fi; \
	fi

# Another kind of CPU, simulated: torch's and NumPy's kernels capped at SSE4.1 (CONTRIBUTING.md).
NOTEBOOKS ?= notebooks
test-capped-isa: setup
	ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 MKL_CBWR=COMPATIBLE \
	NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" $(BIN)/python -m pytest $(NOTEBOOKS)

notebooks: setup
	$(BIN)/dipkit refresh --all

REPRO_SRC := _build/reproduce-src-$(PROFILE)
reproduce: setup
	$(BIN)/dipkit run --all --profile $(PROFILE) --device $(DEVICE)
	rm -rf $(REPRO_SRC) && mkdir -p $(REPRO_SRC)/notebooks
	cp -r _config.yml _toc.yml book $(REPRO_SRC)/
	cp runs/$(PROFILE)/*.ipynb runs/$(PROFILE)/*.claims.json $(REPRO_SRC)/notebooks/
	$(BIN)/jupyter-book build $(REPRO_SRC) --path-output _build/reproduce-$(PROFILE) -W -n --keep-going
	@echo "Book from runs/$(PROFILE): $(CURDIR)/_build/reproduce-$(PROFILE)/_build/html/index.html"

benchmark: setup  # the F16 parts read $$DIPKIT_DATA/dip-release offline (default ../shared/data, as the tests)
	DIPKIT_DATA="$${DIPKIT_DATA:-$(abspath ..)/shared/data}" $(BIN)/python -m benchmarks.dip_speed

clean:
	rm -rf _build test-artifacts
