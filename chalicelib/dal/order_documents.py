"""An order's canonical document as the orders table keeps it: compressed against a dictionary.

Every write of an order item (stored, claimed, settled) costs a DynamoDB write unit per KB of the whole item, the
larger of before and after ("Item sizes and formats" and "Read/write capacity mode" in the DynamoDB Developer
Guide). The canonical order (chalicelib/orders/model.py) is a few hundred bytes of JSON whose field names repeat
in every order, and plain zlib on a document that small finds little to repeat: a typical store order's 600 bytes
of JSON shrink to about 330. Deflate with a preset dictionary (RFC 1951 streams, RFC 1950's FDICT idea, zlib's
`zdict`) holding the skeleton every canonical order shares shrinks the same order to about 170 bytes, so the
order item stays under 1 KB from the push to the settle and each of its writes costs one unit.

Stored form (`document_z`): one format byte, then the body.

* FORMAT_DICTIONARY_V1 (0x01): raw deflate (no zlib header or checksum) of the compact, key-sorted JSON, with
  DICTIONARY_V1 as the preset dictionary. The dictionary is part of the stored format: it never changes. A better
  dictionary is a new format byte beside this one, and this one stays readable.
* Before the format byte existed, `document_z` held a zlib stream (RFC 1950). Its first byte is a CMF with
  compression method 8 in its low four bits (0x78 for zlib's default window), never a small format byte, so both
  forms are told apart by the first byte and orders stored before stay readable.

Past INLINE_COMPRESSED_BYTES compressed, the document is kept in the payloads table (`document_ref`). Items stored
before this module kept documents of up to 600 bytes of JSON inline (`document`): they still read, and the next
write of their document stores it compressed.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from enum import IntEnum
from typing import Any

from chalicelib.dal import payloads
from chalicelib.dal.models import OrderModel
from chalicelib.dal.updates import Action, remove, set_to

# Compressed in the item up to this size, in the payloads table beyond: an order item stays far below DynamoDB's
# 400 KB whatever the order holds.
INLINE_COMPRESSED_BYTES = 100_000

# What canonical orders share, as compact JSON with sorted keys (the way `pack` writes them): field names in their
# order, the empty and common values. Frequent parts last (deflate's nearer distances cost fewer bits).
# Never edit: documents stored with FORMAT_DICTIONARY_V1 need exactly these bytes to be read.
_ADDRESS_V1 = '{"city":"","company":"","country":"US","line1":"","line2":"","name":"","phone":"","postal_code":"","state":""}'
DICTIONARY_V1 = (
    '"attributes":{},"components":[],"exchange_rate":"1","location":"","tax_collected_by_marketplace":false,'
    '"status":"open","source":"web","unpaid","partially_paid","refunded","pending","authorized",'
    '"refunds":[{"amount":"","created_at":"","id":"","lines":[{"amount":"","line_id":"","quantity":1}],'
    '"note":"","shipping":"0.00"}],@gmail.com@example.com","Shipping","Standard","Ground","shopify_payments",'
    '"credit_card","paypal","Discount","Tax","T00:00:00Z","T00:00:00+00:00","2026-'
    '{"billing_address":' + _ADDRESS_V1 + ',"created_at":"2026-01-01T00:00:00Z","currency":"USD",'
    '"customer":{"company":"","email":"","first_name":"","last_name":"","phone":""},'
    '"discounts":[{"amount":"","code":""}],"fees":[{"amount":"","title":""}],"id":"",'
    '"lines":[{"discount":"0.00","id":"1","quantity":1,"sku":"","tax":"0.00","taxable":true,"title":"",'
    '"unit_price":""}],"note":"","number":"","payment_status":"paid",'
    '"payments":[{"amount":"","gateway":"","method":"","paid_at":"","reference":""}],"refunds":[],'
    '"shipping_address":' + _ADDRESS_V1 + ',"shipping_lines":[{"discount":"0.00","price":"","tax":"0.00",'
    '"title":""}],"source":"","status":"","tags":[],"tax_lines":[{"amount":"","rate":"","title":""}],'
    '"total":"","updated_at":""}'
).encode()


class DocumentFormat(IntEnum):
    """The first byte of a stored document (zlib streams of before have none: see the module's docstring)."""

    DICTIONARY_V1 = 0x01


_RAW_DEFLATE = -15  # wbits: a raw deflate stream, 32 KB window


def canonical_json(document: dict[str, Any]) -> bytes:
    """The document as the orders table compresses it (and as its digest is computed): compact, keys sorted."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def pack(text: bytes) -> bytes:
    """A document's JSON (`canonical_json`) in its stored form: the format byte, then the compressed body."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, _RAW_DEFLATE, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY_V1)
    return bytes((DocumentFormat.DICTIONARY_V1,)) + compressor.compress(text) + compressor.flush()


def _is_zlib_stream(data: bytes) -> bool:
    """RFC 1950: CMF's low nibble is 8 (deflate) and CMF * 256 + FLG is a multiple of 31."""
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0


def unpack(data: bytes) -> dict[str, Any]:
    """A stored document, in whichever form it was stored (this format or the plain zlib stream of before)."""
    if data[:1] == bytes((DocumentFormat.DICTIONARY_V1,)):
        decompressor = zlib.decompressobj(_RAW_DEFLATE, zdict=DICTIONARY_V1)
        text = decompressor.decompress(data[1:]) + decompressor.flush()
        if not decompressor.eof:
            raise ValueError("a stored order document is cut short")
    elif _is_zlib_stream(data):
        text = zlib.decompress(data)
    else:
        raise ValueError(
            f"a stored order document in an unknown format (first byte {data[:1].hex() or 'none'})"
        )
    return dict(json.loads(text))


def stored(channel_id: str, order_id: str, digest: str, document: dict[str, Any]) -> dict[str, Any]:
    """The document's storage attributes of the order item: compressed bytes, or a payload key (written here). The
    inline JSON of an item stored before is removed by the write that stores a document again."""
    text = canonical_json(document)
    packed = pack(text)
    if len(packed) <= INLINE_COMPRESSED_BYTES:
        return {"document": None, "document_z": packed, "document_ref": None}
    key = f"order#{channel_id}#{hashlib.sha256(order_id.encode()).hexdigest()[:32]}#{digest}"
    payloads.put(key, text)
    return {"document": None, "document_z": None, "document_ref": key}


def update_actions(attributes: dict[str, Any]) -> list[Action]:
    """The update actions that store `stored`'s attributes (those it leaves out are removed)."""
    return [
        set_to(getattr(OrderModel, name), value) if value is not None else remove(getattr(OrderModel, name))
        for name, value in attributes.items()
    ]


def forget(old_ref: str | None, attributes: dict[str, Any]) -> None:
    """The payload of a document just replaced, if it had one."""
    if old_ref and old_ref != attributes.get("document_ref"):
        payloads.delete(old_ref)


def read(m: OrderModel) -> dict[str, Any]:
    """The order item's document, in whichever form it was stored."""
    if m.document is not None:
        return dict(m.document)
    if m.document_z is not None:
        return unpack(bytes(m.document_z))
    if m.document_ref:
        return dict(json.loads(payloads.get(m.document_ref)))
    return {}
