"""The .qwc file: what a merchant loads into the QuickBooks Web Connector.

A .qwc is a small `<QBWCXML>` document naming the web service (AppURL), the support
page (AppSupport), the Web Connector user name, and two GUIDs: OwnerID (identifies our
application's private data in the company file) and FileID (stamped into the company
file so we can tell company files apart). Intuit's samples write GUIDs upper-case in
braces, e.g. `{57F3B9B6-86F1-4FCC-B1FF-967DE1813D20}`; lower-case is read as well.

Rules the Web Connector enforces when the file is loaded (QBWC Programmer's Guide):

- AppURL must use https; plain http is only accepted for `localhost` (development).
- AppSupport must be on the same host as AppURL (otherwise the Web Connector refuses
  the application with a QBWC1000-series error). Its scheme is not checked: Intuit's
  own HTTPS sample pairs an https AppURL with an http AppSupport on the same host.
  Intuit words this as "same domain"; this module applies the stricter, unambiguous
  same-host rule so a file it renders is never refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias, get_args
from urllib.parse import urlsplit

from lxml import etree

__all__ = [
    "AUTH_FLAGS_ALL_EDITIONS",
    "AUTH_FLAG_ENTERPRISE",
    "AUTH_FLAG_FORCE_AUTH_DIALOG",
    "AUTH_FLAG_PREMIER",
    "AUTH_FLAG_PRO",
    "AUTH_FLAG_SIMPLE_START",
    "PersonalDataPref",
    "QbType",
    "QwcError",
    "QwcFile",
    "UnattendedModePref",
    "check_app_url",
    "parse_qwc",
    "render_qwc",
]

QbType: TypeAlias = Literal["QBFS", "QBPOS"]
"""QBFS: QuickBooks Financial Software (Pro/Premier/Enterprise); QBPOS: Point of Sale."""

UnattendedModePref: TypeAlias = Literal["umpRequired", "umpOptional"]
"""Whether the application needs to run when QuickBooks is closed (unattended mode).

umpRequired: the Web Connector asks the QuickBooks administrator to allow automatic
login, and the application is not added without it. umpOptional: the administrator may
grant it; the application is added either way."""

PersonalDataPref: TypeAlias = Literal["pdpRequired", "pdpOptional", "pdpNotNeeded"]
"""Access to personal data (social security numbers, customer credit card details)."""

# AuthFlags: which QuickBooks editions the application supports (the same bits as the
# SDK's AuthPreferences). When AuthFlags is absent the Web Connector assumes every
# edition but Simple Start.
AUTH_FLAG_SIMPLE_START: Final = 0x1
AUTH_FLAG_PRO: Final = 0x2
AUTH_FLAG_PREMIER: Final = 0x4
AUTH_FLAG_ENTERPRISE: Final = 0x8
AUTH_FLAG_FORCE_AUTH_DIALOG: Final = 0x80000000
"""Show QuickBooks' authorization dialog even if the application was authorized before."""
AUTH_FLAGS_ALL_EDITIONS: Final = (
    AUTH_FLAG_SIMPLE_START | AUTH_FLAG_PRO | AUTH_FLAG_PREMIER | AUTH_FLAG_ENTERPRISE
)  # 0xF
_AUTH_FLAGS_KNOWN: Final = AUTH_FLAGS_ALL_EDITIONS | AUTH_FLAG_FORCE_AUTH_DIALOG

_LOCALHOST: Final = "localhost"


class QwcError(ValueError):
    """A .qwc that the Web Connector would refuse, or a document that is not a .qwc."""


@dataclass(frozen=True)
class QwcFile:
    """The contents of a .qwc file.

    Optional elements are `None` when absent (the Web Connector then applies its
    default); the defaults here are what Ledgerbridge writes.
    """

    app_name: str
    app_url: str
    app_support: str
    user_name: str
    owner_id: uuid.UUID
    file_id: uuid.UUID
    app_id: str = ""
    app_description: str = ""
    qb_type: QbType = "QBFS"
    run_every_minutes: int | None = None
    is_read_only: bool = False
    unattended_mode_pref: UnattendedModePref | None = None
    personal_data_pref: PersonalDataPref | None = None
    auth_flags: int | None = AUTH_FLAGS_ALL_EDITIONS
    style: str | None = "Document"


def _is_localhost(host: str) -> bool:
    return host == _LOCALHOST


def check_app_url(url: str, *, app_support: str | None = None) -> None:
    """Raise `QwcError` unless the Web Connector would accept `url` as AppURL.

    AppURL must be an absolute https URL, or an http URL on `localhost`. When
    `app_support` is given it must be an absolute http(s) URL on the same host.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise QwcError(f"AppURL {url!r} is not an absolute http(s) URL.")
    if parts.scheme != "https" and not _is_localhost(host):
        raise QwcError(
            f"AppURL {url!r} uses {parts.scheme}; the Web Connector only accepts https "
            f"(plain http is allowed for {_LOCALHOST} only)."
        )
    if app_support is None:
        return
    support = urlsplit(app_support.strip())
    support_host = (support.hostname or "").lower()
    if support.scheme not in ("http", "https") or not support_host:
        raise QwcError(f"AppSupport {app_support!r} is not an absolute http(s) URL.")
    if support_host != host:
        raise QwcError(
            f"AppSupport {app_support!r} is on host {support_host}, AppURL on {host}; the Web "
            "Connector refuses an application whose support URL is not on the AppURL's host "
            "(QBWC1000-series error)."
        )


def _guid(value: uuid.UUID) -> str:
    return "{" + str(value).upper() + "}"


def render_qwc(q: QwcFile) -> str:
    """The .qwc XML text (UTF-8 declaration), elements in the order of Intuit's samples.

    Raises `QwcError` for a file the Web Connector would refuse.
    """
    check_app_url(q.app_url, app_support=q.app_support)
    for label, value in (("AppName", q.app_name), ("UserName", q.user_name)):
        if not value.strip():
            raise QwcError(f"{label} must not be empty.")
    if q.qb_type not in get_args(QbType):
        raise QwcError(f"QBType must be one of {get_args(QbType)}, not {q.qb_type!r}.")
    if q.run_every_minutes is not None and q.run_every_minutes < 1:
        raise QwcError(f"RunEveryNMinutes must be at least 1, not {q.run_every_minutes}.")
    if q.auth_flags is not None and (q.auth_flags <= 0 or q.auth_flags & ~_AUTH_FLAGS_KNOWN):
        raise QwcError(f"AuthFlags 0x{q.auth_flags:X} has no edition bit or has unknown bits.")
    if q.unattended_mode_pref is not None and q.unattended_mode_pref not in get_args(UnattendedModePref):
        raise QwcError(
            f"UnattendedModePref {q.unattended_mode_pref!r} is not one of {get_args(UnattendedModePref)}."
        )
    if q.personal_data_pref is not None and q.personal_data_pref not in get_args(PersonalDataPref):
        raise QwcError(
            f"PersonalDataPref {q.personal_data_pref!r} is not one of {get_args(PersonalDataPref)}."
        )

    root = etree.Element("QBWCXML")

    def add(tag: str, text: str) -> None:
        etree.SubElement(root, tag).text = text

    try:
        add("AppName", q.app_name)
        add("AppID", q.app_id)
        add("AppURL", q.app_url)
        add("AppDescription", q.app_description)
        add("AppSupport", q.app_support)
        add("UserName", q.user_name)
        add("OwnerID", _guid(q.owner_id))
        add("FileID", _guid(q.file_id))
        add("QBType", q.qb_type)
        if q.style is not None:
            add("Style", q.style)
        if q.auth_flags is not None:
            add("AuthFlags", f"0x{q.auth_flags:X}")
        if q.personal_data_pref is not None:
            add("PersonalDataPref", q.personal_data_pref)
        if q.unattended_mode_pref is not None:
            add("UnattendedModePref", q.unattended_mode_pref)
        if q.run_every_minutes is not None:
            scheduler = etree.SubElement(root, "Scheduler")
            etree.SubElement(scheduler, "RunEveryNMinutes").text = str(q.run_every_minutes)
        add("IsReadOnly", "true" if q.is_read_only else "false")
    except ValueError as exc:  # lxml: a character XML cannot carry
        raise QwcError(f"A .qwc value cannot be written as XML: {exc}") from None
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        root, encoding="unicode", pretty_print=True
    )


# --------------------------------------------------------------------------- parsing


def _parse_guid(label: str, text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip().strip("{}"))
    except ValueError:
        raise QwcError(f"{label} {text!r} is not a GUID.") from None


def _parse_bool(label: str, text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise QwcError(f"{label} {text!r} is not true or false.")


def _parse_auth_flags(text: str) -> int:
    value = text.strip()
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        raise QwcError(f"AuthFlags {text!r} is not a number (expected e.g. 0xF).") from None


def parse_qwc(text: str | bytes) -> QwcFile:
    """Read a .qwc document. Does not apply `check_app_url` (parse, then check if needed).

    Raises `QwcError` for malformed XML, a DOCTYPE, a root other than QBWCXML, or a
    missing or malformed required element.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        # A str was encoded to UTF-8 above, whatever its XML declaration says.
        encoding="utf-8" if isinstance(text, str) else None,
    )
    try:
        root = etree.fromstring(data.strip(), parser)
    except etree.XMLSyntaxError as exc:
        raise QwcError(f".qwc is not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise QwcError(".qwc has a DOCTYPE; DTDs and entity declarations are not allowed.")
    if root.tag != "QBWCXML":
        raise QwcError(f".qwc root element is {root.tag!r}; expected QBWCXML.")

    def text_of(tag: str) -> str | None:
        element = root.find(tag)
        return None if element is None else (element.text or "").strip()

    def required(tag: str) -> str:
        value = text_of(tag)
        if value is None:
            raise QwcError(f".qwc has no {tag} element.")
        return value

    run_every: int | None = None
    minutes = text_of("Scheduler/RunEveryNMinutes")
    if minutes is not None:
        try:
            run_every = int(minutes)
        except ValueError:
            raise QwcError(f"RunEveryNMinutes {minutes!r} is not a whole number.") from None

    qb_type = required("QBType")
    if qb_type not in get_args(QbType):
        raise QwcError(f"QBType {qb_type!r} is not one of {get_args(QbType)}.")
    unattended = text_of("UnattendedModePref")
    if unattended is not None and unattended not in get_args(UnattendedModePref):
        raise QwcError(f"UnattendedModePref {unattended!r} is not one of {get_args(UnattendedModePref)}.")
    personal = text_of("PersonalDataPref")
    if personal is not None and personal not in get_args(PersonalDataPref):
        raise QwcError(f"PersonalDataPref {personal!r} is not one of {get_args(PersonalDataPref)}.")
    auth_flags = text_of("AuthFlags")
    read_only = text_of("IsReadOnly")

    return QwcFile(
        app_name=required("AppName"),
        app_url=required("AppURL"),
        app_support=required("AppSupport"),
        user_name=required("UserName"),
        owner_id=_parse_guid("OwnerID", required("OwnerID")),
        file_id=_parse_guid("FileID", required("FileID")),
        app_id=text_of("AppID") or "",
        app_description=text_of("AppDescription") or "",
        qb_type=qb_type,  # type: ignore[arg-type]  # checked against QbType above
        run_every_minutes=run_every,
        is_read_only=False if read_only is None else _parse_bool("IsReadOnly", read_only),
        unattended_mode_pref=unattended,  # type: ignore[arg-type]  # checked above
        personal_data_pref=personal,  # type: ignore[arg-type]  # checked above
        auth_flags=None if auth_flags is None else _parse_auth_flags(auth_flags),
        style=text_of("Style"),
    )
