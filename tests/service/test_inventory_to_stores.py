"""Inventory from QuickBooks to the stores: read in Web Connector sessions (iterators, IncludeRetElement,
incremental by modified date with a periodic full pass), only changed quantities pushed after the session
(Shopify GraphQL, WooCommerce batches), unmatched SKUs listed, and a store outage losing nothing."""

from __future__ import annotations

import json
import re
import zlib

import pytest

from chalicelib.aws import StorePushQueue
from chalicelib.dal import stock_levels, sync_runs
from chalicelib.settings import get_settings
from chalicelib.sync import store_push
from chalicelib.sync.web_connector import WebConnectorService
from ledgerbridge.fakes.shopify import FakeShopify
from ledgerbridge.fakes.woocommerce import FakeWooCommerce
from ledgerbridge.qbxml_schema import schema_errors
from ledgerbridge.simulators.company import CompanySimulator
from tests.service.test_web_connector_session import Clock, run_rounds

pytestmark = pytest.mark.xdist_group("store-push-queue")  # tests drain the one shared push queue


def pushed(counts: dict[str, int]) -> int:
    """Quantities the store took (the sample company's own stock items are unmatched in every store)."""
    return counts.get("pushed", 0)


def drain_pushes() -> list[dict]:
    queue = StorePushQueue()
    bodies = []
    while (job := queue.take()) is not None:
        bodies.append(job.body)
        queue.done(job.receipt_handle)
    return bodies


class Company:
    """A paired connection whose lists are cached, its simulated company, and a way to run sessions."""

    def __init__(self, api, tmp_path, monkeypatch, page_size: int = 50) -> None:
        self.api = api
        self.conn = api.json("POST", "/api/v1/connections", {"name": "Stock"}, expect=201)
        self.password = api.json("POST", f"/api/v1/connections/{self.conn['id']}/password", expect=201)[
            "password"
        ]
        self.clock = Clock()  # QuickBooks' clock and Ledgerbridge's, moved by the tests
        self.company = CompanySimulator.open(tmp_path / "company.json", clock=self.clock)
        self.service = WebConnectorService(
            get_settings()._replace(inventory_page_size=page_size), clock=self.clock
        )
        assert self.session()  # the first one caches the lists
        drain_pushes()

    def session(self) -> list[int]:
        self.clock.advance(1)  # sessions follow each other (their history is newest first)
        auth = self.service.authenticate(self.conn["username"], self.password)
        if auth.status:
            return []
        percents = run_rounds(self.service, auth.ticket, self.company, limit=500)
        self.service.close_connection(auth.ticket)
        self.company.end_session()
        return percents

    def channel(self, kind: str, credentials: dict[str, str], **settings) -> dict:
        body = {
            "connection_id": self.conn["id"],
            "kind": kind,
            "name": f"{kind} stock",
            "settings": {"directions": ["inventory_to_store"], **settings},
            "credentials": credentials,
        }
        return self.api.json("POST", "/api/v1/channels", body, expect=201)

    def levels(self, channel_id: str, status: str | None = None) -> dict[str, dict]:
        query = f"?status={status}&limit=500" if status else "?limit=500"
        page = self.api.json("GET", f"/api/v1/channels/{channel_id}/inventory{query}")
        return {level["sku"]: level for level in page["levels"]}


@pytest.fixture
def company(api, tmp_path, monkeypatch):
    return Company(api, tmp_path, monkeypatch)


@pytest.fixture
def shop():
    with FakeShopify() as fake:
        yield fake


def shopify_credentials(fake: FakeShopify) -> dict[str, str]:
    return {"shop": fake.base_url, "access_token": fake.access_token}


def test_quantities_reach_shopify_after_the_session_and_only_changes_move(company, shop):
    names = company.company.add_inventory_items(120, prefix="TEA-", quantity=lambda n: n)
    for name in names[:100]:
        shop.add_variant(name, quantity=0)
    channel = company.channel("shopify", shopify_credentials(shop))

    percents = company.session()
    assert percents[-1] == 100
    # 120 items in pages of 50, the assemblies (fewer than a page) asked with the first: every answer bounded
    runs = company.api.json("GET", f"/api/v1/connections/{company.conn['id']}/sync-runs")["sync_runs"]
    stocked = company.company.count(["ItemInventory", "ItemInventoryAssembly"])  # the sample file's too
    others = stocked - 120
    assert runs[0]["counts"]["inventory_items_read"] == stocked
    assert runs[0]["round_trips"] == -(-(stocked - 1) // 50)  # pages of 50 parts, the 1 assembly in the first
    assert drain_pushes() == [{"channel_id": channel["id"], "what": "inventory"}]
    assert shop.quantity(names[0]) == 0  # nothing reaches the store during the session

    counts = store_push.push_inventory(channel["id"])
    assert counts == {"pushed": 100, "unmatched": 20 + others}
    assert shop.quantity(names[0]) == 1 and shop.quantity(names[99]) == 100
    assert shop.inventory_set_calls == 1  # 100 quantities in one batched mutation
    unmatched = company.levels(channel["id"], "unmatched")
    assert set(names[100:]) <= set(unmatched) and len(unmatched) == 20 + others
    assert "No product or variant" in unmatched[names[100]]["problem"]

    # Nothing changed: the incremental pass reads nothing and pushes nothing.
    company.session()
    assert stock_levels.pending(channel["id"], 10) == []
    assert store_push.push_inventory(channel["id"]) == {}
    assert shop.inventory_set_calls == 1

    # An edit in the item window is seen at once; a sale's quantity change waits for the full pass
    # (QuickBooks leaves TimeModified alone when a transaction changes the quantity).
    company.clock.advance(5)
    company.company.edit_item(names[1], quantity_on_hand=55)
    company.company.adjust_quantity(names[2], new_quantity=77)
    company.session()
    assert store_push.push_inventory(channel["id"]) == {"pushed": 1}
    assert shop.quantity(names[1]) == 55 and shop.quantity(names[2]) == 3
    company.clock.advance(61 * 60)  # full_inventory_every_minutes defaults to 60
    company.session()
    assert store_push.push_inventory(channel["id"]) == {
        "pushed": 1,
        "unmatched": 20 + others,
    }  # the unmatched are retried
    assert shop.quantity(names[2]) == 77


def test_a_channel_that_only_receives_quantities_has_no_task(company, shop):
    channel = company.channel("shopify", shopify_credentials(shop))
    tasks = company.api.json("GET", "/api/v1/tasks")["tasks"]
    assert channel["id"] not in {t["id"] for t in tasks}
    both = company.api.json(
        "PATCH",
        f"/api/v1/channels/{channel['id']}",
        {
            "settings": {
                "directions": ["orders_to_quickbooks", "inventory_to_store"],
                "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
            }
        },
    )
    assert both["settings"]["directions"] == ["orders_to_quickbooks", "inventory_to_store"]
    (task,) = [t for t in company.api.json("GET", "/api/v1/tasks")["tasks"] if t["id"] == channel["id"]]
    assert task["name"] == f"Fetch orders from {channel['name']}"


def test_subtract_sales_orders_and_never_below_zero(company, shop):
    (name,) = company.company.add_inventory_items(1, prefix="MUG-", quantity=5, quantity_on_sales_order=7)
    (other,) = company.company.add_inventory_items(1, prefix="CUP-", quantity=9, quantity_on_sales_order=2)
    shop.add_variant(name, quantity=3)
    shop.add_variant(other, quantity=3)
    channel = company.channel("shopify", shopify_credentials(shop), subtract_sales_orders=True)
    company.session()
    assert pushed(store_push.push_inventory(channel["id"])) == 2
    assert shop.quantity(name) == 0 and shop.quantity(other) == 7


def test_a_store_outage_loses_no_update_and_the_retry_delivers_it(company, shop):
    names = company.company.add_inventory_items(3, prefix="OUT-", quantity=8)
    for name in names:
        shop.add_variant(name, quantity=1)
    channel = company.channel("shopify", shopify_credentials(shop))
    company.session()
    shop.fail_next(503, times=5, headers={"Retry-After": "0"})  # as many as the connector's attempts
    with pytest.raises(store_push.StorePushFailed, match=r"503|Shopify"):
        store_push.push_inventory(channel["id"])
    assert len([lv for lv in stock_levels.pending(channel["id"], 100) if lv.sku in names]) == 3
    assert shop.quantity(names[0]) == 1
    shown = company.api.json("GET", f"/api/v1/channels/{channel['id']}/inventory")
    assert shown["last_push"]["retrying"] is True and shown["last_push"]["error"]
    assert pushed(store_push.push_inventory(channel["id"])) == 3
    assert [shop.quantity(n) for n in names] == [8, 8, 8]


def test_a_quantity_changed_while_pushing_stays_pending(company, shop, monkeypatch):
    (name,) = company.company.add_inventory_items(1, prefix="RACE-", quantity=4)
    shop.add_variant(name, quantity=0)
    channel = company.channel("shopify", shopify_credentials(shop))
    company.session()
    real = stock_levels.settle_many

    def settle_after_quickbooks_moved(*args, **kwargs):
        company.clock.advance(5)
        company.company.edit_item(name, quantity_on_hand=6)
        company.session()  # the next Web Connector run writes 6 while 4 is on its way
        monkeypatch.setattr(stock_levels, "settle_many", real)
        return real(*args, **kwargs)

    monkeypatch.setattr(stock_levels, "settle_many", settle_after_quickbooks_moved)
    assert pushed(store_push.push_inventory(channel["id"])) == 1  # 4 sent, then 6 sent too
    assert shop.quantity(name) == 6
    assert stock_levels.pending(channel["id"], 10) == []


def test_woocommerce_products_and_variations_by_sku(company):
    names = company.company.add_inventory_items(3, prefix="TEE-", quantity=lambda n: 10 * n)
    with FakeWooCommerce() as woo:
        simple = woo.add_product(names[0], quantity=1)
        parent, (small, _medium) = woo.add_variable_product("Tee", [(names[1], 1), (names[2], 1)])
        channel = company.channel(
            "woocommerce",
            {
                "store_url": woo.base_url,
                "consumer_key": woo.consumer_key,
                "consumer_secret": woo.consumer_secret,
            },
        )
        company.session()
        assert pushed(store_push.push_inventory(channel["id"])) == 3
        assert woo.stock(simple["id"]) == 10
        assert woo.stock(f"variation:{parent['id']}:{small['id']}") == 20
        assert woo.stock(names[2]) == 30


def test_inventory_site_quantities(company, shop):
    names = company.company.add_inventory_items(2, prefix="SITE-", sites={"East": 4, "West": 6})
    for name in names:
        shop.add_variant(name, quantity=0)
    channel = company.channel("shopify", shopify_credentials(shop), inventory_site="West")
    company.session()
    assert pushed(store_push.push_inventory(channel["id"])) == 2
    assert [shop.quantity(n) for n in names] == [6, 6]


def test_directions_must_fit_the_channel_kind(company, shop):
    body = {
        "connection_id": company.conn["id"],
        "kind": "custom_store",
        "name": "Mine",
        "settings": {"directions": ["inventory_to_store"]},
    }
    refused = company.api.call("POST", "/api/v1/channels", body)
    assert refused.status_code == 400
    assert "settings.directions" in json.loads(refused.body)["details"]["fields"]
    assert "Inventory can be sent only to a store" in json.loads(refused.body)["message"]
    body["kind"], body["credentials"] = "shopify", shopify_credentials(shop)
    body["settings"] = {
        "directions": ["inventory_to_store"],
        "inventory_site": "West",
        "product_matching": "manufacturer_part_number",
    }
    refused = company.api.call("POST", "/api/v1/channels", body)
    assert refused.status_code == 400
    assert "settings.inventory_site" in json.loads(refused.body)["details"]["fields"]


def test_a_query_only_job_keeps_no_copy_of_its_request_and_sends_the_same_one_again(company, shop):
    """An inventory read renders its request from its state (jobs.JobRunner.rebuilds_request): the ticket keeps a
    mark, not the request, so it stays under a kilobyte (a write unit a write) with the job's compact settings;
    a Web Connector asking again without answering gets the very same request."""
    from chalicelib.dal import tickets
    from chalicelib.dal.models import TicketModel
    from ledgerbridge.item_sizes import item_size

    names = company.company.add_inventory_items(30, prefix="INK-", quantity=lambda n: n)
    for name in names:
        shop.add_variant(name, quantity=0)
    company.channel("shopify", shopify_credentials(shop), inventory_site="", subtract_sales_orders=True)
    company.clock.advance(1)
    auth = company.service.authenticate(company.conn["username"], company.password)
    assert auth.status == ""
    first = company.service.send_request_xml(auth.ticket, company.company.hcp_response(), "", "US", "13", "0")
    assert "ItemInventoryQueryRq" in first
    kept = tickets.get(auth.ticket)
    assert kept is not None and kept.pending_request is None
    assert kept.pending == {"rebuilt": zlib.crc32(first.encode())}  # a check of the request, not the request
    assert "settings" not in kept.job["state"] and kept.job["state"]["settings_compact"]
    stored = TicketModel.get(auth.ticket, consistent_read=True).serialize()
    assert item_size(stored) < 1024, item_size(stored)

    again = company.service.send_request_xml(auth.ticket, "", "", "US", "13", "0")
    assert again == first  # the same request, rendered again from the unchanged state
    answer = company.company.process(again)
    assert 0 < company.service.receive_response_xml(auth.ticket, answer, "", "") <= 100
    percents = run_rounds(company.service, auth.ticket, company.company, limit=50)
    assert not percents or percents[-1] == 100
    company.service.close_connection(auth.ticket)
    company.company.end_session()
    levels = company.levels(company.api.json("GET", "/api/v1/channels")["channels"][-1]["id"])
    ink = {sku: level for sku, level in levels.items() if sku.startswith("INK-")}
    assert set(ink) == set(names)  # every item read
    assert all(level["quantity"] == int(sku.removeprefix("INK-")) for sku, level in ink.items())
    (run, *_) = sync_runs.recent(company.conn["id"], limit=1)
    read = company.company.count(["ItemInventory", "ItemInventoryAssembly"])
    assert run.counts["inventory_items_read"] == read  # the answer to the resent request applied once


def test_a_request_rendered_again_that_differs_is_not_sent_and_its_job_starts_again(
    company, shop, monkeypatch
):
    """The resend of a query-only job checks what it renders against what was sent (a setting changed between the
    calls): a different one is not sent as the same; the job goes back to the queue and is taken again."""
    from chalicelib.dal import tickets
    from chalicelib.sync import inventory

    company.company.add_inventory_items(5, prefix="PEN-", quantity=lambda n: n)
    company.channel("shopify", shopify_credentials(shop))
    company.clock.advance(1)
    auth = company.service.authenticate(company.conn["username"], company.password)
    first = company.service.send_request_xml(auth.ticket, company.company.hcp_response(), "", "US", "13", "0")
    real = inventory.ReadInventory.next_request
    monkeypatch.setattr(
        inventory.ReadInventory,
        "next_request",
        lambda self, state, ctx: (real(self, state, ctx) or "").replace("<MaxReturned>", "<MaxReturned>1"),
    )
    again = company.service.send_request_xml(auth.ticket, "", "", "US", "13", "0")
    assert again != first and "ItemInventoryQueryRq" in again
    kept = tickets.get(auth.ticket)
    assert kept is not None and kept.round_trips == 2  # a new request of the job taken again, not a resend
    assert kept.pending == {"rebuilt": zlib.crc32(again.encode())}


def _requests_sent(company: Company, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The qbXML requests the company simulator is given from here on, in order."""
    sent: list[str] = []
    real = company.company.process

    def process(request: str) -> str:
        sent.append(request)
        return real(request)

    monkeypatch.setattr(company.company, "process", process)
    return sent


def test_a_quiet_run_reads_parts_and_assemblies_in_one_round_trip(company, shop, monkeypatch):
    """The pass's first request asks for the assemblies too (without an iterator: one iterator open at a time), so
    a run with few changes is one round trip, not two; the request is valid 13.0 qbXML."""
    parts = company.company.add_inventory_items(3, prefix="CUP-", quantity=lambda n: n)
    kits = company.company.add_inventory_items(
        2, prefix="KIT-", quantity=lambda n: 10 + n, kind="ItemInventoryAssembly"
    )
    for name in parts + kits:
        shop.add_variant(name, quantity=0)
    channel = company.channel("shopify", shopify_credentials(shop))
    sent = _requests_sent(company, monkeypatch)
    assert company.session()[-1] == 100  # the first pass reads everything
    (first,) = sent
    assert schema_errors(first) == []
    assert re.search(r'<ItemInventoryQueryRq requestID="inventory" iterator="Start">', first)
    assert re.search(r'<ItemInventoryAssemblyQueryRq requestID="assembly-at-once">', first)
    levels = company.levels(channel["id"])
    assert {sku: levels[sku]["quantity"] for sku in (*kits, parts[0])} == {
        kits[0]: 11,
        kits[1]: 12,
        parts[0]: 1,
    }
    stocked = company.company.count(["ItemInventory", "ItemInventoryAssembly"])
    (run, *_) = sync_runs.recent(company.conn["id"], limit=1)
    assert run.round_trips == 1 and run.counts["inventory_items_read"] == stocked

    sent.clear()
    assert company.session()[-1] == 100  # nothing changed since the cursor: one round trip again
    (quiet,) = sent
    assert "FromModifiedDate" in quiet and "ItemInventoryAssemblyQueryRq" in quiet
    (run, *_) = sync_runs.recent(company.conn["id"], limit=1)
    assert run.round_trips == 1 and run.counts.get("inventory_items_read", 0) == 0


def test_assemblies_that_fill_the_first_answer_are_read_with_an_iterator_after_the_parts(
    company, shop, monkeypatch
):
    """An answer without an iterator that fills the page may have more behind it: it is set aside (not counted, not
    staged) and the assemblies are read with an iterator once the parts are done, each item read once."""
    company.company.add_inventory_items(70, prefix="CUP-", quantity=lambda n: n)
    kits = company.company.add_inventory_items(
        60, prefix="KIT-", quantity=lambda n: 100 + n, kind="ItemInventoryAssembly"
    )
    for name in kits:
        shop.add_variant(name, quantity=0)
    channel = company.channel("shopify", shopify_credentials(shop))
    sent = _requests_sent(company, monkeypatch)
    assert company.session()[-1] == 100
    stocked = company.company.count(["ItemInventory", "ItemInventoryAssembly"])
    (run, *_) = sync_runs.recent(company.conn["id"], limit=1)
    assert run.counts["inventory_items_read"] == stocked  # the set-aside page is not counted
    assert sum("ItemInventoryAssemblyQueryRq" in r for r in sent) == 1 + 2  # at once, then 2 pages of 50
    assert all("assembly-at-once" not in r for r in sent[1:])
    assert schema_errors(sent[-1]) == []
    levels = company.levels(channel["id"])
    assert {sku: levels[sku]["quantity"] for sku in kits} == {sku: 100 + n for n, sku in enumerate(kits, 1)}


NOT_IN_THIS_VERSION = "This feature is not enabled or not available in this version of QuickBooks."


def _refused(answer: str, request_id: str, code: int, message: str = NOT_IN_THIS_VERSION) -> str:
    """`answer` with its assemblies query `request_id` answered as QuickBooks refuses one: status `code`, no items."""
    return re.sub(
        rf'<ItemInventoryAssemblyQueryRs requestID="{request_id}"[^>]*?(?:/>|>.*?</ItemInventoryAssemblyQueryRs>)',
        f'<ItemInventoryAssemblyQueryRs requestID="{request_id}" statusCode="{code}" statusSeverity="Error" '
        f'statusMessage="{message}" />',
        answer,
        count=1,
        flags=re.S,
    )


def _inventory_cursor(channel: dict) -> object:
    from chalicelib.dal import channel_outbound, channels

    stored = channels.get(channel["id"])
    assert stored is not None
    return channel_outbound.get(stored).inventory_cursor


def test_assemblies_refused_at_once_are_read_with_an_iterator_and_the_parts_answer_is_kept(
    company, shop, monkeypatch
):
    """QuickBooks refusing the assemblies asked with the first request (the set goes on: continueOnError) costs
    nothing of the parts' answer: the assemblies phase asks again with an iterator, as before the two were asked
    together, and the pass completes."""
    parts = company.company.add_inventory_items(2, prefix="CUP-", quantity=lambda n: n)
    kits = company.company.add_inventory_items(1, prefix="KIT-", quantity=7, kind="ItemInventoryAssembly")
    for name in parts + kits:
        shop.add_variant(name, quantity=0)
    channel = company.channel("shopify", shopify_credentials(shop))
    real = company.company.process
    sent: list[str] = []

    def refusing(request: str) -> str:
        sent.append(request)
        return _refused(
            real(request),
            "assembly-at-once",
            1000,
            "There has been an internal error when processing the request.",
        )

    monkeypatch.setattr(company.company, "process", refusing)
    assert company.session()[-1] == 100
    assert len(sent) == 2 and 'ItemInventoryAssemblyQueryRq requestID="assembly" iterator="Start"' in sent[1]
    (run, *_) = sync_runs.recent(company.conn["id"], limit=1)
    assert run.errors == [] and run.counts["inventory_items_read"] == company.company.count(
        ["ItemInventory", "ItemInventoryAssembly"]
    )
    levels = company.levels(channel["id"])
    assert {sku: levels[sku]["quantity"] for sku in (*parts, *kits)} == {parts[0]: 1, parts[1]: 2, kits[0]: 7}


def test_a_pass_keeps_the_page_size_it_asked_with(company, shop):
    """Whether the assemblies asked at once all came is judged by the MaxReturned that was sent: a page size changed
    between the request and its answer (a deployment in between) cannot make a cut-off answer look whole."""
    kits = company.company.add_inventory_items(
        60, prefix="KIT-", quantity=lambda n: n, kind="ItemInventoryAssembly"
    )
    for name in kits:
        shop.add_variant(name, quantity=0)
    channel = company.channel("shopify", shopify_credentials(shop))
    company.clock.advance(1)
    service = company.service
    auth = service.authenticate(company.conn["username"], company.password)
    request = service.send_request_xml(auth.ticket, "", company.company.company_file, "US", "13", "0")
    assert "<MaxReturned>50</MaxReturned>" in request
    service.settings = service.settings._replace(inventory_page_size=100)
    percents = [service.receive_response_xml(auth.ticket, company.company.process(request), "", "")]
    percents += run_rounds(service, auth.ticket, company.company, hcp=False, limit=50)
    service.close_connection(auth.ticket)
    assert (percents or [0])[-1] == 100
    levels = company.levels(channel["id"])
    assert {sku: levels[sku]["quantity"] for sku in kits} == {sku: n for n, sku in enumerate(kits, 1)}


@pytest.mark.parametrize("refused", ["at once", "with the iterator"])
def test_an_edition_without_assemblies_completes_the_pass(company, shop, monkeypatch, refused):
    """3250 ("not enabled or not available in this version") to the assemblies query, the parts being answered:
    there are no assemblies to read. The pass completes and keeps its cursor moving instead of failing every run."""
    parts = company.company.add_inventory_items(2, prefix="CUP-", quantity=lambda n: n)
    for name in parts:
        shop.add_variant(name, quantity=0)
    channel = company.channel("shopify", shopify_credentials(shop))
    real = company.company.process
    at_once_status = 3250 if refused == "at once" else 1000

    def without_assemblies(request: str) -> str:
        answer = _refused(real(request), "assembly-at-once", at_once_status, "Refused.")
        return _refused(answer, "assembly", 3250)

    monkeypatch.setattr(company.company, "process", without_assemblies)
    assert company.session()[-1] == 100
    (run, *_) = sync_runs.recent(company.conn["id"], limit=1)
    assert run.errors == [] and run.round_trips == (1 if refused == "at once" else 2)
    assert _inventory_cursor(channel) is not None
    levels = company.levels(channel["id"])
    assert {sku: levels[sku]["quantity"] for sku in parts} == {parts[0]: 1, parts[1]: 2}


@pytest.mark.parametrize("refused_page", [1, 2])
def test_a_3250_after_assemblies_came_back_fails_the_pass_and_keeps_the_cursor(
    company, shop, monkeypatch, refused_page
):
    """ "Not in this edition" cannot be true once assemblies were seen in the pass (a full first answer set aside, an
    earlier page): such an answer fails the pass, so the cursor stays and the next run reads them again."""
    company.company.add_inventory_items(
        120, prefix="KIT-", quantity=lambda n: n, kind="ItemInventoryAssembly"
    )
    channel = company.channel("shopify", shopify_credentials(shop))
    real = company.company.process
    pages = 0

    def refusing_a_page(request: str) -> str:
        nonlocal pages
        answer = real(request)
        if 'ItemInventoryAssemblyQueryRq requestID="assembly"' in request:
            pages += 1
            if pages == refused_page:
                return _refused(answer, "assembly", 3250)
        return answer

    monkeypatch.setattr(company.company, "process", refusing_a_page)
    company.session()
    (run, *_) = sync_runs.recent(company.conn["id"], limit=1)
    assert any("Could not read the inventory" in e for e in run.errors), run.errors
    assert _inventory_cursor(channel) is None
