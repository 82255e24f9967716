"""Benchmark: in-process time per SOAP call, and the cold import time of app.py.

Runs the real handler (SOAP parse -> use case -> DynamoDB/SQS on an embedded moto server -> SOAP render)
through Chalice's in-process gateway, driving whole Web Connector sessions whose QuickBooks side is the
company simulator (its time is not counted). Prints p50/p99 per method and the AWS calls each makes (mean and
most; counted by the orders benchmark's botocore hook on every client), then the cold import time of `app.py`
against a bare Chalice app, each a median of fresh interpreters importing from compiled bytecode (as Lambda
does from the package), and the median of their ratios taken pair by pair. `--items` is the company's list size.

    .venv/bin/python bench/soap_calls.py [--sessions 5] [--items 2000] [--page 100] [--imports 11]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _configure_env(page: int) -> str:
    port = _free_port()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LEDGERBRIDGE_STAGE": "bench",
            "LEDGERBRIDGE_PUBLIC_URL": "http://localhost:8000",
            "LEDGERBRIDGE_ITEM_PAGE_SIZE": str(page),
            "POWERTOOLS_TRACE_DISABLED": "true",
            "LOG_LEVEL": "WARNING",
        }
    )
    return str(port)


def envelope(method: str, params: dict[str, str]) -> bytes:
    from xml.sax.saxutils import escape

    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in params.items())
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f'<soap:Body><{method} xmlns="http://developer.intuit.com/">{inner}</{method}></soap:Body>'
        "</soap:Envelope>"
    ).encode()


def result_text(body: bytes) -> list[str]:
    from lxml import etree

    doc = etree.fromstring(body)
    result = next(el for el in doc.iter() if isinstance(el.tag, str) and el.tag.endswith("Result"))
    children = [c.text or "" for c in result]
    return children if children else [result.text or ""]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_calls(
    sessions: int, items: int, page: int, cold_polls: int = 0
) -> tuple[dict[str, list[float]], dict[str, list[int]], dict[str, float]]:
    """Seconds per call, and AWS calls per call, by SOAP method; then the medians of `cold_polls` idle polls each
    made by a fresh interpreter against the same moto (`measure_cold_poll`)."""
    _configure_env(page)
    from orders_to_quickbooks import AwsCalls  # the call counter both benchmarks use

    aws_calls = AwsCalls()
    aws_calls.install()  # before the service makes its clients
    from chalice.test import Client
    from moto.server import ThreadedMotoServer

    from ledgerbridge.moto_dynamodb import install

    install()

    server = ThreadedMotoServer(
        ip_address="127.0.0.1", port=int(os.environ["AWS_ENDPOINT_URL"].rsplit(":", 1)[1]), verbose=False
    )
    server.start()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from app import app
    from chalicelib.aws import provision_shared
    from chalicelib.dal.tables import create_tables
    from chalicelib.sync import pairing, tenancy
    from ledgerbridge.simulators.company import CompanySimulator

    create_tables()
    provision_shared()  # the shared queues (CloudFormation's in AWS)
    tenant, _ = tenancy.create_tenant_with_key("bench")
    conn = pairing.create_connection(tenant.tenant_id, "Bench", 15)
    _, password = pairing.new_password(tenant.tenant_id, conn.connection_id)
    company = CompanySimulator.open(Path(tempfile.mkdtemp()) / "company.json", generated_items=items)
    timings: dict[str, list[float]] = {"authenticate": [], "sendRequestXML": [], "receiveResponseXML": []}
    calls_made: dict[str, list[int]] = {method: [] for method in timings}

    with Client(app) as client:

        def call(method: str, **params: str) -> list[str]:
            body = envelope(method, params)
            headers = {
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"http://developer.intuit.com/{method}"',
            }
            before = aws_calls.total()
            start = time.perf_counter()
            response = client.http.post("/qbwc", headers=headers, body=body)
            elapsed = time.perf_counter() - start
            if method in timings:
                timings[method].append(elapsed)
                calls_made[method].append(aws_calls.total() - before)
            assert response.status_code == 200, response.body
            return result_text(response.body)

        for n in range(sessions):
            if n:
                pairing.queue_refresh(tenant.tenant_id, conn.connection_id)
            ticket, status = call("authenticate", strUserName=conn.username, strPassword=password)[:2]
            assert status == "", status
            first = True
            while True:
                request = call(
                    "sendRequestXML",
                    ticket=ticket,
                    strHCPResponse=company.hcp_response() if first else "",
                    strCompanyFileName=company.company_file,
                    qbXMLCountry="US",
                    qbXMLMajorVers="13",
                    qbXMLMinorVers="0",
                )[0]
                first = False
                if not request:
                    break
                percent = int(
                    call(
                        "receiveResponseXML",
                        ticket=ticket,
                        response=company.process(request),
                        hresult="",
                        message="",
                    )[0]
                )
                if percent >= 100 or percent < 0:
                    break
            call("closeConnection", ticket=ticket)
            company.end_session()
    try:
        cold = measure_cold_poll(cold_polls, conn.username, password) if cold_polls else {}
    finally:
        server.stop()
    return timings, calls_made, cold


IMPORT_SNIPPET = {
    "app.py": "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)",
    "bare Chalice": (
        "import time; t = time.perf_counter(); from chalice import Chalice; Chalice(app_name='bare'); "
        "print(time.perf_counter() - t)"
    ),
}


@contextmanager
def bytecode_env() -> Iterator[dict[str, str]]:
    """The environment of a timed fresh interpreter: every module imported from compiled bytecode, as in Lambda,
    where the package carries its `.pyc` files (ledgerbridge/package.py). The first run of a snippet writes them
    into a temporary pycache prefix, even where PYTHONDONTWRITEBYTECODE is set, so no figure counts compiling the
    app's sources (call each snippet once untimed first)."""
    with tempfile.TemporaryDirectory(prefix="ledgerbridge-pycache-") as cache:
        env = {
            **os.environ,
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYTHONPYCACHEPREFIX": cache,
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        yield env


def run_snippet(snippet: str, env: dict[str, str], *args: str) -> str:
    """The last line the snippet printed; raises with its error output when it fails."""
    out = subprocess.run(
        [sys.executable, "-c", snippet, *args], check=False, cwd=REPO, env=env, capture_output=True, text=True
    )
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"snippet failed (exit {out.returncode}):\n{out.stderr[-2000:]}")
    return lines[-1]


def measure_imports(runs: int) -> dict[str, float]:
    """Medians of `runs` fresh interpreters importing each snippet from bytecode (`bytecode_env`), and the median
    of the app/bare ratios taken pair by pair (the two run in turn, so a drift in the machine's speed moves both
    sides of a ratio alike)."""
    samples: dict[str, list[float]] = {name: [] for name in IMPORT_SNIPPET}
    ratios: list[float] = []
    with bytecode_env() as env:
        for snippet in IMPORT_SNIPPET.values():
            run_snippet(snippet, env)  # writes the bytecode
        for run in range(runs):
            order = list(IMPORT_SNIPPET.items())[
                :: 1 if run % 2 == 0 else -1
            ]  # each side first in half the pairs
            pair = {name: float(run_snippet(snippet, env)) for name, snippet in order}
            for name, value in pair.items():
                samples[name].append(value)
            ratios.append(pair["app.py"] / pair["bare Chalice"])
    return {name: statistics.median(values) for name, values in samples.items()} | {
        "ratio": statistics.median(ratios)
    }


# A Lambda's cold start on the most common call: a fresh interpreter imports the app, then answers a Web
# Connector poll with nothing to do (authenticate answers "none"; closeConnection), then a second one warm.
COLD_POLL_SNIPPET = """
import time
start = time.perf_counter()
from app import app
figures = {"import app": time.perf_counter() - start}
import json, sys
from chalice.test import Client
from soap_calls import envelope, result_text
client = Client(app)

def call(name, method, **params):
    body = envelope(method, params)
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"http://developer.intuit.com/{method}"'}
    began = time.perf_counter()
    answer = client.http.post("/qbwc", headers=headers, body=body)
    figures[name] = time.perf_counter() - began
    if answer.status_code != 200:
        raise SystemExit(f"{method}: HTTP {answer.status_code}: {answer.body[:500]!r}")
    return result_text(answer.body)

for poll in ("first", "second"):
    ticket, status = call(f"{poll} authenticate", "authenticate", strUserName=sys.argv[1], strPassword=sys.argv[2])[:2]
    if status != "none":
        raise SystemExit(f"an idle poll was expected; authenticate answered {status!r}")
    call(f"{poll} closeConnection", "closeConnection", ticket=ticket)
print(json.dumps(figures))
"""


def measure_cold_poll(runs: int, username: str, password: str) -> dict[str, float]:
    """Median seconds of each step of `COLD_POLL_SNIPPET` over `runs` fresh interpreters (from bytecode)."""
    samples: dict[str, list[float]] = {}
    with bytecode_env() as env:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO), str(Path(__file__).resolve().parent), *filter(None, [env.get("PYTHONPATH")])]
        )
        run_snippet(COLD_POLL_SNIPPET, env, username, password)  # writes the bytecode
        for _ in range(runs):
            for name, value in json.loads(run_snippet(COLD_POLL_SNIPPET, env, username, password)).items():
                samples.setdefault(name, []).append(value)
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--imports", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    timings, calls_made, cold = measure_calls(args.sessions, args.items, args.page, cold_polls=args.imports)
    imports = measure_imports(args.imports)
    figures: dict[str, object] = {}
    print(
        f"SOAP calls through the in-process gateway ({args.sessions} sessions, {args.items} generated items, "
        f"page {args.page}; DynamoDB and SQS on moto over loopback)"
    )
    print(f"{'method':<22}{'calls':>7}{'p50 ms':>10}{'p99 ms':>10}{'AWS/call':>10}{'AWS max':>9}")
    for method, values in timings.items():
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        made = calls_made[method]
        mean_calls = statistics.mean(made) if made else 0.0
        figures[method] = {
            "calls": len(values),
            "p50_ms": round(p50, 2),
            "p99_ms": round(p99, 2),
            "aws_calls_mean": round(mean_calls, 2),
            "aws_calls_max": max(made, default=0),
        }
        print(
            f"{method:<22}{len(values):>7}{p50:>10.2f}{p99:>10.2f}{mean_calls:>10.1f}{max(made, default=0):>9}"
        )
    ratio = imports.pop("ratio")
    figures["cold_import"] = {k: round(v * 1000, 1) for k, v in imports.items()} | {"ratio": round(ratio, 2)}
    print(
        f"cold import from bytecode (median of {args.imports}): app.py {imports['app.py'] * 1000:.0f} ms, "
        f"bare Chalice app {imports['bare Chalice'] * 1000:.0f} ms, ratio {ratio:.1f}x (median of the pairs)"
    )
    figures["cold_poll_ms"] = {k: round(v * 1000, 1) for k, v in cold.items()}
    print(
        f"idle poll by a fresh interpreter (median of {args.imports}, ms): "
        + ", ".join(f"{k} {v * 1000:.0f}" for k, v in cold.items())
    )
    if args.json:
        print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    from metric_lines import without_metric_lines  # the script's folder is on sys.path

    with without_metric_lines():
        main()
