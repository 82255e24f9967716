"""The e-mails of QuickBooks customers, for channels that match customers by name *and* e-mail
(`CustomerMatching.NAME_EMAIL_MATCH`): where an order goes depends on the e-mail the QuickBooks customer of
its name holds, so that e-mail is read before the order's sale is built.

qbXML has no conditional requests: a query in the same message set as the sale cannot change the sale's
CustomerRef. So a post-orders job whose batch has names it has not asked about yet first spends one round
trip on a single CustomerQueryRq by FullName (every such name of the batch at once, answering only
FullName and Email), keeps the answers in the job's state, and builds the batch's sales in its next round
trip. Channels with any other matching mode never cost a round trip; a job asks about a name once. Nothing
is claimed or recorded for the lookup: if its answer is lost the orders are still pending and their queue
messages come back. The answers are not kept beyond the job, so an e-mail changed in QuickBooks counts from
the next job on.

A name QuickBooks does not have (status 500: "could not be found", or 1) is new: the first order that takes it
claims it (`claim_new_name`): the job records that order's e-mail for the name, the e-mail its CustomerAdd gives
it, so a later order of the job with the same name and another e-mail (in the same message set or a later one)
goes to the fallback customer, not to the first order's customer. When the query fails for another reason the names count as held by another
customer, and their orders go to the web-store (fallback) customer: never to a customer that may be someone
else.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from chalicelib.orders.model import Order
from chalicelib.orders.quickbooks.names import email_checked_name
from chalicelib.orders.settings import ChannelSettings
from chalicelib.qbxml.message_set import render_message_set
from chalicelib.qbxml.requests import customer_query
from chalicelib.qbxml.responses import MessageSetResponse
from chalicelib.sync.jobs import Applied, ForeignAnswer

__all__ = ["LOOKUP_STEP", "apply_lookup", "claim_new_name", "emails_of", "keep_claims", "lookup_request"]

LOOKUP_STEP = "customer_emails"
# In the job's state: folded name -> the QuickBooks customer's Email ("" none), or None: no such customer.
STATE_KEY = "customer_emails"
_NOT_FOUND = (1, 500)  # no match; some of the names named were not found


class _Posted(Protocol):
    order: Order
    settings: ChannelSettings


def emails_of(state: Mapping[str, Any]) -> dict[str, str | None]:
    """The e-mails the job has learned so far (for `customer_name`)."""
    return dict(state.get(STATE_KEY) or {})


def claim_new_name(
    emails: dict[str, str | None], order: Order, settings: ChannelSettings, customer: str
) -> None:
    """The order was given `customer`: when that is a name QuickBooks does not have (None in `emails`), it is
    the order's from now on, with the order's e-mail (its CustomerAdd's). Later orders of the name then match
    by that e-mail (`customer_name`), and another e-mail goes to the fallback customer."""
    name = email_checked_name(order, settings)
    if name is None or name != customer:
        return
    folded = name.casefold()
    if folded in emails and emails[folded] is None:
        emails[folded] = order.customer.email.strip()


def keep_claims(state: dict[str, Any], emails: Mapping[str, str | None]) -> None:
    """Keep the names claimed while preparing orders (`claim_new_name`) in the job's state, for its later sets."""
    if emails or STATE_KEY in state:
        state[STATE_KEY] = dict(emails)


def lookup_request(batch: Iterable[_Posted], state: dict[str, Any], version: str) -> str | None:
    """The message set that asks QuickBooks for the e-mails of the batch's names the job has not asked about
    yet, or None when there are none. Moves the job to `LOOKUP_STEP`."""
    known = emails_of(state)
    names: dict[str, str] = {}
    for p in batch:
        name = email_checked_name(p.order, p.settings)
        if name is not None and name.casefold() not in known:
            names.setdefault(name.casefold(), name)
    if not names:
        return None
    request_id = "ce" + secrets.token_hex(10)
    state["step"] = LOOKUP_STEP
    state["lookup"] = {"request_id": request_id, "names": sorted(names.values())}
    query = customer_query(request_id, full_names=sorted(names.values()), include=["FullName", "Email"])
    return render_message_set([query], version=version, on_error="continueOnError")


def apply_lookup(state: dict[str, Any], response: MessageSetResponse) -> Applied:
    """Learn the e-mails of the answer; the job goes back to preparing the same orders."""
    asked = state.pop("lookup", None) or {}
    request_id = str(asked.get("request_id", ""))
    rs = response.by_request_id(request_id)
    if rs is None:
        state["lookup"] = asked
        raise ForeignAnswer("the answer is not the customer e-mail lookup's")
    learned = emails_of(state)
    found = {
        (ret.findtext("FullName") or "").casefold(): (ret.findtext("Email") or "").strip() for ret in rs.rets
    }
    for name in asked.get("names", []):
        folded = str(name).casefold()
        if folded in found:
            learned[folded] = found[folded]
        elif rs.status_code in _NOT_FOUND or rs.ok:
            learned[folded] = None
        else:
            learned[folded] = ""  # unknown: treated as another customer's name (the fallback customer)
    state[STATE_KEY] = learned
    state["step"] = "prepare" if state.get("refs") else "done"
    return Applied(state=state, done=not state.get("refs"))
