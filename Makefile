# 工友 Gongyou — the two commands are `make run` and `make test`; both set everything up.
SHELL := /bin/bash
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-scale eval bench setup train kb lock clean

## run: set up (venv, dependencies, knowledge base, model) and serve the assistant
run: setup
	$(PY) -m bot.cli serve

## test: set up the same way and run every test
test: setup
	$(PY) -m pytest -q

## test-scale: two Rasa servers and two action servers behind nginx, PostgreSQL, Redis (tests/scale;
## installs the Debian packages postgresql, redis-server and nginx when missing)
test-scale: setup
	$(PY) -m pytest -q -o addopts= tests/scale

## bench: latency at 1-50 users, throughput, cold start, memory, next to Rasa's starter bot → reports/bench.{md,json}
bench: setup
	$(PY) -m bot.bench

## eval: NLU evaluation on tests/nlu/test_nlu.yml and 3-fold cross-validation → reports/nlu.md
eval: setup
	$(PY) -m bot.evaluation

setup: .venv/.installed kb train

.venv/.installed: requirements.lock pyproject.toml scripts/find-python.sh
	@py="$$(scripts/find-python.sh)" || exit 1; \
	if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then \
	  echo "Creating .venv with $$py"; rm -rf .venv; "$$py" -m venv .venv || exit 1; \
	fi
	$(PY) -m pip install -q --no-deps -r requirements.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@touch $@

kb: .venv/.installed
	@mkdir -p var
	$(PY) -m bot.cli kb load

train: .venv/.installed
	$(PY) -m bot.cli train

## lock: re-pin requirements.lock from requirements.in (needs the package registry)
lock:
	@py="$$(scripts/find-python.sh)" && rm -rf /tmp/gongyou-lock && "$$py" -m venv /tmp/gongyou-lock && \
	/tmp/gongyou-lock/bin/pip install -q -r requirements.in && \
	/tmp/gongyou-lock/bin/pip freeze --all --exclude pip --exclude gongyou > requirements.lock && \
	echo "requirements.lock updated"

clean:
	rm -rf .venv models var results reports
