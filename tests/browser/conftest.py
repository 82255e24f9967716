"""Browser tests: Debian's chromium driven by Playwright against a local stack of their own.

Chromium is installed with apt-get when it is missing (CI on a fresh machine); Playwright's own browser
download is never used. Screenshots of each step go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledgerbridge.fakes.shipstation import FakeShipStation
from tests.conftest import LocalStack, start_stack, stop_stack

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium dials out at start-up, and this machine's closed network
# refuses those connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _install_chromium() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.fail(f"{CHROMIUM} is missing and apt-get is not available to install it")
    # Two test workers (or another apt client) may want the package lock at once: one installs while the
    # other waits for the lock (dpkg's own timeout) and then finds chromium there.
    wait = ["-o", "DPkg::Lock::Timeout=600"]
    install = [apt, *wait, "install", "-y", "chromium"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run([apt, *wait, "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        _install_chromium()
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is still missing after apt-get install chromium"
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shipstation() -> Iterator[FakeShipStation]:
    """The fake ShipStation the browser tests' stack calls (ShipStation has one fixed API host)."""
    fake = FakeShipStation()
    with fake:
        fake.now = datetime.now(UTC)
        yield fake


@pytest.fixture(scope="session")
def dashboard_stack(
    tmp_path_factory: pytest.TempPathFactory, shipstation: FakeShipStation
) -> Iterator[LocalStack]:
    """A local stack of the browser tests' own: a fresh tenant whose pages show only what these tests did."""
    stack = start_stack(
        tmp_path_factory.mktemp("dashboard-stack"),
        api_key="lbk_test_" + os.urandom(12).hex(),
        extra_env={"LEDGERBRIDGE_STORE_API_URLS": f"shipstation={shipstation.base_url}"},
    )
    yield stack
    stop_stack(stack)


@dataclass
class PageWatch:
    """What the page said that a user would not see: script errors, console errors (CSP violations among
    them), and dialogs (an alert would mean injected script ran)."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser, dashboard_stack: LocalStack) -> Iterator[object]:
    context = browser.new_context(
        base_url=dashboard_stack.url,
        accept_downloads=True,
        viewport={"width": 1280, "height": 900},
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dashboard_stack.url)
    tab = context.new_page()
    watch = PageWatch()
    tab.on("pageerror", lambda exc: watch.errors.append(f"page error: {exc}"))

    def on_console(msg) -> None:
        # An API call answered 4xx is logged by Chromium as "Failed to load resource"; the page shows the
        # API's message itself. Any other console error (a CSP violation, a missing file) fails the test.
        api_answer = (
            "/api/v1/" in (msg.location or {}).get("url", "") and "Failed to load resource" in msg.text
        )
        if msg.type == "error" and not api_answer:
            watch.errors.append(f"console {msg.type}: {msg.text} ({msg.location})")

    tab.on("console", on_console)

    def on_dialog(dialog) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.watch = watch  # type: ignore[attr-defined]
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
    assert watch.dialogs == [], watch.dialogs
    assert watch.errors == [], watch.errors


def shoot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target
