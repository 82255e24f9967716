"""Cold start: `import app` registers every route without loading the use cases behind them
(chalicelib/lazy.py), and a lazily named module behaves as the module itself."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from chalicelib.lazy import lazy_module

ROOT = Path(__file__).resolve().parents[2]
LOADED_ONLY_WHEN_USED = (
    "httpx",
    "lxml",  # the SOAP parser and the qbXML building: the SOAP route's, not the REST API's
    "chalicelib.xml_safety",
    "chalicelib.qbwc.soap",
    "chalicelib.qbwc.wsdl",
    "chalicelib.dal.tenants",  # the repositories: each route loads the ones it reads
    "chalicelib.dal.connections",
    "chalicelib.dal.channels",
    "chalicelib.dal.channel_fetches",
    "chalicelib.dal.channel_outbound",
    "chalicelib.dal.sync_runs",
    "chalicelib.dal.payloads",
    "chalicelib.credentials",
    "chalicelib.channels",
    "chalicelib.rules",
    "chalicelib.sync.web_connector",
    "chalicelib.sync.post_orders",
    "chalicelib.sync.order_desk",
    "chalicelib.orders.quickbooks",
)


def _modules_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_app_registers_every_route_but_loads_no_use_case_behind_them():
    loaded = _modules_after("import app\nassert len(app.app.routes) > 40, len(app.app.routes)")
    assert not loaded & set(LOADED_ONLY_WHEN_USED)


def test_importing_the_app_loads_the_storage_models_configured():
    """botocore and PynamoDB are nearly every call's first need: they load with the app (and the cold import
    figure of bench/soap_calls.py counts them), the models pointed at this deployment's tables."""
    loaded = _modules_after(
        "import app\nfrom chalicelib.dal.models import TenantModel\nfrom chalicelib.settings import get_settings\n"
        "assert TenantModel.Meta.table_name == get_settings().table_name('tenants'), TenantModel.Meta.table_name"
    )
    assert {"botocore.session", "pynamodb.models", "chalicelib.dal.models"} <= loaded


def test_importing_the_app_makes_no_botocore_session_the_first_connection_does():
    """A session registers botocore's ~150 handlers: a call that reads no table (the WSDL, a page) makes none."""
    _modules_after(
        "import app\nfrom chalicelib import aws\n"
        "assert aws.botocore_session.cache_info().currsize == 0\n"
        "from pynamodb.connection import Connection\n"
        "session = Connection(region='us-east-1').session\n"
        "assert aws.botocore_session.cache_info().currsize == 1\n"
        "assert session.get_component('data_loader') is aws.botocore_session().get_component('data_loader')"
    )


def test_the_first_soap_call_loads_the_web_connector_engine():
    loaded = _modules_after(
        "import app\nfrom chalicelib.api import qbwc\nqbwc.metered_web_connector.MeteredWebConnector"
    )
    assert "chalicelib.sync.web_connector" in loaded


def test_the_soap_machinery_loads_at_the_first_soap_route_and_answers():
    loaded = _modules_after(
        "import app\nfrom chalice.test import Client\n"
        "answer = Client(app.app).http.get('/qbwc?wsdl')\n"
        "assert answer.status_code == 200 and b'QBWebConnectorSvc' in answer.body, answer.body[:300]"
    )
    assert {"lxml.etree", "chalicelib.qbwc.soap", "chalicelib.qbwc.wsdl"} <= loaded


def test_importing_the_app_builds_no_dataclass():
    """A dataclass is built by compiling its methods: ~1 ms each at a cold start, ~3 ms for the settings. The records
    every cold import builds are NamedTuples (chalicelib/settings.py says why); dataclasses stay for what loads on
    first use."""
    script = (
        "import dataclasses, json\n"
        "built = []\n"
        "build = dataclasses._process_class\n"
        "def noting(cls, *args, **kwargs):\n"
        "    built.append(f'{cls.__module__}.{cls.__qualname__}')\n"
        "    return build(cls, *args, **kwargs)\n"
        "dataclasses._process_class = noting\n"
        "import app\n"
        "print(json.dumps(built))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    built = json.loads(out.stdout.strip().splitlines()[-1])
    assert [name for name in built if name.startswith(("chalicelib", "app"))] == []


JOB_RUNNER_MODULES = (
    "chalicelib.sync.company_lists",
    "chalicelib.sync.inventory",
    "chalicelib.sync.post_orders",
    "chalicelib.sync.recover_orders",
    "chalicelib.sync.shipstation_outbound",
    "chalicelib.sync.summary_transactions",
)


def test_the_web_connector_engine_loads_a_job_runner_only_when_a_job_of_its_kind_runs():
    """An idle poll (the commonest call of a cold container) needs none of them."""
    loaded = _modules_after("import app\nimport chalicelib.sync.web_connector")
    assert not loaded & set(JOB_RUNNER_MODULES)
    loaded = _modules_after(
        "import app\nfrom chalicelib.sync.web_connector import RUNNERS\nRUNNERS['read_inventory']"
    )
    assert "chalicelib.sync.inventory" in loaded
    assert "chalicelib.sync.summary_transactions" not in loaded


def test_every_job_kind_has_its_runner_made_once():
    from chalicelib.sync.web_connector import RUNNERS

    assert len(RUNNERS) == 7
    for kind in RUNNERS:
        runner = RUNNERS[kind]
        assert runner.kind == kind
        assert RUNNERS[kind] is runner
    assert RUNNERS.get("no_such_kind") is None


def test_a_lazy_module_reads_and_patches_the_real_module(monkeypatch):
    name = "chalicelib.orders.quickbooks.identity"
    monkeypatch.delitem(sys.modules, name, raising=False)
    lazy = lazy_module(name)
    assert name not in sys.modules
    assert lazy.tail("order-12345678901234", 11) == "12345678901234"[-11:]
    real = sys.modules[name]
    monkeypatch.setattr(lazy, "tail", lambda text, n: "patched")
    assert real.tail("x", 1) == "patched"
    assert lazy_module(name) is real  # once loaded, the module itself


def test_threads_reading_a_lazy_module_at_once_all_see_it_loaded(monkeypatch):
    name = "chalicelib.orders.quickbooks.refunds"
    monkeypatch.delitem(sys.modules, name, raising=False)
    lazy = lazy_module(name)
    seen: list[object] = []
    start = threading.Barrier(8)

    def read() -> None:
        start.wait()
        seen.append(lazy.__dict__.get("_loaded") or getattr(lazy, "__all__", None))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and all(s is not None for s in seen)
    assert lazy.__dict__["_loaded"] is sys.modules[name]
