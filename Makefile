# The two commands of the README: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test lint typecheck unit integration bench clean-state package

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## make run: the whole product on the embedded local stack (moto + chalice local) on 127.0.0.1:$(PORT)
run: $(STAMP)
	PORT=$(PORT) $(BIN)/ledgerbridge dev --port $(PORT)

## make test: lint, type checks and every test (unit, SOAP, end to end on the local stack)
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy app.py chalicelib ledgerbridge

bench: $(STAMP)
	$(BIN)/python bench/soap_calls.py

package: $(STAMP)
	$(BIN)/python -m ledgerbridge.package

clean-state:
	rm -rf .local
