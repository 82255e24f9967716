"""The canonical order: what Ledgerbridge knows about a store's order, whatever the store.

Channels map their documents into `Order`; the sync engine maps `Order` into QuickBooks transactions.
`parse_order` reads the canonical JSON (the custom store's push format) and reports every bad field with
its path, so one 4xx can name all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from chalicelib.validation import moment_problem, text_problem

PaymentStatus = Literal["paid", "partially_paid", "unpaid"]
PAYMENT_STATUSES: tuple[PaymentStatus, ...] = ("paid", "partially_paid", "unpaid")
CENT = Decimal("0.01")
MAX_LINES = 1_000  # a big wholesale order; the order record stays bounded (dal/orders.py packs it)
MAX_AMOUNT = Decimal("100000000")  # below QuickBooks' AMTTYPE ceiling; checked before any quantize
MAX_QUANTITY = Decimal("1000000")
MAX_NUMBER_TEXT = 40  # "12.50" is 5 characters; a longer number is not an amount a store sends
MAX_TAGS = 100


@dataclass(frozen=True)
class Customer:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class Address:
    name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""

    @property
    def empty(self) -> bool:
        return not any((self.line1, self.line2, self.city, self.state, self.postal_code, self.country))


@dataclass(frozen=True)
class BundleComponent:
    """One product of a store bundle: `quantity` per one bundle; `unit_price` the store's price of one, when the
    store priced the components (None: the bundle line carries the price)."""

    sku: str
    title: str
    quantity: Decimal
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class OrderLine:
    line_id: str
    sku: str
    title: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    taxable: bool = True
    # A bundle's products (docs/accounting/levels-units-sites-bundles.md); empty: not a bundle (or a bundle whose
    # products only QuickBooks' group item knows).
    components: tuple[BundleComponent, ...] = ()

    @property
    def amount(self) -> Decimal:
        """Extended price before the line's discount."""
        return (self.quantity * self.unit_price).quantize(CENT)


@dataclass(frozen=True)
class ShippingLine:
    title: str
    price: Decimal
    tax: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class Discount:
    code: str
    amount: Decimal


@dataclass(frozen=True)
class TaxLine:
    title: str
    amount: Decimal
    rate: Decimal | None = None


@dataclass(frozen=True)
class Fee:
    title: str
    amount: Decimal
    tax: Decimal = Decimal(0)


@dataclass(frozen=True)
class Payment:
    method: str
    amount: Decimal
    paid_at: datetime | None = None
    reference: str = ""
    gateway: str = (
        ""  # the store's id of the payment gateway (Shopify's gateway, WooCommerce's payment_method)
    )


@dataclass(frozen=True)
class RefundLine:
    line_id: str
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Refund:
    refund_id: str
    created_at: datetime
    amount: Decimal
    lines: tuple[RefundLine, ...] = ()
    shipping: Decimal = Decimal(0)
    note: str = ""


@dataclass(frozen=True)
class Order:
    order_id: str
    number: str
    created_at: datetime
    updated_at: datetime
    currency: str
    customer: Customer
    billing_address: Address
    shipping_address: Address
    lines: tuple[OrderLine, ...]
    total: Decimal
    shipping_lines: tuple[ShippingLine, ...] = ()
    discounts: tuple[Discount, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    fees: tuple[Fee, ...] = ()
    payments: tuple[Payment, ...] = ()
    payment_status: PaymentStatus = "unpaid"
    refunds: tuple[Refund, ...] = ()
    note: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    status: str = "open"
    # The store's own fields on the order (Shopify note attributes and location, WooCommerce meta data): what order
    # rules can test; never posted.
    attributes: Mapping[str, str] = field(default_factory=dict)
    # The store location the order was sold at or ships from (its inventory site: settings.inventory_sites).
    location: str = ""
    # The marketplace collected the order's tax and remits it (a marketplace facilitator: Amazon, Walmart); see
    # settings.marketplace_tax.
    tax_collected_by_marketplace: bool = False
    # Units of the QuickBooks company's home currency per one unit of `currency`, when the store gives it (None:
    # QuickBooks uses its own rate). Only a foreign-currency order in a multicurrency file uses it.
    exchange_rate: Decimal | None = None

    @property
    def order_date(self) -> date:
        return self.created_at.date()

    @property
    def tax_total(self) -> Decimal:
        if self.tax_lines:
            return sum((t.amount for t in self.tax_lines), Decimal(0))
        return (
            sum((ln.tax for ln in self.lines), Decimal(0))
            + sum((s.tax for s in self.shipping_lines), Decimal(0))
            + sum((f.tax for f in self.fees), Decimal(0))
        )

    @property
    def computed_total(self) -> Decimal:
        """Lines + shipping + fees + tax - discounts, as QuickBooks will add them up."""
        lines = sum((ln.amount - ln.discount for ln in self.lines), Decimal(0))
        shipping = sum((s.price - s.discount for s in self.shipping_lines), Decimal(0))
        fees = sum((f.amount for f in self.fees), Decimal(0))
        discounts = sum((d.amount for d in self.discounts), Decimal(0))
        return (lines + shipping + fees + self.tax_total - discounts).quantize(CENT)

    @property
    def paid_amount(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    @property
    def refunded_amount(self) -> Decimal:
        return sum((r.amount for r in self.refunds), Decimal(0))


class OrderInvalid(ValueError):
    """Every problem found in one order, as {field path: message}."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = dict(problems)


class _Reader:
    """Reads a JSON object field by field, collecting problems under dotted paths."""

    def __init__(self, problems: dict[str, str], path: str = "") -> None:
        self.problems = problems
        self.path = path

    def at(self, name: str | int) -> str:
        if isinstance(name, int):
            return f"{self.path}[{name}]"
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str | int, message: str) -> None:
        self.problems.setdefault(self.at(name), message)

    def obj(self, data: Any, name: str, *, required: bool = False) -> Mapping[str, Any]:
        value = data.get(name) if isinstance(data, Mapping) else None
        if value is None:
            if required:
                self.fail(name, "is required")
            return {}
        if not isinstance(value, Mapping):
            self.fail(name, "must be an object")
            return {}
        return value

    def array(
        self, data: Mapping[str, Any], name: str, *, required: bool = False, max_items: int = MAX_LINES
    ) -> Sequence[Any]:
        value = data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return ()
        if not isinstance(value, list):
            self.fail(name, "must be an array")
            return ()
        if len(value) > max_items:
            self.fail(name, f"must have at most {max_items} entries")
            return ()
        return value

    def text(
        self, data: Mapping[str, Any], name: str, *, required: bool = False, max_length: int = 500
    ) -> str:
        value = data.get(name)
        if value is None or value == "":
            if required:
                self.fail(name, "is required")
            return ""
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and name in ("id", "number", "line_id")
        ):
            value = str(value)
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return ""
        if len(value) > max_length:
            self.fail(name, f"must be at most {max_length} characters")
            return ""
        # Stores' text may hold line breaks (addresses, notes); never what XML or UTF-8 cannot carry.
        problem = text_problem(value, multiline=True)
        if problem is not None:
            self.fail(name, problem)
            return ""
        if required and not value.strip():  # only blanks: as good as missing (an id of spaces is no id)
            self.fail(name, "is required")
            return ""
        return value.strip()

    @staticmethod
    def _decimal(value: Any) -> Decimal | None:
        """A JSON number or numeric string as a Decimal (maybe not finite), or None when it is not a number
        of a sensible length. Callers range-check before any arithmetic: "1e999999999" is a Decimal, but
        quantizing it (or 1E+30) to cents exceeds the context's precision and raises InvalidOperation."""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None
        if isinstance(value, int) and abs(value) >= MAX_AMOUNT:
            return Decimal(MAX_AMOUNT)  # refused as too large by the caller; str() of a huge int raises
        text = str(value).strip()
        if len(text) > MAX_NUMBER_TEXT:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            return None

    def money(
        self, data: Mapping[str, Any], name: str, *, required: bool = False, allow_negative: bool = False
    ) -> Decimal:
        value = data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return Decimal(0)
        amount = self._decimal(value)
        if amount is None:
            self.fail(name, 'must be a decimal amount such as "12.50"')
            return Decimal(0)
        if not amount.is_finite():
            self.fail(name, "must be a finite amount")
            return Decimal(0)
        if amount < 0 and not allow_negative:
            self.fail(name, "must not be negative")
            return Decimal(0)
        if amount.copy_abs() >= MAX_AMOUNT:  # copy_abs: no context, so no Overflow at 1e999999999
            self.fail(name, "is too large")
            return Decimal(0)
        if amount != amount.quantize(CENT):  # safe: |amount| < MAX_AMOUNT fits the context's precision
            self.fail(name, "must have at most two decimals")
            return Decimal(0)
        return amount

    def quantity(self, data: Mapping[str, Any], name: str) -> Decimal:
        qty = self._decimal(data.get(name))
        if qty is None:
            self.fail(name, "must be a positive number")
            return Decimal(0)
        if not qty.is_finite() or qty <= 0 or qty >= MAX_QUANTITY or qty != qty.quantize(Decimal("0.00001")):
            self.fail(name, "must be a positive number (at most 5 decimals)")
            return Decimal(0)
        return qty

    def timestamp(self, data: Mapping[str, Any], name: str, *, required: bool = False) -> datetime | None:
        value = data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if not isinstance(value, str):
            self.fail(name, "must be an ISO 8601 date-time such as 2026-11-20T10:00:00Z")
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.fail(name, "must be an ISO 8601 date-time such as 2026-11-20T10:00:00Z")
            return None
        if parsed.tzinfo is None:
            self.fail(name, "must include a time zone (Z or +hh:mm)")
            return None
        problem = moment_problem(parsed)
        if problem is not None:
            self.fail(name, problem)
            return None
        return parsed

    def flag(self, data: Mapping[str, Any], name: str, default: bool) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.fail(name, "must be true or false")
            return default
        return value

    def child(self, name: str | int) -> _Reader:
        return _Reader(self.problems, self.at(name))


ORDER_FIELDS = {
    "id",
    "location",
    "number",
    "created_at",
    "updated_at",
    "currency",
    "customer",
    "billing_address",
    "shipping_address",
    "lines",
    "shipping_lines",
    "discounts",
    "tax_lines",
    "fees",
    "payments",
    "payment_status",
    "refunds",
    "total",
    "note",
    "tags",
    "source",
    "status",
    "attributes",
    "tax_collected_by_marketplace",
    "exchange_rate",
}
MAX_ATTRIBUTES = 50


def _attributes(r: _Reader, data: Mapping[str, Any]) -> dict[str, str]:
    """`attributes`: an object of at most MAX_ATTRIBUTES text values (names up to 100 characters, values 500)."""
    raw = data.get("attributes", {})
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in raw.values()
    ):
        r.fail("attributes", "must be an object of text values")
        return {}
    if len(raw) > MAX_ATTRIBUTES or any(len(str(k)) > 100 or len(str(v)) > 500 for k, v in raw.items()):
        r.fail(
            "attributes", f"must have at most {MAX_ATTRIBUTES} names of at most 100 characters, values of 500"
        )
        return {}
    if any(text_problem(str(k)) or text_problem(str(v), multiline=True) for k, v in raw.items()):
        r.fail("attributes", "must not contain control characters or lone surrogates")
        return {}
    return {str(k).strip(): str(v).strip() for k, v in raw.items() if str(k).strip()}


ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "state", "postal_code", "country", "phone")


MAX_EXCHANGE_RATE = Decimal("1000000")
EXCHANGE_RATE_PLACES = 8


def _exchange_rate(r: _Reader, data: Mapping[str, Any]) -> Decimal | None:
    """`exchange_rate`: a positive decimal (at most 8 decimals) or absent/null."""
    value = data.get("exchange_rate")
    if value is None or value == "":
        return None
    rate = r._decimal(value)
    if (
        rate is None
        or not rate.is_finite()
        or not 0 < rate < MAX_EXCHANGE_RATE
        or rate != rate.quantize(Decimal(1).scaleb(-EXCHANGE_RATE_PLACES))
    ):
        r.fail(
            "exchange_rate",
            f"must be a positive number below {MAX_EXCHANGE_RATE} with at most {EXCHANGE_RATE_PLACES} decimals "
            '(units of the QuickBooks home currency per unit of the order\'s currency), e.g. "1.0842"',
        )
        return None
    return rate


MAX_COMPONENTS = 100


def _components(lr: _Reader, raw: Mapping[str, Any]) -> tuple[BundleComponent, ...]:
    """A line's `components`: at most MAX_COMPONENTS {sku, title, quantity (per bundle), unit_price?}."""
    out = []
    for j, c in enumerate(lr.array(raw, "components", max_items=MAX_COMPONENTS)):
        cr = lr.child("components").child(j)
        if not isinstance(c, Mapping):
            lr.child("components").fail(j, "must be an object")
            continue
        price = cr.money(c, "unit_price") if c.get("unit_price") is not None else None
        out.append(
            BundleComponent(
                sku=cr.text(c, "sku", required=True, max_length=100),
                title=cr.text(c, "title", max_length=500),
                quantity=cr.quantity(c, "quantity"),
                unit_price=price,
            )
        )
    return tuple(out)


def _address(r: _Reader, data: Mapping[str, Any], name: str) -> Address:
    raw = r.obj(data, name)
    sub = r.child(name)
    for unknown in sorted(set(raw) - set(ADDRESS_FIELDS)):
        sub.fail(unknown, "unknown field")
    return Address(**{f: sub.text(raw, f, max_length=200) for f in ADDRESS_FIELDS})


def parse_order(data: Any) -> Order:
    """The canonical order in `data` (decoded JSON); OrderInvalid names every bad field."""
    problems: dict[str, str] = {}
    r = _Reader(problems)
    if not isinstance(data, Mapping):
        raise OrderInvalid({"": "an order must be a JSON object"})
    for unknown in sorted(set(data) - ORDER_FIELDS):
        r.fail(unknown, "unknown field")
    order_id = r.text(data, "id", required=True, max_length=100)
    number = r.text(data, "number", max_length=100) or order_id
    created = r.timestamp(data, "created_at", required=True)
    updated = r.timestamp(data, "updated_at") or created
    currency = r.text(data, "currency", max_length=3) or "USD"
    if currency and (len(currency) != 3 or not currency.isalpha()):
        r.fail("currency", "must be a three-letter ISO 4217 code")

    c = r.obj(data, "customer")
    cr = r.child("customer")
    for unknown in sorted(set(c) - {"first_name", "last_name", "company", "email", "phone"}):
        cr.fail(unknown, "unknown field")
    customer = Customer(
        first_name=cr.text(c, "first_name", max_length=100),
        last_name=cr.text(c, "last_name", max_length=100),
        company=cr.text(c, "company", max_length=200),
        email=cr.text(c, "email", max_length=254),
        phone=cr.text(c, "phone", max_length=50),
    )
    if customer.email and "@" not in customer.email:
        cr.fail("email", "must be an email address")

    lines = []
    raw_lines = r.array(data, "lines", required=True)
    if isinstance(data.get("lines"), list) and not raw_lines and "lines" not in problems:
        r.fail("lines", "must have at least one line")
    seen_ids: set[str] = set()
    for i, raw in enumerate(raw_lines):
        lr = r.child("lines").child(i)
        if not isinstance(raw, Mapping):
            r.child("lines").fail(i, "must be an object")
            continue
        line_id = lr.text(raw, "id", max_length=100) or str(i + 1)
        if line_id in seen_ids:
            lr.fail("id", "is used by another line")
        seen_ids.add(line_id)
        lines.append(
            OrderLine(
                line_id=line_id,
                sku=lr.text(raw, "sku", max_length=100),
                title=lr.text(raw, "title", required=True, max_length=500),
                quantity=lr.quantity(raw, "quantity"),
                unit_price=lr.money(raw, "unit_price", required=True),
                discount=lr.money(raw, "discount"),
                tax=lr.money(raw, "tax"),
                taxable=lr.flag(raw, "taxable", True),
                components=_components(lr, raw),
            )
        )

    def each(name: str) -> list[tuple[_Reader, Mapping[str, Any]]]:
        out = []
        for i, raw in enumerate(r.array(data, name)):
            if not isinstance(raw, Mapping):
                r.child(name).fail(i, "must be an object")
                continue
            out.append((r.child(name).child(i), raw))
        return out

    shipping = tuple(
        ShippingLine(
            title=sr.text(s, "title", max_length=200) or "Shipping",
            price=sr.money(s, "price", required=True),
            tax=sr.money(s, "tax"),
            discount=sr.money(s, "discount"),
        )
        for sr, s in each("shipping_lines")
    )
    discounts = tuple(
        Discount(code=dr.text(d, "code", max_length=100), amount=dr.money(d, "amount", required=True))
        for dr, d in each("discounts")
    )
    tax_lines = tuple(
        TaxLine(
            title=tr.text(t, "title", max_length=100) or "Tax",
            amount=tr.money(t, "amount", required=True),
            rate=tr.money(t, "rate") if t.get("rate") is not None else None,
        )
        for tr, t in each("tax_lines")
    )
    fees = tuple(
        Fee(
            title=fr.text(f, "title", required=True, max_length=200),
            amount=fr.money(f, "amount", required=True),
            tax=fr.money(f, "tax"),
        )
        for fr, f in each("fees")
    )
    payments = tuple(
        Payment(
            method=pr.text(p, "method", max_length=100) or "Other",
            amount=pr.money(p, "amount", required=True),
            paid_at=pr.timestamp(p, "paid_at"),
            reference=pr.text(p, "reference", max_length=100),
            gateway=pr.text(p, "gateway", max_length=100),
        )
        for pr, p in each("payments")
    )
    refunds = []
    for rr, raw in each("refunds"):
        refund_lines = []
        for j, rl in enumerate(rr.array(raw, "lines")):
            lr = rr.child("lines").child(j)
            if not isinstance(rl, Mapping):
                rr.child("lines").fail(j, "must be an object")
                continue
            line_id = lr.text(rl, "line_id", required=True, max_length=100)
            if line_id and line_id not in seen_ids:
                lr.fail("line_id", "does not name a line of this order")
            refund_lines.append(
                RefundLine(line_id, lr.quantity(rl, "quantity"), lr.money(rl, "amount", required=True))
            )
        refunds.append(
            Refund(
                refund_id=rr.text(raw, "id", required=True, max_length=100),
                created_at=rr.timestamp(raw, "created_at", required=True) or datetime.min,
                amount=rr.money(raw, "amount", required=True),
                lines=tuple(refund_lines),
                shipping=rr.money(raw, "shipping"),
                note=rr.text(raw, "note", max_length=500),
            )
        )

    status_value = r.text(data, "payment_status") or ("paid" if payments else "unpaid")
    if status_value not in PAYMENT_STATUSES:
        r.fail("payment_status", f"must be one of {', '.join(PAYMENT_STATUSES)}")
        status_value = "unpaid"
    tags_raw = data.get("tags", [])
    tags: tuple[str, ...] = ()
    if not isinstance(tags_raw, list) or not all(isinstance(t, str) for t in tags_raw):
        r.fail("tags", "must be an array of strings")
    elif len(tags_raw) > MAX_TAGS or any(len(t) > 100 for t in tags_raw):
        r.fail("tags", f"must have at most {MAX_TAGS} tags of at most 100 characters")
    elif any(text_problem(t) for t in tags_raw):
        r.fail("tags", "must not contain control characters or lone surrogates")
    else:
        tags = tuple(t.strip() for t in tags_raw)
    total = r.money(data, "total", required=True)
    billing = _address(r, data, "billing_address")
    shipping_address = _address(r, data, "shipping_address")
    note = r.text(data, "note", max_length=4000)
    source = r.text(data, "source", max_length=100)
    status = r.text(data, "status", max_length=50) or "open"
    attributes = _attributes(r, data)
    location = r.text(data, "location", max_length=200)
    tax_collected_by_marketplace = r.flag(data, "tax_collected_by_marketplace", False)
    exchange_rate = _exchange_rate(r, data)

    if problems:
        raise OrderInvalid(problems)
    assert created is not None and updated is not None
    return Order(
        order_id=order_id,
        number=number,
        created_at=created,
        updated_at=updated,
        currency=currency.upper(),
        customer=customer,
        billing_address=billing,
        shipping_address=shipping_address,
        lines=tuple(lines),
        total=total,
        shipping_lines=shipping,
        discounts=discounts,
        tax_lines=tax_lines,
        fees=fees,
        payments=payments,
        payment_status=status_value,  # type: ignore[arg-type]
        refunds=tuple(refunds),
        note=note,
        tags=tags,
        source=source,
        status=status,
        attributes=attributes,
        location=location,
        tax_collected_by_marketplace=tax_collected_by_marketplace,
        exchange_rate=exchange_rate,
    )
