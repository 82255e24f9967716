"""ShipStation (API v1, https://ssapi.shipstation.com): the orders changed in a window, HTTP Basic auth with
the account's API key and secret.

ShipStation's timestamps and its date filters are US Pacific wall-clock times without an offset; they are
converted both ways with America/Los_Angeles (or the built-in `UsPacific` rules where the runtime has no
time zone data). ShipStation allows 40 requests a minute per key and reports what is left in
X-Rate-Limit-* headers: when nothing is left the connector waits X-Rate-Limit-Reset seconds first.

Mapping (ShipStation order -> canonical order): items -> lines (adjustment items with a negative amount ->
discounts, positive -> fees), taxAmount -> one tax line, shippingAmount -> one shipping line, amountPaid ->
one payment, orderStatus -> status, advancedOptions.source -> source. ShipStation's orderTotal is the items
plus tax plus shipping, which is what `Order.computed_total` adds up. Order dates keep the Pacific offset so
the QuickBooks date is the day ShipStation shows. ShipStation v1 orders carry no currency: USD is assumed.

Orders from QuickBooks: `upsert_orders` sends ShipStation order JSON built by the caller to
POST /orders/createorders (at most 100 a call; ShipStation updates the order with the same orderKey instead of
creating a second one, so a retried call is harmless) and reads each order's success/errorMessage. Those
orders carry advancedOptions.source = LEDGERBRIDGE_SOURCE, and `fetch_page` leaves them out (importing them
back into QuickBooks would duplicate them). `fetch_shipments` reads GET /shipments by createDate (Pacific
time both ways, like the order fetch); a shipment's createDate never changes, so pages are read by number
within the window. Around the hour that repeats when clocks fall back a shipment can come in two
neighbouring windows: key shipments by shipment_id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    import httpx


from chalicelib.channels.base import (
    CENT,
    ConnectorSpec,
    CredentialField,
    FatalError,
    FetchedOrder,
    Http,
    HttpOptions,
    Page,
    RetriableError,
    Window,
    amount,
    canonical,
    money,
    text,
)
from chalicelib.channels.paging import OffsetKeyset

API_URL = "https://ssapi.shipstation.com"
LEDGERBRIDGE_SOURCE = "QuickBooks via Ledgerbridge"  # advancedOptions.source on orders Ledgerbridge creates
UPSERT_BATCH = 100  # ShipStation's limit for /orders/createorders
PAGE_SIZE = 500  # ShipStation's maximum
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
REJECTED = (
    "ShipStation rejected the API key and secret. Copy both again from ShipStation "
    "(Settings > Account > API Settings) and save them here."
)


@dataclass(frozen=True)
class UpsertResult:
    """What ShipStation did with one order sent to /orders/createorders."""

    order_key: str
    ok: bool
    order_id: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Shipment:
    shipment_id: str
    order_id: str
    order_key: str
    order_number: str
    tracking_number: str
    carrier_code: str
    service_code: str | None
    ship_date: date
    shipment_cost: Decimal
    voided: bool
    created_at: datetime  # aware UTC (ShipStation's createDate is US Pacific time)


@dataclass(frozen=True)
class ShipmentPage:
    shipments: list[Shipment]
    next_token: str | None


# -- Pacific time ------------------------------------------------------------------------------------


class UsPacific(tzinfo):
    """US Pacific time by the rules in force since 2007 (daylight time from the second Sunday of March,
    2:00, to the first Sunday of November, 2:00), for runtimes without IANA time zone data."""

    STD = timedelta(hours=-8)
    DST = timedelta(hours=-7)
    HOUR = timedelta(hours=1)

    @staticmethod
    def bounds(year: int) -> tuple[datetime, datetime]:
        """Wall-clock start and end of daylight time in `year` (naive)."""
        march = datetime(year, 3, 8, 2)  # the second Sunday falls on the 8th to the 14th
        november = datetime(year, 11, 1, 2)
        return (
            march + timedelta(days=(6 - march.weekday()) % 7),
            november + timedelta(days=(6 - november.weekday()) % 7),
        )

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return self.STD
        start, end = self.bounds(dt.year)
        naive = dt.replace(tzinfo=None)
        if start <= naive < start + self.HOUR:  # skipped when clocks spring forward
            return self.DST if dt.fold else self.STD
        if end - self.HOUR <= naive < end:  # repeated when clocks fall back: fold 0 is the first pass
            return self.STD if dt.fold else self.DST
        return self.DST if start <= naive < end else self.STD

    def dst(self, dt: datetime | None) -> timedelta:
        return self.utcoffset(dt) - self.STD

    def tzname(self, dt: datetime | None) -> str:
        return "PDT" if self.dst(dt) else "PST"

    def fromutc(self, dt: datetime) -> datetime:
        naive = dt.replace(tzinfo=None)
        start, end = self.bounds(naive.year)
        if start - self.STD <= naive < end - self.DST:
            return (naive + self.DST).replace(tzinfo=self, fold=0)
        local = naive + self.STD
        return local.replace(tzinfo=self, fold=1 if end - self.HOUR <= local < end else 0)


def pacific_zone() -> tzinfo:
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:  # e.g. a Lambda image without tzdata
        return UsPacific()


PACIFIC = pacific_zone()


def from_pacific(value: Any) -> datetime:
    """A ShipStation timestamp ("2026-11-20T10:00:00.0000000", Pacific wall-clock time) as UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a ShipStation timestamp: {value!r}")
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PACIFIC)
    return parsed.astimezone(UTC)


def to_pacific(moment: datetime) -> str:
    """`moment` as a ShipStation date filter: Pacific wall-clock time, e.g. "2026-11-20 02:00:00"."""
    local = moment.astimezone(PACIFIC)
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{local.microsecond:06d}" if local.microsecond else text


def modify_date_start(since: datetime, *, first_page: bool) -> str:
    """modifyDateStart for orders changed at or after `since`.

    One microsecond earlier, so `since` is included whether ShipStation's filter is inclusive or not. On a
    window's first page, a start inside the hour that repeats when clocks fall back goes back to the start
    of that hour: an order changed in the hour's second pass carries an earlier wall-clock time than one
    changed in its first pass, and would otherwise fall before the window's start."""
    local = since.astimezone(PACIFIC)
    if first_page and local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        local = local.replace(minute=0, second=0, microsecond=0)
    return to_pacific(local - timedelta(microseconds=1))


# -- connector ---------------------------------------------------------------------------------------


def pace(response: httpx.Response) -> float:
    """Seconds to wait before the next call: X-Rate-Limit-Reset once X-Rate-Limit-Remaining is 0 (a 429
    with Retry-After is waited for by `Http` itself)."""
    if response.status_code == 429 and response.headers.get("Retry-After"):
        return 0.0
    try:
        remaining = int(response.headers.get("X-Rate-Limit-Remaining", ""))
        reset = float(response.headers.get("X-Rate-Limit-Reset", ""))
    except ValueError:
        return 0.0
    return max(0.0, reset) if remaining <= 0 else 0.0


class ShipStation:
    vendor: ClassVar[str] = "ShipStation"

    def __init__(self, credentials: Mapping[str, str], options: HttpOptions) -> None:
        api_key = (credentials.get("api_key") or "").strip()
        api_secret = (credentials.get("api_secret") or "").strip()
        if not api_key or not api_secret:
            raise FatalError(
                "Enter the ShipStation API key and API secret (ShipStation: Settings > Account > API Settings)."
            )
        self.page_size = min(options.page_size or PAGE_SIZE, PAGE_SIZE)
        self.http = Http(
            vendor="ShipStation",
            base_url=options.base_url_overrides.get("shipstation", API_URL),
            options=options,
            auth=(api_key, api_secret),
            rejected=REJECTED,
            pace=pace,
        )

    def close(self) -> None:
        self.http.close()

    def check_credentials(self) -> str:
        stores = self._get("/stores", {"showInactive": "false"})
        names = [
            str(s["storeName"]).strip()
            for s in (stores if isinstance(stores, list) else [])
            if isinstance(s, Mapping) and str(s.get("storeName") or "").strip()
        ]
        if not names:
            return "ShipStation account"
        return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more ShipStation stores"

    def fetch_page(self, window: Window, token: str | None) -> Page:
        position = OffsetKeyset.read(token, window)
        since, page = position.since, position.page
        params: dict[str, Any] = {
            "modifyDateEnd": to_pacific(window.until),
            "sortBy": "ModifyDate",
            "sortDir": "ASC",
            "pageSize": self.page_size,
            "page": page,
        }
        if since is not None:
            params["modifyDateStart"] = modify_date_start(since, first_page=token is None)
        body = self._get("/orders", params)
        if not isinstance(body, Mapping) or not isinstance(body.get("orders"), list):
            raise FatalError("ShipStation answered the order list in an unexpected format.")
        pages = body.get("pages")
        fetched: list[FetchedOrder] = []
        ours: set[str] = set()  # orders Ledgerbridge created from QuickBooks: not imported back
        last = since or EPOCH
        for raw in body["orders"]:
            order = fetched_order(raw, last)
            last = order.updated_at
            fetched.append(order)
            if from_ledgerbridge(raw):
                ours.add(order.order_id)
        full = isinstance(pages, int) and page < pages
        fresh = [o for o in fetched if not position.already_read(o) and o.order_id not in ours]
        total = body.get("total")
        return Page(
            orders=sorted(fresh, key=lambda o: o.updated_at),
            next_token=position.next_token(fetched, full),
            total=total if token is None and isinstance(total, int) else None,
        )

    def upsert_orders(self, orders: Sequence[Mapping[str, Any]]) -> list[UpsertResult]:
        """Create or update orders (by orderKey) in batches of 100; one result per order, in order. An order
        without an orderKey is refused here (ShipStation would create a new order on every retry)."""
        results: dict[int, UpsertResult] = {}
        send: list[int] = []
        for index, order in enumerate(orders):
            key = order.get("orderKey") if isinstance(order, Mapping) else None
            if not isinstance(key, str) or not key.strip():
                results[index] = UpsertResult(
                    "", False, None, "the order has no orderKey, so sending it again would duplicate it"
                )
            else:
                send.append(index)
        for start in range(0, len(send), UPSERT_BATCH):
            batch = send[start : start + UPSERT_BATCH]
            response = self.http.request(
                "POST", "/orders/createorders", json=[dict(orders[i]) for i in batch]
            )
            try:
                body = response.json()
            except ValueError as exc:
                raise RetriableError(
                    "ShipStation answered the order upload with something that is not JSON."
                ) from exc
            answers = body.get("results") if isinstance(body, Mapping) else None
            if not isinstance(answers, list):
                raise FatalError("ShipStation answered the order upload in an unexpected format.")
            by_key = {
                str(a.get("orderKey")): a for a in answers if isinstance(a, Mapping) and a.get("orderKey")
            }
            for position, index in enumerate(batch):
                key = str(orders[index]["orderKey"])
                answer = answers[position] if position < len(answers) else None
                if not isinstance(answer, Mapping) or str(answer.get("orderKey") or key) != key:
                    answer = by_key.get(key)
                results[index] = upsert_result(key, answer)
        return [results[i] for i in range(len(orders))]

    def fetch_shipments(self, window: Window, token: str | None) -> ShipmentPage:
        """One page of the shipments created in the window (createDate), oldest first; token None: the
        first page. Voided shipments are included (flagged `voided`)."""
        page = int(token) if token and token.isdigit() else 1
        params: dict[str, Any] = {
            "createDateEnd": to_pacific(window.until),
            "page": page,
            "pageSize": self.page_size,
            "includeShipmentItems": "false",
            "sortBy": "CreateDate",
            "sortDir": "ASC",
        }
        if window.since is not None:
            # The same start as the order fetch (inclusive; back to the start of a repeated hour).
            params["createDateStart"] = modify_date_start(window.since, first_page=True)
        body = self._get("/shipments", params)
        if not isinstance(body, Mapping) or not isinstance(body.get("shipments"), list):
            raise FatalError("ShipStation answered the shipment list in an unexpected format.")
        shipments = [s for s in (shipment(raw) for raw in body["shipments"]) if s is not None]
        pages = body.get("pages")
        more = isinstance(pages, int) and page < pages
        return ShipmentPage(sorted(shipments, key=lambda s: s.created_at), str(page + 1) if more else None)

    def _get(self, path: str, params: Mapping[str, Any]) -> Any:
        response = self.http.request("GET", path, params=params)
        try:
            return response.json()
        except ValueError as exc:
            raise RetriableError("ShipStation answered with something that is not JSON.") from exc


# -- orders from QuickBooks, shipments ---------------------------------------------------------------


def from_ledgerbridge(raw: Any) -> bool:
    """Whether a ShipStation order is one Ledgerbridge created from QuickBooks."""
    advanced = raw.get("advancedOptions") if isinstance(raw, Mapping) else None
    source = advanced.get("source") if isinstance(advanced, Mapping) else None
    return isinstance(source, str) and source.strip() == LEDGERBRIDGE_SOURCE


def upsert_result(order_key: str, answer: Any) -> UpsertResult:
    if not isinstance(answer, Mapping):
        return UpsertResult(order_key, False, None, "ShipStation did not report on this order")
    order_id = answer.get("orderId")
    number = (
        order_id if isinstance(order_id, int) and not isinstance(order_id, bool) and order_id > 0 else None
    )
    if answer.get("success") is True:
        return UpsertResult(order_key, True, number)
    message = text(answer.get("errorMessage"), 500) or "no reason given"
    return UpsertResult(order_key, False, number, f"ShipStation refused the order: {message}")


def shipment(raw: Any) -> Shipment | None:
    """A ShipStation shipment; None when it lacks its id or dates (ShipStation always sends them)."""
    if not isinstance(raw, Mapping) or raw.get("shipmentId") is None:
        return None
    try:
        created = from_pacific(raw.get("createDate"))
        shipped_on = date.fromisoformat(str(raw.get("shipDate") or "")[:10])
        cost = Decimal(str(raw.get("shipmentCost") if raw.get("shipmentCost") is not None else 0))
    except (ValueError, InvalidOperation):
        return None
    service = text(raw.get("serviceCode"), 100)
    return Shipment(
        shipment_id=text(raw.get("shipmentId"), 100),
        order_id=text(raw.get("orderId"), 100),
        order_key=text(raw.get("orderKey"), 200),
        order_number=text(raw.get("orderNumber"), 100),
        tracking_number=text(raw.get("trackingNumber"), 200),
        carrier_code=text(raw.get("carrierCode"), 100),
        service_code=service or None,
        ship_date=shipped_on,
        shipment_cost=cost,
        voided=raw.get("voided") is True,
        created_at=created,
    )


# -- mapping -----------------------------------------------------------------------------------------


def fetched_order(raw: Any, fallback: datetime) -> FetchedOrder:
    """One ShipStation order as a FetchedOrder (`fallback`: its position when modifyDate is unreadable)."""
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    order_id = text(data.get("orderId"), 100)
    try:
        updated = from_pacific(data.get("modifyDate"))
    except ValueError:
        updated = fallback
    return canonical(order_id, updated, text(data.get("orderNumber"), 100), lambda: document(raw))


def document(raw: Any) -> dict[str, Any]:
    """The canonical order JSON of a ShipStation order; raises on a malformed one."""
    if not isinstance(raw, Mapping):
        raise TypeError("the order is not a JSON object")
    order_id = text(raw["orderId"], 100)
    if not order_id:
        raise ValueError("the order has no orderId")
    bill = raw.get("billTo") or {}
    ship = raw.get("shipTo") or {}
    first, last = split_name(text(bill.get("name")) or text(ship.get("name")))
    email = text(raw.get("customerEmail"), 254)

    lines: list[dict[str, Any]] = []
    discounts: list[dict[str, Any]] = []
    fees: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    for index, item in enumerate(raw.get("items") or []):
        if not isinstance(item, Mapping):
            raise TypeError(f"item {index + 1} is not a JSON object")
        quantity = amount(item.get("quantity"), required=True)
        unit_price = amount(item.get("unitPrice"))
        extended = (quantity * unit_price).quantize(CENT)
        sku, name = text(item.get("sku"), 100), text(item.get("name"), 500)
        if item.get("adjustment") or extended < 0:
            if extended < 0:
                discounts.append({"code": sku or name[:100] or "Adjustment", "amount": money(-extended)})
            elif extended > 0:
                fees.append({"title": name[:200] or sku or "Adjustment", "amount": money(extended)})
            continue
        if quantity == 0 and extended == 0:
            continue  # an item taken off the order
        line_id = text(item.get("lineItemKey"), 100) or text(item.get("orderItemId"), 100)
        if not line_id or line_id in used_ids:
            line_id = text(item.get("orderItemId"), 100) or str(index + 1)
        used_ids.add(line_id)
        line_tax = (amount(item.get("taxAmount")) * quantity).quantize(CENT)  # taxAmount is per unit
        lines.append(
            {
                "id": line_id,
                "sku": sku,
                "title": name,
                "quantity": str(quantity),
                "unit_price": money(unit_price),
                "tax": money(line_tax),
            }
        )

    total = amount(raw.get("orderTotal"), required=True)
    paid = amount(raw.get("amountPaid"))
    tax = amount(raw.get("taxAmount"))
    shipping = amount(raw.get("shippingAmount"))
    payments = []
    if paid > 0:
        payments.append(
            {
                "method": text(raw.get("paymentMethod"), 100) or "Other",
                "amount": money(paid),
                "paid_at": optional_time(raw.get("paymentDate")),
            }
        )
    created = from_pacific(raw.get("orderDate") or raw.get("createDate"))
    advanced = raw.get("advancedOptions") or {}
    return {
        "id": order_id,
        "number": text(raw.get("orderNumber"), 100) or order_id,
        "created_at": created.astimezone(PACIFIC).isoformat(),
        "updated_at": from_pacific(raw.get("modifyDate") or raw.get("createDate")).isoformat(),
        "customer": {
            "first_name": first,
            "last_name": last,
            "company": text(bill.get("company"), 200) or text(ship.get("company"), 200),
            "email": email if "@" in email else "",
            "phone": text(bill.get("phone"), 50) or text(ship.get("phone"), 50),
        },
        "billing_address": address(bill),
        "shipping_address": address(ship),
        "lines": lines,
        "shipping_lines": (
            [
                {
                    "title": text(raw.get("requestedShippingService"), 200) or "Shipping",
                    "price": money(shipping),
                }
            ]
            if shipping
            else []
        ),
        "discounts": discounts,
        "tax_lines": [{"title": "Sales tax", "amount": money(tax)}],
        "fees": fees,
        "payments": [{k: v for k, v in p.items() if v is not None} for p in payments],
        "payment_status": "paid" if paid >= total else "partially_paid" if paid > 0 else "unpaid",
        "refunds": [],
        "total": money(total),
        "note": text(raw.get("customerNotes"), 4000),
        "tags": [],
        "source": text(advanced.get("source"), 100),
        "status": text(raw.get("orderStatus"), 50) or "open",
    }


def address(data: Mapping[str, Any]) -> dict[str, str]:
    line2 = " ".join(p for p in (text(data.get("street2")), text(data.get("street3"))) if p)
    return {
        "name": text(data.get("name"), 200),
        "company": text(data.get("company"), 200),
        "line1": text(data.get("street1"), 200),
        "line2": line2[:200],
        "city": text(data.get("city"), 200),
        "state": text(data.get("state"), 200),
        "postal_code": text(data.get("postalCode"), 200),
        "country": text(data.get("country"), 200),
        "phone": text(data.get("phone"), 200),
    }


def split_name(name: str) -> tuple[str, str]:
    """("Ada", "Lovelace") from "Ada Lovelace"; a single word is the last name."""
    first, _, last = name.rpartition(" ")
    return first.strip()[:100], last.strip()[:100]


def optional_time(value: Any) -> str | None:
    try:
        return from_pacific(value).isoformat()
    except ValueError:
        return None


SPEC = ConnectorSpec(
    kind="shipstation",
    vendor="ShipStation",
    fields=(
        CredentialField(
            "api_key", "API key", secret=False, help="ShipStation: Settings > Account > API Settings"
        ),
        CredentialField("api_secret", "API secret", secret=True),
    ),
    build=ShipStation,
)
