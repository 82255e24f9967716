"""Paid invoices through the Web Connector and the company simulator, for a US and a UK file: the invoice of an
order paid at the store gets one ReceivePayment per store payment, applied to it, as the payments come, exactly
once (lost answers and crashes included); with `record_payments` off, the invoice only."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest

from chalicelib.dal.models import OrderModel
from chalicelib.orders.quickbooks.payments import payment_guid
from chalicelib.settings import get_settings
from ledgerbridge.simulators.company import CompanySimulator, ResponseLost
from tests.service.test_exactly_once_cases import as_status_answer, drain, push, recover_with
from tests.service.test_post_orders import order, session, statuses


def _store(api, tmp_path, country: str):
    """A connected company file of `country` (lists cached) and a custom-store channel posting invoices."""
    from chalicelib.sync.web_connector import WebConnectorService
    from tests.service.test_web_connector_session import Clock, run_rounds

    conn = api.json("POST", "/api/v1/connections", {"name": f"Paid {country}"}, expect=201)
    password = api.json("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)["password"]
    company = CompanySimulator.open(tmp_path / "company.json", country=country)
    service = WebConnectorService(get_settings()._replace(), clock=Clock())
    auth = service.authenticate(conn["username"], password)
    run_rounds(service, auth.ticket, company)
    service.close_connection(auth.ticket)
    accounts = api.json("GET", f"/api/v1/connections/{conn['id']}/accounts")["records"]
    deposit = next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset")
    income = next(a["full_name"] for a in accounts if a["account_type"] == "Income")
    settings = {"transaction_type": "invoice", "accounts": {"deposit": deposit, "income": income}}
    if country == "US":
        settings.update(sales_tax_item="", taxable_code="Non", tax_mode="quickbooks")
    else:  # the orders carry no VAT: their lines are zero rated
        settings.update(tax_code="S", exempt_tax_code="Z")
    channel = api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": settings},
        expect=201,
    )
    return {
        "conn": conn,
        "password": password,
        "company": company,
        "service": service,
        "channel": channel,
        "currency": "USD" if country == "US" else "GBP",  # the file's home currency
    }


def send(store, doc: dict) -> dict:
    """Push one order in the file's home currency; the push's answer."""
    return push(store["api"], store, [{**doc, "currency": store["currency"]}])


@pytest.fixture(params=["US", "UK"])
def shop(request, api, tmp_path):
    return _store(api, tmp_path, request.param)


def paid(n: int, *payments: tuple[str, str], status: str = "partially_paid") -> dict:
    """Order `n` (total 30.00) with these (reference, amount) payments."""
    doc = order(n, payment_status=status)
    doc["payments"] = [
        {"method": "credit_card", "gateway": "stripe", "amount": amount, "reference": reference}
        for reference, amount in payments
    ]
    return doc


def invoice_of(store, doc) -> dict:
    seen = statuses(store["api"], store["channel"]["id"])[doc["id"]]
    found = store["company"].find_txn(seen["documents"]["Invoice"])
    assert found is not None and found[0] == "Invoice"
    return found[1]


def payments_of(store) -> list[dict]:
    return store["company"].sales("ReceivePayment")


def assert_each_payment_once(store, docs) -> None:
    company = store["company"]
    counts = company.external_guid_counts(("Invoice", "ReceivePayment", "CreditMemo"))
    assert counts and max(counts.values()) == 1, "a document was posted twice"
    guids = {p["ExternalGUID"].upper() for p in payments_of(store)}
    seen = statuses(store["api"], store["channel"]["id"])
    expected = set()
    for doc in docs:
        stored = seen[doc["id"]]
        assert stored["status"] == "synced", stored["error"]
        keys = [
            label.split(":", 1)[1] for label in stored["documents"] if label.startswith("ReceivePayment:")
        ]
        expected |= {payment_guid(_order_guid(store, doc), key) for key in keys}
    assert guids == expected


def _order_guid(store, doc) -> str:
    from chalicelib.orders.to_quickbooks import order_guid

    return order_guid(store["conn"]["id"], store["channel"]["id"], doc["id"])


@pytest.fixture
def paid_shop(shop, api):
    shop["api"] = api
    return shop


def test_a_paid_order_becomes_an_invoice_and_its_payment(paid_shop):
    store = paid_shop
    doc = paid(1, ("ch_1", "30.00"), status="paid")
    send(store, doc)
    status, percents = session(store)
    assert status == "" and len(percents) == 2 and percents[-1] == 100  # the invoice, then its payment
    invoice = invoice_of(store, doc)
    assert Decimal(invoice["BalanceRemaining"]) == 0 and invoice["IsPaid"] in ("true", True)
    (payment,) = payments_of(store)
    applied = payment["AppliedToTxnRet"]
    applied = applied[0] if isinstance(applied, list) else applied
    assert applied["TxnID"] == invoice["TxnID"] and Decimal(applied["Amount"]) == Decimal("30.00")
    assert payment["RefNumber"] == invoice["RefNumber"] == "2001"
    assert payment["CustomerRef"]["ListID"] == invoice["CustomerRef"]["ListID"]
    assert_each_payment_once(store, [doc])
    # The same order again: nothing new.
    send(store, doc)
    assert session(store)[0] == "none"
    assert len(payments_of(store)) == 1


def test_partial_payments_are_posted_as_they_come(paid_shop):
    store = paid_shop
    first = paid(2, ("ch_1", "20.00"))
    send(store, first)
    session(store)
    invoice = invoice_of(store, first)
    assert Decimal(invoice["BalanceRemaining"]) == Decimal("10.00") and invoice["IsPaid"] in ("false", False)
    assert len(payments_of(store)) == 1
    # A later fetch brings the second payment: only its ReceivePayment is posted.
    second = paid(2, ("ch_1", "20.00"), ("ch_2", "10.00"), status="paid")
    assert send(store, second)["counts"].get("refunded") == 1  # queued like a refund
    status, percents = session(store)
    assert status == "" and len(percents) == 1  # one round trip: the new payment only
    assert len(payments_of(store)) == 2
    invoice = invoice_of(store, first)
    assert Decimal(invoice["BalanceRemaining"]) == 0 and invoice["IsPaid"] in ("true", True)
    assert len(store["company"].sales("Invoice")) == 1
    assert_each_payment_once(store, [second])
    assert session(store)[0] == "none"


def test_store_payments_past_the_total_never_overpay_the_invoice(paid_shop):
    store = paid_shop
    doc = paid(3, ("a", "25.00"), ("b", "25.00"), status="paid")
    send(store, doc)
    drain(store)
    amounts = sorted(Decimal(p["TotalAmount"]) for p in payments_of(store))
    assert amounts == [Decimal("5.00"), Decimal("25.00")]
    assert Decimal(invoice_of(store, doc)["BalanceRemaining"]) == 0
    assert all(Decimal(p["UnusedPayment"]) == 0 for p in payments_of(store))
    assert_each_payment_once(store, [doc])


def test_with_the_setting_off_the_invoice_is_posted_alone(paid_shop):
    store = paid_shop
    store["api"].json(
        "PATCH", f"/api/v1/channels/{store['channel']['id']}", {"settings": {"record_payments": False}}
    )
    doc = paid(4, ("ch_1", "30.00"), status="paid")
    send(store, doc)
    assert len(session(store)[1]) == 1
    assert payments_of(store) == []
    assert Decimal(invoice_of(store, doc)["BalanceRemaining"]) == Decimal("30.00")
    seen = statuses(store["api"], store["channel"]["id"])[doc["id"]]
    assert seen["status"] == "synced" and set(seen["documents"]) == {"Invoice"}
    # A later payment of that order stays out of QuickBooks too.
    later = paid(4, ("ch_1", "30.00"), ("ch_2", "5.00"), status="paid")
    assert send(store, later)["counts"].get("changed_after_sync") == 1
    assert session(store)[0] == "none"


def test_a_bad_record_payments_value_is_refused_naming_the_field(paid_shop):
    answer = paid_shop["api"].json(
        "PATCH",
        f"/api/v1/channels/{paid_shop['channel']['id']}",
        {"settings": {"record_payments": "yes"}},
        expect=400,
    )
    assert "settings.record_payments" in str(answer)


def test_payment_methods_are_mapped_per_gateway_then_per_method(paid_shop):
    store = paid_shop
    methods = {"stripe": "Visa", "credit_card": "Check"}
    store["api"].json(
        "PATCH", f"/api/v1/channels/{store['channel']['id']}", {"settings": {"payment_methods": methods}}
    )
    doc = paid(9, ("ch_1", "10.00"), ("ch_2", "20.00"), status="paid")
    doc["payments"][1]["gateway"] = "square"  # no entry for this gateway: its method's entry applies
    send(store, doc)
    drain(store)
    by_amount = {Decimal(p["TotalAmount"]): p["PaymentMethodRef"]["FullName"] for p in payments_of(store)}
    assert by_amount == {Decimal("10.00"): "Visa", Decimal("20.00"): "Check"}


def test_a_gateways_payment_method_quickbooks_does_not_have_is_refused_naming_the_key(paid_shop):
    answer = paid_shop["api"].json(
        "PATCH",
        f"/api/v1/channels/{paid_shop['channel']['id']}",
        {"settings": {"payment_methods": {"stripe": "Stripe Payments"}}},
        expect=400,
    )
    assert "settings.payment_methods.stripe" in str(answer)


# --- exactly once: lost answers and crashes in the middle -----------------------------------------------------------


def _post_the_invoice_then_lose_the_payments_answer(store) -> None:
    """One session: the invoice's round trip is answered; the payment's set is committed by QuickBooks and its
    answer is lost; the session dies."""
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert "InvoiceAddRq" in request
    assert service.receive_response_xml(auth.ticket, company.process(request), "", "") >= 0
    request = service.send_request_xml(auth.ticket, "", company.company_file, "US", "13", "0")
    assert "ReceivePaymentAddRq" in request and "InvoiceAddRq" not in request
    company.faults.lose_next_response = True
    with contextlib.suppress(ResponseLost):
        company.process(request)
    company.end_session()
    service.clock.advance(get_settings().session_lease_seconds + 1)


def test_a_lost_payment_answer_is_recovered_from_quickbooks_status_without_a_second_payment(paid_shop):
    store = paid_shop
    doc = paid(5, ("ch_1", "12.00"), ("ch_2", "18.00"), status="paid")
    send(store, doc)
    _post_the_invoice_then_lose_the_payments_answer(store)
    assert len(payments_of(store)) == 1  # QuickBooks has it; the service does not know
    assert recover_with(store, as_status_answer) >= 0
    drain(store)
    assert len(payments_of(store)) == 2
    assert Decimal(invoice_of(store, doc)["BalanceRemaining"]) == 0
    assert_each_payment_once(store, [doc])


def test_a_lost_payment_answer_quickbooks_kept_no_status_for_is_found_by_refnumber_and_guid(paid_shop):
    store = paid_shop
    doc = paid(6, ("ch_1", "12.00"), ("ch_2", "18.00"), status="paid")
    send(store, doc)
    _post_the_invoice_then_lose_the_payments_answer(store)
    company = store["company"]
    # QuickBooks no longer keeps the set's status (legacy__ErrRecovery3.xml: a request with oldMessageSetID alone
    # clears it): the recovery falls back to the lookup by RefNumber, confirmed by ExternalGUID.
    stored_id = company.stored_message_set_id
    assert stored_id
    company.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML>'
        f'<QBXMLMsgsRq onError="continueOnError" oldMessageSetID="{stored_id}"/></QBXML>'
    )
    assert company.stored_message_set_id is None
    drain(store, sessions=8)
    assert len(payments_of(store)) == 2
    assert Decimal(invoice_of(store, doc)["BalanceRemaining"]) == 0
    assert_each_payment_once(store, [doc])


def test_a_merchant_retry_of_an_order_whose_payment_quickbooks_holds_posts_no_second_payment(paid_shop):
    """Whatever made it (an earlier defect, a hand edit): the order says failed and does not know its second
    payment, which QuickBooks holds. The retry looks the payment up (RefNumber + ExternalGUID) and posts nothing."""
    store = paid_shop
    doc = paid(7, ("ch_1", "10.00"), ("ch_2", "20.00"), status="paid")
    send(store, doc)
    drain(store)
    assert len(payments_of(store)) == 2
    before = statuses(store["api"], store["channel"]["id"])[doc["id"]]
    known = {k: v for k, v in before["documents"].items() if k != "ReceivePayment:ch_2"}
    OrderModel(store["channel"]["id"], doc["id"]).update(
        actions=[
            OrderModel.status.set("failed"),
            OrderModel.documents.set(known),
            OrderModel.error.set({"code": "0", "message": "lost track", "retriable": False}),
        ]
    )
    retried = store["api"].json("POST", f"/api/v1/orders/{before['id']}/retry", expect=202)
    assert retried["status"] == "pending"
    drain(store)
    after = statuses(store["api"], store["channel"]["id"])[doc["id"]]
    assert after["documents"] == before["documents"]  # the same payment, found again
    assert len(payments_of(store)) == 2
    assert_each_payment_once(store, [doc])


def test_a_payment_pushed_while_its_order_is_in_flight_is_posted_after_the_invoice(paid_shop):
    store = paid_shop
    service, company = store["service"], store["company"]
    first = paid(8, ("ch_1", "10.00"))
    send(store, first)
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    second = paid(8, ("ch_1", "10.00"), ("ch_2", "20.00"), status="paid")
    assert send(store, second)["counts"].get("changed_after_sync") == 1
    assert service.receive_response_xml(auth.ticket, company.process(request), "", "") >= 0
    while request := service.send_request_xml(auth.ticket, "", company.company_file, "US", "13", "0"):
        if service.receive_response_xml(auth.ticket, company.process(request), "", "") >= 100:
            break
    service.close_connection(auth.ticket)
    company.end_session()
    drain(store)
    assert len(payments_of(store)) == 2
    assert Decimal(invoice_of(store, first)["BalanceRemaining"]) == 0
    assert_each_payment_once(store, [second])


# --- never more than the invoice, never the same payment twice -----------------------------------------------------


def test_a_paid_order_whose_marketplace_tax_is_dropped_pays_the_invoice_not_the_order_total(paid_shop):
    """The marketplace collected 3.00 of tax and remits it: the invoice is 30.00 (the tax dropped), the customer
    paid 33.00. The payment is the invoice's 30.00 (the simulator refuses overpaying with 3210)."""
    store = paid_shop
    doc = paid(10, ("ch_1", "33.00"), status="paid")
    doc["lines"][0]["tax"] = "3.00"
    doc["total"] = "33.00"
    doc["tax_collected_by_marketplace"] = True
    send(store, doc)
    drain(store)
    invoice = invoice_of(store, doc)
    assert Decimal(invoice["Subtotal"]) + Decimal(invoice.get("SalesTaxTotal") or 0) == Decimal("30.00")
    (payment,) = payments_of(store)
    assert Decimal(payment["TotalAmount"]) == Decimal("30.00")
    assert Decimal(invoice["BalanceRemaining"]) == 0 and Decimal(payment["UnusedPayment"]) == 0
    assert_each_payment_once(store, [doc])
    # The invoice's total as QuickBooks answered it is kept: later payments are capped by it.
    assert Decimal(OrderModel.get(store["channel"]["id"], doc["id"]).invoice_total or "nan") == Decimal(
        "30.00"
    )


def _unreferenced(n: int, *payments: tuple[str, str, str], status: str = "partially_paid") -> dict:
    """Order `n` (total 30.00) with these (reference, amount, paid_at) payments."""
    doc = paid(n, *((ref, amount) for ref, amount, _ in payments), status=status)
    for payment, (_, _, when) in zip(doc["payments"], payments, strict=True):
        payment["paid_at"] = when
    return doc


D1, D2 = "2026-11-20T10:00:00Z", "2026-11-22T10:00:00Z"


def test_payments_fetched_again_reordered_or_with_their_reference_are_not_posted_again(paid_shop):
    store = paid_shop
    first = _unreferenced(11, ("", "10.00", D1), ("", "5.00", D2))
    send(store, first)
    drain(store)
    assert sorted(Decimal(p["TotalAmount"]) for p in payments_of(store)) == [
        Decimal("5.00"),
        Decimal("10.00"),
    ]
    # The store lists them the other way round, and gives the first its gateway reference now: nothing new.
    again = _unreferenced(11, ("", "5.00", D2), ("ch_1", "10.00", D1))
    assert send(store, again)["counts"].get("refunded") is None
    assert session(store)[0] == "none"
    # A genuinely new payment (the rest, 15.00) is posted once, and only it.
    later = _unreferenced(11, ("ch_3", "15.00", D2), ("", "5.00", D2), ("ch_1", "10.00", D1), status="paid")
    assert send(store, later)["counts"].get("refunded") == 1
    drain(store)
    amounts = sorted(Decimal(p["TotalAmount"]) for p in payments_of(store))
    assert amounts == [Decimal("5.00"), Decimal("10.00"), Decimal("15.00")]
    assert Decimal(invoice_of(store, first)["BalanceRemaining"]) == 0
    assert_each_payment_once(store, [later])
    send(store, later)
    assert session(store)[0] == "none"


def test_payments_stop_at_the_total_quickbooks_recorded_for_the_invoice(api, store):
    """QuickBooks computes the invoice's tax at its own rate (a US file, `tax_mode` quickbooks): the invoice holds
    less than the store charged. The customer's payment of the store's total pays QuickBooks' total, no more (the
    simulator refuses overpaying with 3210)."""
    store["api"] = api
    api.json(
        "PATCH",
        f"/api/v1/channels/{store['channel']['id']}",
        {"settings": {"transaction_type": "invoice", "record_payments": True}},
    )
    doc = paid(12, ("ch_1", "40.00"), status="paid")
    doc["lines"][0]["tax"] = "10.00"  # more than QuickBooks' rate gives
    doc["total"] = "40.00"
    push(api, store, [doc])
    drain(store)
    invoice = invoice_of(store, doc)
    held = Decimal(invoice["Subtotal"]) + Decimal(invoice["SalesTaxTotal"])
    assert held < Decimal("40.00")
    seen = statuses(api, store["channel"]["id"])[doc["id"]]
    assert seen["status"] == "synced", seen["error"]
    (payment,) = payments_of(store)
    assert Decimal(payment["TotalAmount"]) == held
    assert Decimal(invoice_of(store, doc)["BalanceRemaining"]) == 0
