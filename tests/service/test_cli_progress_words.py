"""The CLI's resync in merchant words: a refused command draws no empty progress bar, and log records written
while the bar is drawn appear on lines of their own, never inside the bar's line."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from click.testing import CliRunner

from ledgerbridge import cli


def invoker(answers: list[dict[str, Any]], log: logging.Logger):
    def call(event: dict[str, object]) -> dict[str, Any]:
        log.warning("store answered page %s", len(answers))
        return answers.pop(0)

    return lambda function_name: ("here", call)


@pytest.fixture
def chatty_logger():
    log = logging.getLogger("ledgerbridge.test.chatty")
    handler = logging.StreamHandler()  # the terminal's stream, as a library's handler keeps it
    log.addHandler(handler)
    yield log
    log.removeHandler(handler)


ARGS = ["resync", "--channel", "chn_1", "--from", "2026-11-01", "--to", "2026-11-02"]


def test_a_refused_resync_draws_no_bar(monkeypatch, chatty_logger):
    refused = [{"state": "refused", "error": "The channel's store credentials were rejected."}]
    monkeypatch.setattr(cli, "_resync_invoker", invoker(refused, chatty_logger))
    result = CliRunner().invoke(cli.main, ARGS)
    assert result.exit_code != 0
    assert "credentials were rejected" in result.output
    assert "fetching" not in result.output and "━" not in result.output


def test_log_lines_do_not_share_the_bar_s_line(monkeypatch, chatty_logger):
    answers = [
        {"id": "run_1", "state": "running", "counts": {"fetched": 2}, "total": 4, "pages": 1},
        {"id": "run_1", "state": "done", "counts": {"fetched": 4, "new": 4}, "total": 4, "pages": 2},
    ]
    monkeypatch.setattr(cli, "_resync_invoker", invoker(answers, chatty_logger))
    result = CliRunner().invoke(cli.main, ARGS)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    logged = [line for line in lines if "store answered page" in line]
    assert logged  # the record written while the bar was drawn, printed above it
    assert all("fetching" not in line and "━" not in line for line in logged)
    assert lines[-1].startswith("run run_1: done: fetched 4, new 4")
