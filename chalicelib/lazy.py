"""Modules loaded on first use, so that a cold Lambda pays only for the routes it runs.

`import app` registers every route of the REST and SOAP API; most use cases behind them (the store connectors
and their HTTP client, the rules engine, qbXML building, the order desk, the Web Connector engine) are needed by
a few routes only. Route modules name those use cases through `lazy_module`: a stand-in that imports the module
the first time one of its attributes is read (under a lock: `chalice local` answers requests on threads) and
then hands every attribute over from it. Type checkers see the plain import (`if TYPE_CHECKING`).
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]

_LOADING = threading.RLock()


class _LazyModule(ModuleType):
    """Stands in for a module until its first attribute is read; the real module stays in sys.modules."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_loaded"] = None

    def _module(self) -> ModuleType:
        loaded: ModuleType | None = self.__dict__["_loaded"]
        if loaded is None:
            with _LOADING:
                loaded = self.__dict__["_loaded"]
                if loaded is None:
                    loaded = importlib.import_module(self.__name__)
                    self.__dict__["_loaded"] = loaded
        return loaded

    def __getattr__(self, attribute: str) -> Any:  # only for what the stand-in itself lacks
        return getattr(self._module(), attribute)

    def __setattr__(self, attribute: str, value: Any) -> None:  # a test's patch reaches the real module
        setattr(self._module(), attribute, value)

    def __delattr__(self, attribute: str) -> None:
        delattr(self._module(), attribute)


def lazy_module(name: str) -> ModuleType:
    """The module `name`, imported when one of its attributes is first read (itself when already loaded)."""
    return sys.modules.get(name) or _LazyModule(name)
