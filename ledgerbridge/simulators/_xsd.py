"""Element order and structure straight from the official qbXML 13.0 schema.

The company simulator keeps every QuickBooks object as a JSON tree shaped like its `*Ret`
element (`{"ListID": "...", "BillAddress": {"City": "..."}, ...}`) and turns it back into XML
here, in the order the schema's `xsd:sequence` prescribes. The order therefore never has to be
written down by hand, and it cannot drift from the schema the tests validate responses with.

Only the parts of XML Schema that the Intuit files use are understood: global and local
`xsd:element` (with `ref`, `type` or an inline `xsd:complexType`), `xsd:sequence`,
`xsd:choice`, `xsd:all`, `xsd:group ref` and `xsd:complexContent/xsd:extension`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lxml import etree

from ledgerbridge.qbxml_schema import SCHEMA_DIR

XS = "{http://www.w3.org/2001/XMLSchema}"
SCHEMA_FILES = ("qbxmltypes130.xsd", "qbxml130.xsd", "qbxmlso130.xsd", "qbxmlops130.xsd")

#: A JSON value of the object store: text, a nested element, or a repeated element.
JsonNode = str | dict[str, Any] | list[Any]


@dataclass(frozen=True)
class Decl:
    """One element declaration: its name and where its content model lives."""

    name: str
    key: tuple[str, int]  # (schema file, source line) of the declaration that defines the content
    node: etree._Element
    repeatable: bool


class SchemaIndex:
    """Global elements, complex types and groups of the four 13.0 schema files."""

    def __init__(self) -> None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
        self._elements: dict[str, etree._Element] = {}
        self._types: dict[str, etree._Element] = {}
        self._groups: dict[str, etree._Element] = {}
        self._files: dict[int, str] = {}
        self._children_cache: dict[tuple[str, int], tuple[Decl, ...]] = {}
        for file_name in SCHEMA_FILES:
            root = etree.parse(str(SCHEMA_DIR / file_name), parser).getroot()
            self._files[id(root)] = file_name
            for node in root:
                name = node.get("name")
                if name is None:
                    continue
                if node.tag == XS + "element":
                    self._elements[name] = node
                elif node.tag == XS + "complexType":
                    self._types[name] = node
                elif node.tag == XS + "group":
                    self._groups[name] = node

    # -- declarations ------------------------------------------------------------------------
    def element(self, name: str) -> Decl:
        """The global element `name` (e.g. `CustomerRet`, `QBXMLMsgsRs`)."""
        node = self._elements.get(name)
        if node is None:
            raise KeyError(f"no global element {name!r} in the qbXML 13.0 schema")
        return self._decl(node, repeatable=False)

    def has_element(self, name: str) -> bool:
        return name in self._elements

    def children(self, decl: Decl) -> tuple[Decl, ...]:
        """The child elements `decl` may contain, flattened in schema order (first occurrence wins)."""
        cached = self._children_cache.get(decl.key)
        if cached is not None:
            return cached
        content = self._content_of(decl.node)
        seen: dict[str, Decl] = {}
        if content is not None:
            for child in self._walk(content, repeat=False):
                seen.setdefault(child.name, child)
        result = tuple(seen.values())
        self._children_cache[decl.key] = result
        return result

    def child(self, decl: Decl, name: str) -> Decl | None:
        for candidate in self.children(decl):
            if candidate.name == name:
                return candidate
        return None

    def child_names(self, decl: Decl) -> list[str]:
        return [c.name for c in self.children(decl)]

    def is_complex(self, decl: Decl) -> bool:
        return bool(self.children(decl)) or self._content_of(decl.node) is not None

    # -- internals -----------------------------------------------------------------------------
    def _decl(self, node: etree._Element, *, repeatable: bool) -> Decl:
        ref = node.get("ref")
        if ref is not None:
            target = self._elements[ref]
            return Decl(ref, self._key(target), target, repeatable)
        name = node.get("name")
        assert name is not None
        return Decl(name, self._key(node), node, repeatable)

    def _key(self, node: etree._Element) -> tuple[str, int]:
        root = node.getroottree().getroot()
        line = node.sourceline
        return (self._files.get(id(root), "?"), line if isinstance(line, int) else 0)

    def _content_of(self, element_node: etree._Element) -> etree._Element | None:
        """The complexType node holding the content model of an element declaration, if complex."""
        type_name = element_node.get("type")
        if type_name is not None:
            return self._types.get(type_name)
        return element_node.find(XS + "complexType")

    def _walk(self, node: etree._Element, *, repeat: bool) -> Iterator[Decl]:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag
            max_occurs = child.get("maxOccurs", "1")
            repeated = repeat or max_occurs == "unbounded" or (max_occurs.isdigit() and int(max_occurs) > 1)
            if tag == XS + "element":
                yield self._decl(child, repeatable=repeated)
            elif tag in (XS + "sequence", XS + "choice", XS + "all"):
                yield from self._walk(child, repeat=repeated)
            elif tag == XS + "group":
                ref = child.get("ref")
                if ref is not None:
                    yield from self._walk(self._groups[ref], repeat=repeated)
                else:
                    yield from self._walk(child, repeat=repeated)
            elif tag in (XS + "complexContent", XS + "simpleContent"):
                yield from self._walk(child, repeat=repeated)
            elif tag == XS + "extension":
                base = child.get("base")
                if base is not None and base in self._types:
                    yield from self._walk(self._types[base], repeat=repeated)
                yield from self._walk(child, repeat=repeated)


@lru_cache(maxsize=1)
def schema_index() -> SchemaIndex:
    """The parsed schema, built once per process (about a quarter of a second)."""
    return SchemaIndex()


class UnknownElement(ValueError):
    """A JSON object holds a key the schema does not allow at that place (a simulator bug)."""


def build_children(parent: etree._Element, decl: Decl, data: Mapping[str, Any]) -> None:
    """Append `data` to `parent` as child elements, in the order `decl`'s schema type prescribes.

    Keys starting with `_` are private bookkeeping and never serialised. A list value becomes a
    repeated element; a dict a nested one; anything else its text.
    """
    index = schema_index()
    known = {c.name for c in index.children(decl)}
    for key in data:
        if not key.startswith("_") and key not in known:
            raise UnknownElement(f"<{key}> is not allowed inside <{decl.name}> by the qbXML 13.0 schema")
    for child_decl in index.children(decl):
        if child_decl.name not in data:
            continue
        value = data[child_decl.name]
        values: Sequence[Any] = value if isinstance(value, list) else [value]
        for item in values:
            element = etree.SubElement(parent, child_decl.name)
            if isinstance(item, Mapping):
                build_children(element, child_decl, item)
            else:
                element.text = str(item)


def build_element(name: str, data: Mapping[str, Any], decl: Decl | None = None) -> etree._Element:
    """A new `<name>` element holding `data`, ordered by the schema."""
    element = etree.Element(name)
    build_children(element, decl or schema_index().element(name), data)
    return element


def element_to_json(element: etree._Element) -> dict[str, Any]:
    """The children of `element` as a JSON tree (leaves are text, repeats become lists)."""
    result: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        value: JsonNode = element_to_json(child) if len(child) else (child.text or "")
        if child.tag in result:
            existing = result[child.tag]
            if isinstance(existing, list):
                existing.append(value)
            else:
                result[child.tag] = [existing, value]
        else:
            result[child.tag] = value
    return result
