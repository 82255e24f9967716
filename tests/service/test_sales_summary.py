"""Sales at a glance and the daily summary e-mail (issue 13, part 9): figures from the stored orders, the
route's hostile input, tenant isolation, and the e-mail written locally or sent through SES."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from chalicelib.dal import connections
from chalicelib.dal import orders as repo
from chalicelib.dal.models import ConnectionModel, OrderModel
from chalicelib.settings import get_settings
from chalicelib.sync.sales_summary import daily_summary
from chalicelib.sync.summary_mail import deliver
from tests.service.test_orders_api import ORDER, SETTINGS, seed_accounts

NOW = datetime.now(UTC)
TODAY = NOW.date()


def order(number: int, day_offset: int, sku: str, quantity: int, price: str, currency: str = "USD") -> dict:
    placed = datetime.combine(TODAY - timedelta(days=day_offset), datetime.min.time(), UTC) + timedelta(
        hours=9
    )
    body = copy.deepcopy(ORDER)
    amount = f"{int(quantity) * float(price):.2f}"
    body.update(
        id=str(number),
        number=f"#{number}",
        created_at=placed.isoformat(),
        currency=currency,
        lines=[{"id": "1", "sku": sku, "title": sku.title(), "quantity": quantity, "unit_price": price}],
        shipping_lines=[],
        payments=[{"method": "credit_card", "amount": amount}],
        total=amount,
    )
    return body


def set_status(channel_id: str, order_id: str, status: str, message: str | None = None) -> None:
    actions = [OrderModel.status.set(status)]
    if message:
        actions.append(OrderModel.error.set({"code": "3140", "message": message, "retriable": False}))
    OrderModel(channel_id, order_id).update(actions=actions)


@pytest.fixture
def shop(api):
    conn = api.json("POST", "/api/v1/connections", {"name": "Back office"}, expect=201)
    seed_accounts(conn["id"])
    web = api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": SETTINGS},
        expect=201,
    )
    market = api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": conn["id"], "kind": "custom_store", "name": "Market", "settings": SETTINGS},
        expect=201,
    )
    web_orders = [
        order(1, 0, "mug", 2, "10.00"),
        order(2, 1, "mug", 1, "10.00"),
        order(3, 1, "tea", 3, "4.00"),
        order(4, 40, "mug", 9, "10.00"),  # outside 30 days
        order(5, 1, "mug", 1, "99.00", currency="EUR"),
    ]
    api.json("POST", f"/api/v1/channels/{web['id']}/orders", {"orders": web_orders}, expect=202)
    api.json(
        "POST",
        f"/api/v1/channels/{market['id']}/orders",
        {"orders": [order(6, 2, "tea", 1, "4.00")]},
        expect=202,
    )
    set_status(web["id"], "1", repo.SYNCED)
    set_status(web["id"], "3", repo.FAILED, "The item Tea is not in QuickBooks.")
    return {"conn": conn, "web": web, "market": market}


def test_summary_adds_up_per_day_channel_state_and_product(api, shop):
    s = api.json("GET", "/api/v1/sales/summary?days=30")
    assert s["currency"] == "USD" and s["other_currency_orders"] == 1 and not s["incomplete"]
    assert (s["orders"], s["total"]) == (4, "46.00")  # 20 + 10 + 12 + 4
    assert (s["synced"], s["failed"], s["waiting"]) == (1, 1, 2)
    assert len(s["per_day"]) == 30 and s["per_day"][-1]["date"] == TODAY.isoformat()
    by_day = {d["date"]: d for d in s["per_day"]}
    yesterday = by_day[(TODAY - timedelta(days=1)).isoformat()]
    assert (yesterday["orders"], yesterday["total"], yesterday["failed"]) == (2, "22.00", 1)
    assert sum(d["orders"] for d in s["per_day"]) == s["orders"]
    assert [(c["name"], c["orders"], c["total"]) for c in s["per_channel"]] == [
        ("Web", 3, "42.00"),
        ("Market", 1, "4.00"),
    ]
    assert [(p["sku"], p["quantity"], p["total"]) for p in s["top_products"]] == [
        ("mug", "3", "30.00"),
        ("tea", "4", "16.00"),
    ]
    one = api.json("GET", "/api/v1/sales/summary?days=1")
    assert (one["orders"], one["total"], len(one["per_day"])) == (1, "20.00", 1)


def test_another_tenant_sees_none_of_it(other_api, shop):
    s = other_api.json("GET", "/api/v1/sales/summary")
    assert (s["orders"], s["per_channel"], s["top_products"], s["days"]) == (0, [], [], 30)


@pytest.mark.parametrize(
    "query", ["days=0", "days=367", "days=-3", "days=abc", "days=1.5", "day=3", "days=3&x=1"]
)
def test_hostile_parameters_are_400_naming_them(api, query):
    response = api.call("GET", f"/api/v1/sales/summary?{query}")
    assert response.status_code == 400, response.body
    assert b"day" in response.body or b"x" in response.body


def test_daily_summary_tells_yesterday_and_what_needs_the_merchant(api, shop):
    ConnectionModel(shop["conn"]["id"]).update(
        actions=[
            ConnectionModel.last_contact_at.set(NOW - timedelta(days=2)),
            ConnectionModel.connected_at.set(NOW - timedelta(days=3)),
        ]
    )
    assert connections.get(shop["conn"]["id"]).has_connected
    summary = daily_summary(api.tenant_id, NOW)
    assert summary.day == TODAY - timedelta(days=1)
    assert (summary.sales["orders"], summary.sales["total"]) == (2, "22.00")
    assert summary.failed_orders == 1 and summary.failed_named[0].number == "#3"
    assert summary.quiet_connections == ("Back office",) and summary.needs_you
    text = summary.text
    assert "Orders: 2, total 22.00 USD" in text
    assert "Order #3 (Web): The item Tea is not in QuickBooks." in text
    assert "has not run Back office for a day" in text
    assert text.count("Needs your attention") == 1


def test_a_quiet_day_needs_nothing(other_api):
    summary = daily_summary(other_api.tenant_id, NOW)
    assert (
        not summary.needs_you
        and "No orders." in summary.text
        and "Nothing needs your attention." in summary.text
    )


def test_locally_the_email_is_a_file(api, shop, tmp_path: Path):
    settings = get_settings()._replace(mail_dir=str(tmp_path / "mail"), summary_to="owner@example.com")
    delivery = deliver(daily_summary(api.tenant_id, NOW), "Merchant", settings)
    written = Path(delivery.where).read_text()
    assert Path(delivery.where).parent == tmp_path / "mail"
    assert written.startswith("To: owner@example.com\nSubject: Merchant: Your sales on ")
    assert "Order #3 (Web)" in written


def test_in_aws_the_email_goes_through_ses(api, shop, aws):
    ses = boto3.client("ses", endpoint_url=aws, region_name=get_settings().region)
    ses.verify_email_identity(EmailAddress="summary@ledgerbridge.example")
    before = ses.get_send_quota()["SentLast24Hours"]
    settings = get_settings()._replace(
        aws_endpoint_url=None,
        summary_from="summary@ledgerbridge.example",
        summary_to="owner@example.com",
    )
    delivery = deliver(daily_summary(api.tenant_id, NOW), "Merchant", settings)
    assert delivery.where.startswith("ses:")
    assert ses.get_send_quota()["SentLast24Hours"] == before + 1
    unset = deliver(daily_summary(api.tenant_id, NOW), "Merchant", settings._replace(summary_to=""))
    assert unset.where.startswith("skipped")
