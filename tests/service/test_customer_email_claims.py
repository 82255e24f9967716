"""Name with e-mail comparison (`name_email_match`) across the message sets of one post-orders job: a name
QuickBooks did not have is the first order's once that order takes it; a namesake with another e-mail, posted in a
later message set of the same job, goes to the web-store customer (docs/accounting/customer-matching.md)."""

from __future__ import annotations

from chalicelib.settings import get_settings
from ledgerbridge.simulators.company import CompanySimulator
from tests.service.test_exactly_once_cases import push
from tests.service.test_post_orders import order, session, statuses


def test_a_namesake_in_a_later_set_of_the_job_goes_to_the_fallback_customer(api, tmp_path):
    from chalicelib.sync.web_connector import WebConnectorService
    from tests.service.test_web_connector_session import Clock, run_rounds

    conn = api.json("POST", "/api/v1/connections", {"name": "Namesakes"}, expect=201)
    password = api.json("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)["password"]
    company = CompanySimulator.open(tmp_path / "company.json", country="US")
    # One order per message set: the namesake comes in the job's second set, after the first one's CustomerAdd.
    service = WebConnectorService(get_settings()._replace(orders_per_message_set=1), clock=Clock())
    auth = service.authenticate(conn["username"], password)
    run_rounds(service, auth.ticket, company)
    service.close_connection(auth.ticket)
    accounts = api.json("GET", f"/api/v1/connections/{conn['id']}/accounts")["records"]
    settings = {
        "transaction_type": "sales_receipt",
        "customer_matching": "name_email_match",
        "fallback_customer": "Web Store",
        "sales_tax_item": "",
        "taxable_code": "Non",
        "tax_mode": "quickbooks",
        "accounts": {
            "deposit": next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset"),
            "income": next(a["full_name"] for a in accounts if a["account_type"] == "Income"),
        },
    }
    channel = api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": settings},
        expect=201,
    )
    store = {"api": api, "conn": conn, "password": password, "company": company, "service": service}
    store["channel"] = channel
    ada = {"first_name": "Ada", "last_name": "Byron"}
    docs = [
        order(1, customer={**ada, "email": "ada@x.com"}),
        order(2, customer={**ada, "email": "ada.byron@elsewhere.org"}),  # another Ada Byron
        order(3, customer={**ada, "email": "ADA@x.com"}),  # the first one again
    ]
    push(api, store, docs)
    status, percents = session(store)
    assert status == "" and len(percents) >= 4  # the e-mail lookup, then one order per set
    seen = statuses(api, channel["id"])
    assert {o["status"] for o in seen.values()} == {"synced"}, [o["error"] for o in seen.values()]
    customer_of = {s["RefNumber"]: s["CustomerRef"]["FullName"] for s in company.sales("SalesReceipt")}
    assert customer_of == {"2001": "Byron, Ada", "2002": "Web Store", "2003": "Byron, Ada"}
    added = company.find("Customer", "Byron, Ada")
    assert added is not None and added["Email"] == "ada@x.com"
