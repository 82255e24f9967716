"""`ledgerbridge`: the operator's command line.

Commands that touch storage use the same repositories as the app. Against a local stack started from this
checkout (`make run`) they find it by themselves; in AWS they use the usual AWS environment.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ledgerbridge import devstack


def _use_storage() -> None:
    """Point the app's storage code at the running local stack when no AWS endpoint is set."""
    if "AWS_ENDPOINT_URL" not in os.environ and "AWS_EXECUTION_ENV" not in os.environ:
        env = devstack.running_stack()
        if env is not None:
            os.environ.update(env)
            click.echo(f"(using the local stack at {env['AWS_ENDPOINT_URL']})", err=True)
    from chalicelib.dal import configure
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    configure(get_settings())


class _Group(click.Group):
    """Errors the service explains (unknown tenant, revoked key...) are printed as such, not as tracebacks."""

    def invoke(self, ctx: click.Context) -> object:
        from chalicelib.errors import AppError

        try:
            return super().invoke(ctx)
        except AppError as exc:
            raise click.ClickException(exc.message) from exc


@click.group(cls=_Group)
def main() -> None:
    """Ledgerbridge: QuickBooks Desktop sync through the Web Connector."""


@main.command()
@click.option("--port", default=lambda: int(os.environ.get("PORT", "8000")), show_default="$PORT or 8000")
@click.option("--moto-port", type=int, default=None, help="Port of the embedded AWS (default: a free one).")
@click.option("--state-dir", type=click.Path(path_type=Path), default=devstack.DEFAULT_STATE_DIR)
def dev(port: int, moto_port: int | None, state_dir: Path) -> None:
    """Run the whole product on the embedded local stack (what `make run` does)."""
    stack = devstack.DevStack(
        port=port, moto_port=moto_port, state_dir=state_dir, api_key=os.environ.get("LEDGERBRIDGE_API_KEY")
    )
    sys.exit(stack.run())


@main.command()
@click.option("--port", default=lambda: int(os.environ.get("PORT", "8000")), show_default="$PORT or 8000")
@click.option("--moto-port", type=int, default=None, help="Port of the embedded AWS (default: a free one).")
@click.option("--state-dir", type=click.Path(path_type=Path), default=Path(".local/demo"), show_default=True)
@click.option(
    "--every", type=float, default=60.0, show_default=True, help="Seconds between Web Connector runs."
)
def demo(port: int, moto_port: int | None, state_dir: Path, every: float) -> None:
    """The local stack with a fake Shopify store full of orders syncing into a simulated company (`make demo`).
    Starts afresh each time (its state directory is emptied)."""
    from ledgerbridge.demo import DemoStack

    sys.exit(DemoStack(port=port, moto_port=moto_port, state_dir=state_dir, every=every).run())


@main.group()
def tenants() -> None:
    """Merchant accounts."""


@tenants.command("create")
@click.argument("name")
def tenants_create(name: str) -> None:
    """Create a tenant and print its first API key (shown once)."""
    _use_storage()
    from chalicelib.sync import tenancy

    tenant, key = tenancy.create_tenant_with_key(name)
    click.echo(f"tenant: {tenant.tenant_id} ({tenant.name})")
    click.echo(f"API key (shown once, store it now): {key}")


@tenants.command("list")
def tenants_list() -> None:
    """List tenants."""
    _use_storage()
    from chalicelib.dal import tenants as repo

    for t in repo.list_tenants():
        click.echo(f"{t.tenant_id}\t{t.name}\t{t.created_at.isoformat()}")


@main.group()
def keys() -> None:
    """API keys of a tenant."""


@keys.command("create")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--label", default="")
def keys_create(tenant_id: str, label: str) -> None:
    """Create an API key and print it once."""
    _use_storage()
    from chalicelib.sync import tenancy

    tenancy.require_tenant(tenant_id)
    key, secret = tenancy.create_key(tenant_id, label)
    click.echo(f"{key.key_id}\t{secret}")
    click.echo("Store the key now: it is shown once.", err=True)


@keys.command("list")
@click.option("--tenant", "tenant_id", required=True)
def keys_list(tenant_id: str) -> None:
    """List a tenant's API keys (never their secrets)."""
    _use_storage()
    from chalicelib.sync import tenancy

    tenancy.require_tenant(tenant_id)
    for k in tenancy.list_keys(tenant_id):
        state = "revoked " + k.revoked_at.isoformat() if k.revoked_at else "active"
        click.echo(f"{k.key_id}\t{k.prefix}…\t{k.label or '-'}\t{state}")


@keys.command("revoke")
@click.option("--tenant", "tenant_id", required=True)
@click.argument("key_id")
def keys_revoke(tenant_id: str, key_id: str) -> None:
    """Revoke an API key: it stops working at once."""
    _use_storage()
    from chalicelib.sync import tenancy

    key = tenancy.revoke_key(tenant_id, key_id)
    click.echo(f"revoked {key.key_id}")


@main.command()
@click.option("--url", required=True, help="The Web Connector URL (AppURL), e.g. http://127.0.0.1:8000/qbwc")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option(
    "--company",
    "company_file",
    type=click.Path(path_type=Path),
    default=Path(".local/company.json"),
    show_default=True,
    help="The simulated QuickBooks company (created with sample data when missing).",
)
@click.option("--company-name", default=None, help="Name of a newly created company.")
@click.option("--not-running", is_flag=True, help="Simulate QuickBooks not being able to start.")
@click.option("--crash-after", type=int, default=None, help="Stop the Web Connector after N message sets.")
@click.option("--lose-next-response", is_flag=True, help="Lose QuickBooks' next answer on its way back.")
def simulate(
    url: str,
    username: str,
    password: str,
    company_file: Path,
    company_name: str | None,
    not_running: bool,
    crash_after: int | None,
    lose_next_response: bool,
) -> None:
    """Run one Web Connector session against a server, with a simulated QuickBooks company behind it."""
    from ledgerbridge.simulators.company import CompanySimulator
    from ledgerbridge.simulators.webconnector import run_session

    company = (
        CompanySimulator.open(company_file, company_name=company_name)
        if company_name
        else CompanySimulator.open(company_file)
    )
    company.faults.not_running = not_running
    company.faults.crash_after_requests = crash_after
    company.faults.lose_next_response = lose_next_response
    report = run_session(url, username, password, company)
    click.echo(report.render())
    if report.errors:
        sys.exit(1)


def _resync_invoker(
    function_name: str | None,
) -> tuple[str, Callable[[dict[str, object]], dict[str, object]]]:
    """Where the resync handler runs: in this process against the local stack, else the resync Lambda
    through boto3 (the operator's AWS credentials)."""
    if os.environ.get("AWS_ENDPOINT_URL") or devstack.running_stack() is not None:
        _use_storage()
        from chalicelib.events.fetch import handle_resync

        return "in-process (local stack)", lambda event: handle_resync(dict(event), None)
    import json

    import boto3
    from botocore.config import Config

    from chalicelib.settings import get_settings

    name = function_name or f"{get_settings().table_prefix}resync_channel"
    # One call runs up to the Lambda's 15 minutes; a client-side retry would start a second one.
    lambda_client = boto3.client("lambda", config=Config(read_timeout=910, retries={"max_attempts": 0}))

    def invoke(event: dict[str, object]) -> dict[str, object]:
        answer = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
        body: dict[str, object] = json.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):
            raise click.ClickException(f"the resync Lambda failed: {body.get('errorMessage', body)}")
        return body

    return f"Lambda {name}", invoke


@contextmanager
def _logs_above() -> Iterator[None]:
    """While a progress bar is drawn (rich redirects sys.stderr through its console), log records are printed
    above it instead of being written into the bar's line by handlers that kept the terminal's stream."""
    import logging

    handlers = [
        h
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        if isinstance(logger, logging.Logger)
        for h in logger.handlers
        if type(h) is logging.StreamHandler  # not files: those keep their own lines
    ]
    streams = [h.setStream(sys.stderr) for h in handlers]  # rich's proxy: lines go above the bar
    try:
        yield
    finally:
        for h, stream in zip(handlers, streams, strict=True):
            if stream is not None:
                h.setStream(stream)


@main.command()
@click.option("--channel", "channel_id", required=True, help="The channel's id (chn_...).")
@click.option("--from", "since", required=True, help="First day (2026-11-01) or date-time with a zone.")
@click.option("--to", "until", required=True, help="Last day (inclusive) or date-time with a zone.")
@click.option("--pages-per-call", default=1, show_default=True, help="Store pages fetched per handler call.")
@click.option("--function", "function_name", default=None, help="The resync Lambda's name (AWS only).")
def resync(channel_id: str, since: str, until: str, pages_per_call: int, function_name: str | None) -> None:
    """Fetch a channel's orders changed in a date range again; orders already in QuickBooks are not posted
    again. Shows a progress bar and ends with the counts."""
    import time as clock

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    where, call = _resync_invoker(function_name)
    click.echo(f"resync of {channel_id} from {since} to {until}, run {where}", err=True)
    event: dict[str, object] = {
        "channel_id": channel_id,
        "from": since,
        "to": until,
        "max_pages": pages_per_call,
    }
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    run = call(event)  # a refusal ends the command before any bar is drawn
    if run.get("state") == "refused":
        raise click.ClickException(str(run.get("error")))
    with Progress(*columns, transient=False) as progress, _logs_above():
        bar = progress.add_task("fetching", total=None)
        while True:
            if run.get("state") == "refused":
                raise click.ClickException(str(run.get("error")))
            counts = run.get("counts") or {}
            assert isinstance(counts, dict)
            total = run.get("total")
            progress.update(
                bar,
                completed=int(counts.get("fetched", 0)),
                total=int(total) if isinstance(total, int) else None,
                description=f"fetching ({run.get('state')}, {run.get('pages', 0)} pages)",
            )
            event = {"channel_id": channel_id, "run_id": run["id"], "max_pages": pages_per_call}
            if run.get("state") in ("done", "failed"):
                break
            if run.get("state") in ("waiting", "retry_later"):
                clock.sleep(5)
            run = call(event)
        if isinstance(counts, dict):
            fetched = int(counts.get("fetched", 0))
            progress.update(
                bar, completed=fetched, total=int(total) if isinstance(total, int) else max(fetched, 1)
            )
    line = ", ".join(
        f"{label} {counts.get(key, 0)}"
        for key, label in (
            ("fetched", "fetched"),
            ("new", "new"),
            ("changed", "changed"),
            ("already_in_quickbooks", "already in QuickBooks"),
            ("unchanged", "unchanged"),
            ("skipped", "skipped by filters"),
            ("unreadable", "unreadable"),
        )
    )
    click.echo(f"run {run['id']}: {run.get('state')}: {line}")
    if run.get("state") == "failed":
        raise click.ClickException(str(run.get("error")))


@main.group()
def dlq() -> None:
    """Dead-letter queues: work that failed five times (runbook: docs/operations.md). In AWS, name the
    deployment with LEDGERBRIDGE_RESOURCE_PREFIX (e.g. ledgerbridge-prod-)."""


@dlq.command("list")
def dlq_list() -> None:
    """Every dead-letter queue of the deployment: messages waiting, messages being read, source queue."""
    _use_storage()
    from chalicelib.events.dead_letters import dead_letter_queues

    queues = dead_letter_queues()
    if not queues:
        click.echo("no dead-letter queue")
        return
    for queue in queues:
        click.echo(
            f"{queue.name}\t{queue.messages} waiting\t{queue.in_flight} in flight\tfrom {queue.source_name}"
        )


@dlq.command("redrive")
@click.argument("queue")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Move at most this many messages.")
def dlq_redrive(queue: str, limit: int | None) -> None:
    """Move the messages of dead-letter queue QUEUE back to the queue they came from (fix the cause first)."""
    _use_storage()
    from chalicelib.events.dead_letters import DLQ_SUFFIX, redrive

    try:
        moved = redrive(queue, limit=limit)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{moved} message(s) moved from {queue} to {queue.removesuffix(DLQ_SUFFIX)}")
