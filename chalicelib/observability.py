"""The one place that sets up logs and metrics (AWS Lambda Powertools).

Every module logs through `logger`; secrets never reach a log line: values under secret-looking keys and
anything shaped like an API key or a Web Connector password are masked by `SecretRedactingFilter`,
whatever the caller passed.

Every Lambda entry point runs inside `invocation(...)`: the log lines of the call carry the Lambda context
(function name, request id, cold start) and a correlation id (the Web Connector ticket's first characters,
the channel, the API request id), and the metrics the call added are flushed when it ends. Powertools writes
them to the log as Embedded Metric Format lines; CloudWatch extracts the metrics from the log group (no
PutMetricData call, no permission needed). Names are in `BusinessMetric`.

Tracing: no code creates X-Ray subsegments (the Powertools Tracer was never used and is gone); Lambda's
active tracing (`xray` in .chalice/config.json) still records each invocation.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger, Metrics

SERVICE = "ledgerbridge"

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", SERVICE)
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Ledgerbridge")
if os.environ.get("LEDGERBRIDGE_STAGE", "local") == "local":
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

MASK = "***"
SECRET_KEYS = re.compile(r"pass(word)?|secret|token|api[_-]?key|authorization|strPassword|credential", re.I)
# API keys and generated Web Connector passwords have recognisable shapes.
SECRET_VALUES = re.compile(r"\b(lbk_[A-Za-z0-9_\-]{8,}|lbp_[A-Za-z0-9_\-]{8,})")
# In SOAP bodies the password travels as an element.
SOAP_PASSWORD = re.compile(r"(<(?:\w+:)?strPassword[^>]*>)(.*?)(</(?:\w+:)?strPassword>)", re.S)


def redact_text(text: str) -> str:
    text = SOAP_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return SECRET_VALUES.sub(MASK, text)


def redact(value: Any, key: str = "") -> Any:
    if key and SECRET_KEYS.search(key):
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


class SecretRedactingFilter(logging.Filter):
    """Masks secrets in the message, its arguments and any `extra` keys of a record."""

    _STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg) if isinstance(record.msg, str | Mapping) else record.msg
        if record.args:
            if isinstance(record.args, Mapping):
                record.args = redact(record.args)
            else:
                record.args = tuple(redact(a) for a in record.args)
        for key, value in list(record.__dict__.items()):
            if key not in self._STANDARD:
                record.__dict__[key] = redact(value, key)
        return True


logger = Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL", "INFO"))
logger.addFilter(SecretRedactingFilter())
for _handler in logger.handlers:
    _handler.addFilter(SecretRedactingFilter())


metrics = Metrics(namespace=os.environ["POWERTOOLS_METRICS_NAMESPACE"], service=SERVICE)

# Library chatter ("Found credentials in environment variables") is not ours to log.
for _noisy in ("botocore", "boto3", "urllib3", "pynamodb"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


class BusinessMetric(StrEnum):
    """What the dashboard shows and the alarms watch (namespace Ledgerbridge, dimension service)."""

    WEB_CONNECTOR_POLLS = "WebConnectorPolls"  # authenticate calls with the right password
    SESSIONS = "WebConnectorSessions"  # sessions that ended (completed, failed or abandoned)
    SESSIONS_FAILED = "WebConnectorSessionsFailed"
    ROUND_TRIPS = "RoundTrips"  # receiveResponseXML calls: one qbXML answer from QuickBooks each
    ORDERS_SYNCED = "OrdersSynced"
    ORDERS_FAILED = "OrdersFailed"
    ORDERS_RETRIED = "OrdersRetried"
    # Every refused sign-in (chalicelib/sync/web_connector.py): a wrong password, a source slowed after wrong
    # passwords, an unknown user name. One metric (billed by the name); the log line says which.
    LOGIN_FAILED = "WebConnectorLoginFailed"
    FETCH_RUNS = "FetchRuns"
    FETCH_RUNS_FAILED = "FetchRunsFailed"
    STORE_PUSHES = "StorePushes"
    STORE_PUSHES_FAILED = "StorePushesFailed"
    DEAD_LETTER_MESSAGES = "DeadLetterMessages"  # every dead-letter queue of the deployment, summed


def count(metric: BusinessMetric, value: float = 1) -> None:
    """Add `value` to `metric` for this invocation (nothing is written until `flush_metrics`)."""
    if value:
        metrics.add_metric(name=metric.value, unit="Count", value=value)


def flush_metrics() -> None:
    """Write the metrics added so far as one EMF log line (nothing when none were added)."""
    if metrics.metric_set:
        metrics.flush_metrics()


def lambda_context_keys(context: Any) -> dict[str, Any]:
    """The keys Powertools' `inject_lambda_context` adds, from a Lambda context (empty without one)."""
    if context is None or not hasattr(context, "aws_request_id"):
        return {}
    return {
        "function_name": getattr(context, "function_name", ""),
        "function_memory_size": getattr(context, "memory_limit_in_mb", ""),
        "function_arn": getattr(context, "invoked_function_arn", ""),
        "function_request_id": context.aws_request_id,
    }


_cold_start = True


@contextmanager
def invocation(entry_point: str, context: Any, correlation_id: str | None) -> Iterator[None]:
    """One call of a Lambda entry point: log keys for its duration, its metrics flushed at the end (also
    when it raises). Keys are removed afterwards: a warm container serves other calls."""
    global _cold_start  # noqa: PLW0603 (one flag per container, as Powertools keeps it)
    keys = {"entry_point": entry_point, "cold_start": _cold_start, **lambda_context_keys(context)}
    _cold_start = False
    logger.append_keys(**keys)
    logger.set_correlation_id(correlation_id)
    try:
        yield
    finally:
        flush_metrics()
        logger.remove_keys(list(keys))
        logger.set_correlation_id(None)
