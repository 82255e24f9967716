"""Benchmark: inventory from QuickBooks to a store — the Web Connector side and the push after it.

For each size N: a company simulator with N inventory items, a fake WooCommerce store with the same N SKUs,
a channel moving inventory to it. Then:

* **full pass**: the first Web Connector session reads every item (ItemInventoryQuery with an iterator and
  IncludeRetElement, the assemblies asked with its first page) — round trips, items per round trip, bytes per QuickBooks answer
  (mean and max: the bound the iterator and IncludeRetElement keep), server CPU per item (the service's
  own calls, `time.process_time()`; moto runs in its own process), DynamoDB writes per item;
* **push**: the store push consumer sends every changed quantity to the store — levels per second, store
  calls (lookups by SKU, batch writes);
* **incremental pass**: 1% of the items edited in QuickBooks, the next session — round trips and bytes
  (only the edited items come back), then the push of just those.

    .venv/bin/python bench/inventory_pass.py [--sizes 1000 10000] [--page 500] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from orders_to_quickbooks import AwsCalls, _configure_env, _free_port, moto_process  # noqa: E402


class Clock:
    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime.now(UTC)

    def __call__(self) -> Any:
        return self.now

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)


def session(service: Any, username: str, password: str, company: Any) -> dict[str, Any]:
    """One Web Connector session: the service's CPU, round trips and each QuickBooks answer's size."""
    cpu = time.process_time()
    auth = service.authenticate(username, password)
    server = time.process_time() - cpu
    sizes: list[int] = []
    if auth.status:
        return {"round_trips": 0, "answer_bytes": sizes, "server_cpu_s": server}
    first = True
    while True:
        cpu = time.process_time()
        request = service.send_request_xml(
            auth.ticket, company.hcp_response() if first else "", company.company_file, "US", "13", "0"
        )
        server += time.process_time() - cpu
        first = False
        if not request:
            break
        answer = company.process(request)
        sizes.append(len(answer.encode()))
        cpu = time.process_time()
        percent = service.receive_response_xml(auth.ticket, answer, "", "")
        server += time.process_time() - cpu
        if percent >= 100 or percent < 0:
            break
    cpu = time.process_time()
    service.close_connection(auth.ticket)
    server += time.process_time() - cpu
    company.end_session()
    return {"round_trips": len(sizes), "answer_bytes": sizes, "server_cpu_s": server}


def _pass_figures(done: dict[str, Any], items: int, writes: int) -> dict[str, Any]:
    sizes = done["answer_bytes"]
    trips = done["round_trips"]
    return {
        "items": items,
        "round_trips": trips,
        "items_per_round_trip": round(items / trips, 1) if trips else 0.0,
        "answer_bytes_mean": int(statistics.mean(sizes)) if sizes else 0,
        "answer_bytes_max": max(sizes) if sizes else 0,
        "server_cpu_ms_per_item": round(1000 * done["server_cpu_s"] / max(items, 1), 3),
        "dynamodb_writes_per_item": round(writes / max(items, 1), 2),
    }


def _lookups(woo: Any) -> int:
    """GET /products?sku=... calls the store has answered (its batch writes are counted apart)."""
    return sum(1 for r in woo.requests_to("/products") if r.method == "GET")


def measure(n: int, page: int, aws: AwsCalls) -> dict[str, Any]:
    from chalicelib.settings import get_settings
    from chalicelib.sync import channels as channel_use_cases
    from chalicelib.sync import pairing, store_push, tenancy
    from chalicelib.sync.web_connector import WebConnectorService
    from ledgerbridge.fakes.woocommerce import FakeWooCommerce
    from ledgerbridge.simulators.company import CompanySimulator

    tenant, _ = tenancy.create_tenant_with_key(f"Inventory bench {n}")
    conn = pairing.create_connection(tenant.tenant_id, "Bench", 15)
    _, password = pairing.new_password(tenant.tenant_id, conn.connection_id)
    clock = Clock()
    service = WebConnectorService(get_settings()._replace(inventory_page_size=page), clock=clock)
    with tempfile.TemporaryDirectory() as tmp, FakeWooCommerce() as woo:
        company = CompanySimulator.open(Path(tmp) / "company.json", clock=clock, autosave=False)
        session(service, conn.username, password, company)  # the first session caches the lists
        names = company.add_inventory_items(n, prefix="SKU-", quantity=lambda k: k % 50 + 1)
        sample = company.count(["ItemInventory", "ItemInventoryAssembly"]) - n
        for name in names:
            woo.add_product(name, quantity=0)
        channel = channel_use_cases.create_channel(
            tenant.tenant_id,
            conn.connection_id,
            "woocommerce",
            "Bench store",
            {"directions": ["inventory_to_store"]},
            {
                "store_url": woo.base_url,
                "consumer_key": woo.consumer_key,
                "consumer_secret": woo.consumer_secret,
            },
        )
        clock.advance(5)
        before = aws.snapshot()
        full = session(service, conn.username, password, company)
        writes = aws.snapshot()["dynamodb_writes"] - before["dynamodb_writes"]
        lookups, batches = _lookups(woo), woo.batch_calls
        started = time.perf_counter()
        pushed = store_push.push_inventory(channel.channel_id)
        push_seconds = time.perf_counter() - started
        push = {
            "pushed": pushed.get("pushed", 0),
            "levels_per_second": round(pushed.get("pushed", 0) / push_seconds, 1),
            "store_lookups": _lookups(woo) - lookups,
            "store_batch_writes": woo.batch_calls - batches,
        }

        clock.advance(5)
        edited = names[::100]
        for name in edited:
            company.edit_item(name, quantity_on_hand=999)
        before = aws.snapshot()
        incremental = session(service, conn.username, password, company)
        inc_writes = aws.snapshot()["dynamodb_writes"] - before["dynamodb_writes"]
        batches = woo.batch_calls
        again = store_push.push_inventory(channel.channel_id)
        return {
            "n": n,
            "page": page,
            "full": _pass_figures(full, n + sample, writes),
            "push": push,
            "incremental": {
                **_pass_figures(incremental, len(edited), inc_writes),
                "pushed": again.get("pushed", 0),
                "store_batch_writes": woo.batch_calls - batches,
            },
        }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--page", type=int, default=500, help="items per QuickBooks answer (MaxReturned)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    port = _free_port()
    _configure_env(port)
    import os

    os.environ["LEDGERBRIDGE_ALLOW_PRIVATE_STORE_URLS"] = "true"
    aws = AwsCalls()
    aws.install()
    results = []
    with moto_process(port):
        import logging

        logging.getLogger("ledgerbridge").setLevel(logging.WARNING)
        from chalicelib.aws import provision_shared
        from chalicelib.dal.tables import create_tables

        create_tables()
        provision_shared()
        print(f"Inventory from QuickBooks to WooCommerce: MaxReturned {args.page}, moto in its own process")
        print(
            f"{'N':>6} {'pass':<12} {'items':>6} {'trips':>5} {'items/trip':>10} {'bytes/answer':>12} "
            f"{'max bytes':>9} {'cpu ms/item':>11} {'ddb w/item':>10}"
        )
        for n in args.sizes:
            figures = measure(n, args.page, aws)
            results.append(figures)
            for name in ("full", "incremental"):
                f = figures[name]
                print(
                    f"{n:>6} {name:<12} {f['items']:>6} {f['round_trips']:>5} {f['items_per_round_trip']:>10} "
                    f"{f['answer_bytes_mean']:>12} {f['answer_bytes_max']:>9} {f['server_cpu_ms_per_item']:>11} "
                    f"{f['dynamodb_writes_per_item']:>10}"
                )
            p = figures["push"]
            print(
                f"{n:>6} push: {p['pushed']} quantities, {p['levels_per_second']}/s, {p['store_lookups']} SKU "
                f"lookups, {p['store_batch_writes']} batch writes; after 1% edits: "
                f"{figures['incremental']['pushed']} pushed in {figures['incremental']['store_batch_writes']} batch(es)"
            )
    document = {"sizes": results}
    if args.json:
        print(json.dumps(document))
    return document


if __name__ == "__main__":
    main()
