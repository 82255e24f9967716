# The two commands of the README: `make run` and `make test`. Both set up what they need.
# And for AWS: `make deploy STAGE=<name>` and `make destroy STAGE=<name>` (docs/operations.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
STAGE ?=
DOMAIN ?=
CERTIFICATE_ARN ?=
ALARM_EMAIL ?=
SUMMARY_FROM ?=
SUMMARY_TO ?=

.PHONY: run demo test lint typecheck unit integration bench clean-state package lock deploy destroy

# requirements.lock: every package of requirements-dev.txt (which includes requirements.txt) at an exact
# version with its hashes, made by `make lock`; installs are reproducible (pip --require-hashes).
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## make lock: re-pin requirements.lock after changing requirements.txt or requirements-dev.txt (needs PyPI)
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet pip-tools==7.7.0
	.lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock requirements-dev.txt
	rm -rf .lock-venv

## make run: the whole product on the embedded local stack (moto + chalice local) on 127.0.0.1:$(PORT)
run: $(STAMP)
	PORT=$(PORT) $(BIN)/ledgerbridge dev --port $(PORT)

## make demo: `make run` with a fake Shopify store full of orders syncing into a simulated QuickBooks company
demo: $(STAMP)
	PORT=$(PORT) $(BIN)/ledgerbridge demo --port $(PORT)

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

## make deploy STAGE=prod [DOMAIN=qbwc.example.com CERTIFICATE_ARN=arn:aws:acm:...] [ALARM_EMAIL=ops@example.com]
## Creates or updates the stage in the AWS account and region of the environment (AWS_PROFILE, AWS_REGION);
## prints the first tenant's API key (first deployment only), the dashboard and Web Connector URLs.
deploy: $(STAMP)
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=<name> [DOMAIN=... CERTIFICATE_ARN=...] [ALARM_EMAIL=...]"; exit 2; }
	$(BIN)/python -m ledgerbridge.deploy deploy --stage "$(STAGE)" \
		$(if $(DOMAIN),--domain "$(DOMAIN)") $(if $(CERTIFICATE_ARN),--certificate-arn "$(CERTIFICATE_ARN)") \
		$(if $(ALARM_EMAIL),--alarm-email "$(ALARM_EMAIL)") \
		$(if $(SUMMARY_FROM),--summary-from "$(SUMMARY_FROM)") $(if $(SUMMARY_TO),--summary-to "$(SUMMARY_TO)")

## make destroy STAGE=dev: removes a non-production stage and everything it made (refuses prod)
destroy: $(STAMP)
	@test -n "$(STAGE)" || { echo "usage: make destroy STAGE=<name>"; exit 2; }
	$(BIN)/python -m ledgerbridge.deploy destroy --stage "$(STAGE)"
