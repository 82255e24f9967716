"""The fixtures of tests/infra/: the merged template (packaged once per module), the infra template alone, the
Chalice app, and the settings a deployed Lambda computes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

from chalicelib.settings import Settings, get_settings
from ledgerbridge import package
from tests.infra.template_reading import INFRA_TEMPLATE, _deployed_settings, _plain

# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def merged_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package.build("prod", tmp_path_factory.mktemp("package"), template_only=True)


@pytest.fixture(scope="module")
def merged(merged_path: Path) -> dict[str, Any]:
    return _plain(cfn_yaml.load(str(merged_path)))


@pytest.fixture(scope="module")
def infra() -> dict[str, Any]:
    return _plain(cfn_yaml.load(str(INFRA_TEMPLATE)))


@pytest.fixture(scope="module")
def chalice_app() -> Any:
    from app import app

    return app


@pytest.fixture
def prod_settings(monkeypatch: pytest.MonkeyPatch):
    """The settings a prod Lambda computes from its environment, bypassing the process-wide cache."""
    monkeypatch.setenv("LEDGERBRIDGE_STAGE", "prod")
    monkeypatch.delenv("LEDGERBRIDGE_RESOURCE_PREFIX", raising=False)
    return get_settings.__wrapped__()


@pytest.fixture
def deployed_settings(merged: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    return _deployed_settings(merged, monkeypatch)
