"""A QuickBooks Desktop company, simulated: answers qbXML request documents like QuickBooks does.

`CompanySimulator` keeps one company in a JSON file (created with a realistic sample company
the first time) and answers qbXML 13.0 message sets through `process()`, the way the
QuickBooks request processor answers the Web Connector. It is independent of the service
code: it builds and parses qbXML itself with lxml and checks requests (and its own answers)
against the official 13.0 schema.

This module is the public face; the simulator is built from one module per concern, each with
the behaviour it models and the evidence behind it in its docstring:

* `registry.py`: the request-handler registry (`register_handler`, `HANDLERS`), statuses
  (`Status`, `StatusError`, `status_*`), the processor's failures (`QuickBooksFault`,
  `ResponseLost`, `SimulatorLimitation`, `SimulatorBug`) and the faults tests and the CLI arm
  (`Faults`: not running, HRESULT on the next call, lost response, crash, transient errors).
* `stored.py`: the stored company (the JSON file, atomic saves, indexes, lookups, transactions).
* `lists.py`: list queries (lookups, filters, iterators), list adds (name spaces, references).
* `inventory.py`: quantities, inventory sites, `ItemSitesQueryRq`, the inventory Python API.
* `currency.py`: Multiple Currencies (the preference, the Currency list, customers, accounts and sales in a
  currency, home-currency amounts; `turn_on_multicurrency`, `add_account`, `set_exchange_rate` for tests).
* `message_sets.py`: parsing, onError, and error recovery as QuickBooks answers it: a status
  check answers each request's status and, for Adds and Mods that succeeded, an `ErrorRecovery`
  element (TxnID/ListID, TxnNumber, EditSequence, ExternalGUID) instead of the record;
  `recovery_answers="full_records"` keeps the older full-record answer for tests.
* `sales.py` (sales adds), `payments.py`, `sale_queries.py` and `sale_mods.py` (Mods): the
  transactions, and the Python API for making and editing sales directly (`add_invoice`, `add_sales_order`, `sale`, `edit_sale` here
  delegate to it). Importing this module registers every handler.

A request type the simulator does not implement raises `SimulatorLimitation` before anything is
processed. Tests read the company with `objects`, `find`, `sales(kind)`, `find_txn`,
`find_by_ref`, `find_by_external_guid` and `external_guid_counts` (how many sales carry each
ExternalGUID: the exactly-once check).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ledgerbridge.simulators import _sample, payments, receipt_mods, sale_queries, sales
from ledgerbridge.simulators.inventory import STATUS_FEATURE_OFF, CompanyInventory
from ledgerbridge.simulators.lists import ADD_KINDS, ITEM_KINDS, KINDS, QUERY_KINDS, REF_TARGETS, ListKind
from ledgerbridge.simulators.message_sets import (
    CLEAR_ALL_MESSAGE_SETS,
    MAX_MESSAGE_SET_ID,
    CompanyMessageSets,
    RecoveryAnswers,
    StoredMessageSet,
    StoredRequestStatus,
)
from ledgerbridge.simulators.registry import (
    HANDLERS,
    HRESULT_MESSAGES,
    NOT_RUNNING_HRESULT,
    NOT_RUNNING_MESSAGE,
    OTHER_COMPANY_OPEN_HRESULT,
    PARSE_ERROR_HRESULT,
    PARSE_ERROR_MESSAGE,
    STATUS_NO_MATCH,
    STATUS_NOT_PROCESSED,
    STATUS_OK,
    TRANSIENT_CODES,
    Faults,
    Handler,
    QuickBooksFault,
    ResponseLost,
    Severity,
    SimulatorBug,
    SimulatorLimitation,
    Status,
    StatusError,
    register_handler,
    status_invalid_iterator,
    status_invalid_parent,
    status_invalid_reference,
    status_missing_element,
    status_name_in_use,
    status_transient,
)
from ledgerbridge.simulators.sale_mods import add_sale, edit_sale_in_quickbooks, read_sale
from ledgerbridge.simulators.stored import (
    CENT,
    FIRST_LIST_ID,
    FORMAT,
    INVENTORY_KINDS,
    SAMPLE_EPOCH,
    Quantity,
    format_amount,
    full_name_of,
    guid_key,
)

__all__ = [
    "ADD_KINDS",
    "CENT",
    "CLEAR_ALL_MESSAGE_SETS",
    "FORMAT",
    "HANDLERS",
    "HRESULT_MESSAGES",
    "INVENTORY_KINDS",
    "ITEM_KINDS",
    "KINDS",
    "MAX_MESSAGE_SET_ID",
    "NOT_RUNNING_HRESULT",
    "NOT_RUNNING_MESSAGE",
    "OTHER_COMPANY_OPEN_HRESULT",
    "PARSE_ERROR_HRESULT",
    "PARSE_ERROR_MESSAGE",
    "QUERY_KINDS",
    "REF_TARGETS",
    "STATUS_FEATURE_OFF",
    "STATUS_NOT_PROCESSED",
    "STATUS_NO_MATCH",
    "STATUS_OK",
    "TRANSIENT_CODES",
    "CompanySimulator",
    "Faults",
    "Handler",
    "ListKind",
    "Quantity",
    "QuickBooksFault",
    "RecoveryAnswers",
    "ResponseLost",
    "Severity",
    "SimulatorBug",
    "SimulatorLimitation",
    "Status",
    "StatusError",
    "StoredMessageSet",
    "StoredRequestStatus",
    "format_amount",
    "full_name_of",
    "guid_key",
    "register_handler",
    "status_invalid_iterator",
    "status_invalid_parent",
    "status_invalid_reference",
    "status_missing_element",
    "status_name_in_use",
    "status_transient",
]


#: The transaction modules; importing them registers their request handlers (lists and inventory
#: register theirs when the classes above are imported, sale_mods with the names below).
TRANSACTION_MODULES = (sales, payments, sale_queries, receipt_mods)


class CompanySimulator(CompanyMessageSets, CompanyInventory):
    """One QuickBooks company file, kept as JSON, answering qbXML like QuickBooks Desktop."""

    def __init__(
        self,
        data: dict[str, Any],
        path: Path | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        validate_responses: bool = True,
        autosave: bool = True,
        recovery_answers: RecoveryAnswers | str | None = None,
    ) -> None:
        super().__init__(data, path, clock=clock, validate_responses=validate_responses, autosave=autosave)
        if recovery_answers is not None:
            self.recovery_answers = RecoveryAnswers(recovery_answers)

    # -- creating, opening, saving ----------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        company_name: str = "Blue Heron Outfitters",
        country: str = "US",
        company_file: str | None = None,
        product_name: str | None = None,
        generated_items: int = 0,
        clock: Callable[[], datetime] | None = None,
        autosave: bool = True,
        recovery_answers: RecoveryAnswers | str | None = None,
    ) -> CompanySimulator:
        """Open the company kept in `path`, creating the sample company there if the file is missing.

        The creation parameters are only used when the file does not exist yet; `recovery_answers`
        (see `message_sets`) changes the company's setting when given.
        """
        file = Path(path)
        if file.exists():
            return cls(
                json.loads(file.read_text(encoding="utf-8")),
                file,
                clock=clock,
                autosave=autosave,
                recovery_answers=recovery_answers,
            )
        company = cls.create(
            company_name=company_name,
            country=country,
            company_file=company_file,
            product_name=product_name,
            generated_items=generated_items,
            clock=clock,
            recovery_answers=recovery_answers,
        )
        company.path = file
        company.autosave = autosave
        company.save()
        return company

    @classmethod
    def create(
        cls,
        *,
        company_name: str = "Blue Heron Outfitters",
        country: str = "US",
        company_file: str | None = None,
        product_name: str | None = None,
        generated_items: int = 0,
        clock: Callable[[], datetime] | None = None,
        recovery_answers: RecoveryAnswers | str | None = None,
    ) -> CompanySimulator:
        """A new sample company in memory (call `save()` after setting `path` to keep it)."""
        if country not in _sample.PROFILES:
            raise ValueError(
                f"country must be one of {', '.join(_sample.SUPPORTED_COUNTRIES)}, not {country!r}"
            )
        profile = _sample.PROFILES[country]
        data: dict[str, Any] = {
            "format": FORMAT,
            "company": {
                "name": company_name,
                "country": country,
                "file": company_file or _sample.company_file_path(company_name),
                "product_name": product_name or profile.product_name,
                "major_version": "33",
                "minor_version": "0",
                "qbxml_versions": list(_sample.QBXML_VERSIONS_2023),
                "timezone": profile.timezone,
                "taxable_code": profile.taxable_code,
                "non_taxable_code": profile.non_taxable_code,
                "company_ret": _sample.company_ret(company_name, profile),
                "preferences": {},
            },
            "next_list_id": FIRST_LIST_ID,
            "lists": {name: [] for name in KINDS},
            "txns": {},
            "error_recovery": None,
            "faults": Faults().to_json(),
        }
        company = cls(data, None, clock=clock, recovery_answers=recovery_answers)
        for index, (kind, seed) in enumerate(_sample.seed_objects(profile)):
            created = datetime.fromtimestamp(SAMPLE_EPOCH + 100 * index, company._tz)
            company._seed(kind, seed, created)
        preferences = _sample.preferences_ret(profile)
        company._resolve_refs(preferences, "Preferences")
        data["company"]["preferences"] = preferences
        if generated_items:
            company.add_generated_items(generated_items)
        company._dirty = False
        return company

    def reload(self) -> CompanySimulator:
        """The company as saved on disk (a fresh simulator: no iterators, no unsaved state)."""
        if self.path is None:
            raise ValueError("an in-memory company has nothing on disk to reload")
        return type(self).open(self.path, clock=self._clock)

    # -- sales made directly (for tests and the benchmark) --------------------------------------
    def add_invoice(self, *, customer: str, lines: Sequence[Any], **fields: Any) -> dict[str, Any]:
        """Make an invoice as QuickBooks' form would (no qbXML); a copy of its `*Ret` JSON.

        `lines` are `sale_mods.SaleLineSpec`s; `fields`: ref_number, txn_date, class_name,
        bill_address, ship_address (qbXML keys), ship_method, ship_date, po_number, memo, other,
        external_guid. See `sale_mods.add_sale`.
        """
        return add_sale(self, "Invoice", customer=customer, lines=lines, **fields)

    def add_sales_order(self, *, customer: str, lines: Sequence[Any], **fields: Any) -> dict[str, Any]:
        """Make a sales order as QuickBooks' form would; like `add_invoice`."""
        return add_sale(self, "SalesOrder", customer=customer, lines=lines, **fields)

    def sale(self, txn_id: str) -> dict[str, Any]:
        """A copy of the transaction with that TxnID; KeyError if there is none."""
        return read_sale(self, txn_id)

    def edit_sale(
        self,
        txn_id: str,
        *,
        memo: str | None = None,
        other: str | None = None,
        ship_date: date | None = None,
    ) -> str:
        """Someone edits the sale in QuickBooks: TimeModified and EditSequence move on (a Mod sent with
        the old EditSequence now gets 3200). Returns the new EditSequence."""
        return edit_sale_in_quickbooks(self, txn_id, memo=memo, other=other, ship_date=ship_date)
