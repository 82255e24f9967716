"""Benchmark: evaluating order rules, compiled once per batch, at 50, 500 and 5,000 rules.

A realistic mix per list: most rules map a SKU to a QuickBooks item (exact, some by prefix), some set the
deposit account by payment method or the class by channel, a few take tags or states in a list, a few
compare the total, a few search a regular expression (always run: the index cannot narrow them). The
orders are generated (1 to 5 lines from a catalogue as large as the SKU maps, payments, shipping,
discounts, tags). Prints per-order evaluation time for the compiled rules (the batch's one compile is
timed apart) and, on a sample, for the plain top-down evaluation, and checks on that sample that both
give the same outcome (the plain evaluation runs the same validated rules, every one in turn).

    .venv/bin/python bench/rules.py [--sizes 50 500 5000] [--orders 10000] [--naive-sample 200] [--json]

Aim: under 1 ms per order at 5,000 rules.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.orders.model import Address, Customer, Discount, Order, OrderLine, Payment, ShippingLine
from chalicelib.orders.settings import Accounts, ChannelSettings
from chalicelib.rules import (
    Action,
    Condition,
    DoNotImport,
    Field,
    Join,
    MapDiscountCode,
    MapSku,
    Op,
    OrderContext,
    RemoveTax,
    Rule,
    SetClass,
    SetDepositAccount,
    SetMemo,
    SkuMatch,
    compile_rules,
)

AIM_MS = 1.0
METHODS = ("Credit Card", "PayPal", "Shop Pay", "Amazon Pay", "Gift Card", "Cash", "Check", "Venmo")
CHANNELS = ("shopify-main", "shopify-wholesale", "woo", "amazon", "ebay")
TAGS = ("vip", "wholesale", "gift", "test", "rush", "b2b", "retail", "preorder")
STATES = ("CA", "NY", "TX", "WA", "FL", "ON", "BC", "IL")
CODES = tuple(f"SAVE{n}" for n in range(5, 55, 5))


def sku(n: int) -> str:
    return f"{'ABCD'[n % 4]}{n % 7}-{n:05d}"


def make_rules(size: int, rng: random.Random) -> list[Rule]:
    """A few rules of each other kind (as a merchant has them: one per payment method, per channel...),
    the rest SKU maps: 95% exact, 5% by a prefix covering about ten SKUs."""
    rules: list[Rule] = []

    def add(actions: tuple[Action, ...], conditions: tuple[Condition, ...] = (), **kw: object) -> None:
        i = len(rules)
        rules.append(Rule(f"r{i}", f"rule {i}", actions, conditions, **kw))  # type: ignore[arg-type]

    for i, method in enumerate(METHODS):  # deposit account by payment method
        add((SetDepositAccount(f"Clearing {i}"),), (Condition(Field.PAYMENT_METHOD, Op.EQUALS, (method,)),))
    for i, channel in enumerate(CHANNELS):  # class by channel
        add((SetClass(f"Channel:{i}"),), channels=(channel,))
    for i in range(max(2, size // 500)):  # tags or states in a list
        field = (Field.TAGS, Field.SHIPPING_STATE)[i % 2]
        pool = TAGS if field is Field.TAGS else STATES
        add((SetMemo(f"Rule {i}: {{number}}"),), (Condition(field, Op.IN_LIST, tuple(rng.sample(pool, 2))),))
    for code in CODES[: max(2, size // 500)]:  # discount codes to items
        add((MapDiscountCode(code, f"Discounts:{code}"),))
    for i in range(3):  # numbers: marketplace facilitator tax in Canada over an amount
        limit = str(100 * (i + 1))
        add(
            (RemoveTax(),),
            (Condition(Field.TOTAL, Op.MORE_THAN, (limit,)), Condition(Field.CURRENCY, Op.EQUALS, ("CAD",))),
        )
    for i in range(5):  # regular expressions: always run
        add(
            (DoNotImport(),) if i % 2 else (SetClass("Review"),),
            (
                Condition(Field.EMAIL, Op.MATCHES, (rf"@(test|example{i})\.",)),
                Condition(Field.NOTE, Op.CONTAINS, ("do not ship",)),
            ),
            join=Join.OR,
        )
    head = rules[:]
    rules.clear()
    for _ in range(max(0, size - len(head))):
        if rng.random() < 0.95:
            add((MapSku(SkuMatch.EXACT, sku(rng.randrange(size * 2)), f"Items:{len(rules)}"),))
        else:
            add((MapSku(SkuMatch.PREFIX, sku(rng.randrange(size * 2))[:-1], f"Items:P{len(rules)}"),))
    # the order rules run top-down: put the non-SKU rules among the SKU maps, as a list grows
    for rule in head:
        rules.insert(rng.randrange(len(rules) + 1), rule)
    return [replace(r, rule_id=f"r{i}", name=f"rule {i}") for i, r in enumerate(rules[:size])]


def make_order(n: int, catalogue: int, rng: random.Random) -> tuple[Order, OrderContext]:
    created = datetime(2026, 3, 1 + n % 28, 12, tzinfo=UTC)
    lines = tuple(
        OrderLine(
            str(k + 1),
            sku(rng.randrange(catalogue)),
            f"Product {k}",
            Decimal(rng.randint(1, 3)),
            Decimal("9.99"),
            tax=Decimal("0.80"),
        )
        for k in range(rng.randint(1, 5))
    )
    address = Address(name="Pat Doe", state=rng.choice(STATES), country="US")
    order = Order(
        order_id=str(n),
        number=f"#{1000 + n}",
        created_at=created,
        updated_at=created,
        currency=rng.choice(("USD", "USD", "CAD")),
        customer=Customer("Pat", "Doe", email=f"pat{n}@{rng.choice(('mail.com', 'test.com', 'shop.io'))}"),
        billing_address=address,
        shipping_address=address,
        lines=lines,
        total=Decimal(0),
        shipping_lines=(ShippingLine("Ground", Decimal("5.00")),),
        discounts=(Discount(rng.choice(CODES), Decimal("1.00")),) if rng.random() < 0.3 else (),
        payments=(Payment(rng.choice(METHODS), Decimal(1)),),
        tags=tuple(rng.sample(TAGS, rng.randint(0, 2))),
        note=rng.choice(("", "", "gift wrap", "please do not ship before friday")),
        source="web",
    )
    order = replace(order, total=order.computed_total)
    ctx = OrderContext(rng.choice(CHANNELS), "shopify", ("shopify_payments",), {"location": "Main"})
    return order, ctx


def measure(size: int, count: int, naive_sample: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed + size)
    rules = make_rules(size, rng)
    orders = [make_order(n, max(size * 2, 100), rng) for n in range(count)]
    settings = ChannelSettings(accounts=Accounts(deposit="Undeposited Funds"))
    started = time.perf_counter()
    compiled = compile_rules(rules)
    compile_s = time.perf_counter() - started
    started = time.perf_counter()
    outcomes = [compiled.apply(order, settings, ctx) for order, ctx in orders]
    compiled_s = time.perf_counter() - started
    sample = orders[:naive_sample]
    started = time.perf_counter()
    naive = [compiled.apply_in_order(order, settings, ctx) for order, ctx in sample]
    naive_s = time.perf_counter() - started
    same = naive == outcomes[: len(sample)]
    per_order_ms = compiled_s * 1000 / count
    return {
        "rules": size,
        "orders": count,
        "compile_ms": round(compile_s * 1000, 2),
        "per_order_ms": round(per_order_ms, 4),
        "meets_aim": per_order_ms < AIM_MS,
        "naive_per_order_ms": round(naive_s * 1000 / max(len(sample), 1), 4),
        "naive_sample": len(sample),
        "same_as_naive": same,
        "rules_applied_per_order": round(sum(len(o.applied) for o in outcomes) / count, 2),
        "candidates_per_order": round(
            sum(len(compiled.candidates(o, c)) for o, c in orders[:1000]) / min(count, 1000), 1
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 5000])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args()
    results = []
    print(
        f"{'rules':>6} {'orders':>7} {'compile ms':>11} {'ms/order':>9} {'naive ms/order':>15} {'candidates':>11} {'applied':>8}  same"
    )
    for size in args.sizes:
        r = measure(size, args.orders, args.naive_sample, args.seed)
        results.append(r)
        print(
            f"{r['rules']:>6} {r['orders']:>7} {r['compile_ms']:>11} {r['per_order_ms']:>9} "
            f"{r['naive_per_order_ms']:>15} {r['candidates_per_order']:>11} {r['rules_applied_per_order']:>8}  {r['same_as_naive']}"
        )
    print(f"aim: under {AIM_MS} ms per order at 5,000 rules")
    if args.json:
        print(json.dumps({"aim_ms": AIM_MS, "sizes": results}))
    return 0 if all(r["same_as_naive"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
