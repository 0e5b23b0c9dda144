# Three commands, each complete on a fresh machine:
#   make run   create .venv, install pinned requirements, start the app on localhost:8501
#   make test  same venv + dev requirements + Debian chromium (if missing), run the whole suite
#   make serve one app process per core behind Debian's HAProxy on port 8501, for a class
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
REPLICAS ?= $(shell nproc)
BIND ?= 0.0.0.0
export JAX_PLATFORMS := cpu

.PHONY: run test chromium haproxy serve bench golden lint

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime-installed
	$(PY) -m streamlit run server.py --server.address localhost --server.port $(PORT)

# Browser tests drive Debian's chromium through Playwright (Playwright cannot download browsers here).
# A CJK font too: headless Debian chromium draws the lecture's Chinese terms as boxes without one.
BROWSER_PACKAGES := chromium fonts-wqy-microhei
chromium:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages for the browser tests:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	  else \
	    echo "missing:$$missing; run 'sudo apt-get install $(BROWSER_PACKAGES)' (browser tests need them)"; exit 1; \
	  fi; \
	fi

# make serve (and its test) puts the app processes behind Debian's HAProxy (deploy/serve.py).
haproxy:
	@if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's haproxy"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	  else \
	    echo "missing: haproxy; run 'sudo apt-get install haproxy' (make serve needs it)"; exit 1; \
	  fi; \
	fi

serve: $(VENV)/.runtime-installed haproxy
	$(PY) deploy/serve.py --port $(PORT) --replicas $(REPLICAS) --bind $(BIND)

# Two workers, one per core (tests/conftest.py's scheduler): all browser tests are one unit on one
# worker, every other module its own unit; chromium stops after the browser unit, so a module
# queued behind it runs outside playwright's event loop. PYTEST_ARGS="-n 0" runs in one process.
PYTEST_ARGS ?= -n 2 --dist loadfile
test: $(VENV)/.dev-installed chromium haproxy
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .

bench: $(VENV)/.dev-installed chromium
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_sweep.py
	$(PY) benchmarks/bench_recompiles.py
	$(PY) benchmarks/bench_hypermap.py
	$(PY) benchmarks/bench_networks.py
	$(PY) benchmarks/bench_network_pages.py
	$(PY) benchmarks/bench_trainer_floor.py
	$(PY) benchmarks/bench_browser.py
	$(PY) benchmarks/bench_classroom.py --short

# Regenerate the PyTorch golden data in a separate venv: torch never enters the project venv.
golden:
	$(PYTHON) -m venv .venv-golden
	.venv-golden/bin/pip install --quiet torch==2.13.0 numpy
	.venv-golden/bin/python scripts/generate_torch_golden.py
	.venv-golden/bin/python scripts/generate_torch_network_golden.py
	.venv-golden/bin/python scripts/generate_torch_schedule_golden.py
