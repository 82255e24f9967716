"""The one place that sets up logs, traces and metrics (AWS Lambda Powertools).

Every module logs through `logger`; secrets never reach a log line: values under secret-looking keys and
anything shaped like an API key or a Web Connector password are masked by `SecretRedactingFilter`,
whatever the caller passed.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

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


@functools.cache
def tracer() -> Tracer:
    """The X-Ray tracer, created on first use: the X-Ray SDK takes ~100 ms to import, a cost every cold
    start would pay even for calls that trace nothing."""
    return Tracer(service=SERVICE)


metrics = Metrics(namespace=os.environ["POWERTOOLS_METRICS_NAMESPACE"], service=SERVICE)

# Library chatter ("Found credentials in environment variables") is not ours to log.
for _noisy in ("botocore", "boto3", "urllib3", "pynamodb"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)
