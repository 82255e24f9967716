"""The merchant's own settings (`/api/v1/account`): where the daily summary e-mail goes, refused in the merchant's
words when it is not an address, and used by the daily summary instead of the deployment's default."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.dal import tenants
from chalicelib.settings import get_settings
from chalicelib.sync import sales_summary, summary_mail


def test_the_summary_address_is_set_read_and_cleared(api, other_api):
    assert api.json("GET", "/api/v1/account")["summary_email"] is None
    answer = api.json("PUT", "/api/v1/account", {"summary_email": " owner@heron.example "})
    assert answer["summary_email"] == "owner@heron.example"
    assert api.json("GET", "/api/v1/account")["summary_email"] == "owner@heron.example"
    assert other_api.json("GET", "/api/v1/account")["summary_email"] is None  # each tenant its own
    assert api.json("PUT", "/api/v1/account", {"summary_email": None})["summary_email"] is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        st.text(max_size=300).filter(lambda t: "@" not in t or " " in t.strip()),
        st.integers(),
        st.lists(st.text(), max_size=2),
    )
)
def test_anything_but_an_address_is_refused_naming_the_field(api, value):
    response = api.call("PUT", "/api/v1/account", raw=json.dumps({"summary_email": value}).encode())
    if isinstance(value, str) and not value.strip():
        assert response.status_code == 200  # empty: back to the deployment's default
        return
    assert response.status_code == 400, response.body
    assert "summary_email" in json.loads(response.body)["details"]["fields"]


def test_an_unknown_field_is_refused(api):
    answer = api.json("PUT", "/api/v1/account", {"summary_email": "a@b.example", "colour": "red"}, expect=400)
    assert answer["details"]["fields"] == {"colour": "unknown field"}
    assert api.json("GET", "/api/v1/account")["summary_email"] is None  # nothing half-written


def test_the_daily_summary_goes_to_the_merchants_own_address(api, tmp_path: Path, monkeypatch):
    api.json("PUT", "/api/v1/account", {"summary_email": "owner@heron.example"})
    local = get_settings()._replace(mail_dir=str(tmp_path), summary_to="ops@deployment.example")
    tenant = tenants.get_tenant(api.tenant_id)
    assert tenant is not None
    summary = sales_summary.daily_summary(api.tenant_id, datetime.now(UTC))
    sent = summary_mail.deliver(summary, tenant.name, local, to=tenant.summary_email)
    assert Path(sent.where).read_text(encoding="utf-8").startswith("To: owner@heron.example\n")
    fallback = summary_mail.deliver(summary, tenant.name, local)
    assert Path(fallback.where).read_text(encoding="utf-8").startswith("To: ops@deployment.example\n")
