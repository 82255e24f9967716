"""Whole Web Connector sessions, run by the Web Connector simulator over HTTP against `chalice local` on the
embedded stack, with the QuickBooks company simulator behind it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import zeep
from lxml import etree

from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session


def pair(stack, name="Blue Heron"):
    with stack.client() as client:
        conn = client.post("/api/v1/connections", json={"name": name}).json()
        qwc = client.get(f"/api/v1/connections/{conn['id']}/qwc")
        password = client.post(f"/api/v1/connections/{conn['id']}/password").json()["password"]
    doc = etree.fromstring(qwc.content)
    return conn, doc.findtext("AppURL"), doc.findtext("UserName"), password


def status(stack, connection_id):
    with stack.client() as client:
        return client.get(f"/api/v1/connections/{connection_id}/status").json()


def test_pairing_wizard_end_to_end(local_stack, tmp_path):
    conn, app_url, username, password = pair(local_stack)
    assert app_url == local_stack.url.replace("127.0.0.1", "localhost") + "/qbwc"
    assert status(local_stack, conn["id"])["state"] == "waiting_for_web_connector"
    company = CompanySimulator.open(tmp_path / "company.json", generated_items=700)
    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    assert report.methods[:3] == ["serverVersion", "clientVersion", "authenticate"]
    assert report.methods[-1] == "closeConnection" and report.last_percent == 100
    assert report.round_trips == 2  # short lists + 500 items, then the remaining items
    seen = status(local_stack, conn["id"])
    assert seen["state"] == "connected" and seen["connected"] is True
    assert seen["company_name"] == "Blue Heron Outfitters"
    assert seen["product_name"] == company.product_name and seen["country"] == "US"
    assert seen["qbxml_version"] == "13.0" and "13.0" in seen["qbxml_versions"]
    assert seen["company_file_path"] == company.company_file
    with local_stack.client() as client:
        accounts = client.get(f"/api/v1/connections/{conn['id']}/accounts", params={"type": "Income"}).json()
        items = client.get(f"/api/v1/connections/{conn['id']}/lists/item").json()["records"]
        runs = client.get(f"/api/v1/connections/{conn['id']}/sync-runs").json()["sync_runs"]
    income = {a["full_name"] for a in accounts["records"]}
    expected = {
        a["FullName"] if "FullName" in a else a["Name"]
        for a in company.objects("Account")
        if a.get("AccountType") == "Income" and a.get("IsActive", "true") == "true"
    }
    assert income and income <= expected | {n for n in income if ":" in n}
    assert all(a["account_type"] == "Income" for a in accounts["records"])
    assert len(items) >= 700
    assert runs[0]["outcome"] == "completed" and runs[0]["round_trips"] == 2

    # No work now: the Web Connector shows "No data exchange required".
    again = run_session(app_url, username, password, company)
    assert again.auth_status == "none" and again.round_trips == 0


def test_wrong_password_is_nvu(local_stack, tmp_path):
    _, app_url, username, _ = pair(local_stack, "Wrong password")
    report = run_session(app_url, username, "not-the-password", CompanySimulator.open(tmp_path / "c.json"))
    assert report.auth_status == "nvu" and report.round_trips == 0


def test_quickbooks_not_running_shows_on_the_status(local_stack, tmp_path):
    conn, app_url, username, password = pair(local_stack, "Closed QuickBooks")
    company = CompanySimulator.open(tmp_path / "c.json")
    company.faults.not_running = True
    report = run_session(app_url, username, password, company)
    assert "connectionError" in report.methods
    seen = status(local_stack, conn["id"])
    assert seen["state"] == "error" and seen["last_error"]["code"] == "0x80040408"
    assert "QuickBooks" in seen["last_error"]["message"]
    company.faults.not_running = False
    assert run_session(app_url, username, password, company).outcome == "completed"
    assert status(local_stack, conn["id"])["state"] == "connected"


def test_crash_mid_session_then_busy_for_a_second_web_connector(local_stack, tmp_path):
    _conn, app_url, username, password = pair(local_stack, "Crash")
    company = CompanySimulator.open(tmp_path / "c.json", generated_items=1200)
    company.faults.crash_after_requests = 1
    crashed = run_session(app_url, username, password, company)
    assert "closeConnection" not in crashed.methods and crashed.round_trips == 1
    # The crashed session's lease is still running: another Web Connector is told "busy".
    busy = run_session(app_url, username, password, company)
    assert busy.auth_status == "busy"


def test_zeep_drives_every_method_from_the_served_wsdl(local_stack, tmp_path):
    wsdl = httpx.get(local_stack.url + "/qbwc?wsdl")
    assert wsdl.status_code == 200
    path = tmp_path / "service.wsdl"
    path.write_bytes(wsdl.content)
    address = etree.fromstring(wsdl.content).find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None and address.get("location").endswith("/qbwc")
    client = zeep.Client(str(path))
    service = client.create_service(next(iter(client.wsdl.bindings)), local_stack.url + "/qbwc")
    _conn, _, username, password = pair(local_stack, "Zeep")
    company = CompanySimulator.open(tmp_path / "c.json")
    assert service.serverVersion().startswith("Ledgerbridge")
    assert service.clientVersion(strVersion="2.3.0.215") in ("", None)
    assert service.authenticate(strUserName=username, strPassword="wrong")[1] == "nvu"
    ticket, auth_status = service.authenticate(strUserName=username, strPassword=password)[:2]
    assert auth_status in ("", None)
    request = service.sendRequestXML(
        ticket=ticket,
        strHCPResponse=company.hcp_response(),
        strCompanyFileName=company.company_file,
        qbXMLCountry="US",
        qbXMLMajorVers=13,
        qbXMLMinorVers=0,
    )
    assert "<QBXMLMsgsRq" in request
    percent = service.receiveResponseXML(
        ticket=ticket, response=company.process(request), hresult="", message=""
    )
    assert percent == 100
    assert service.getLastError(ticket=ticket)
    assert service.getInteractiveURL(wcTicket=ticket, sessionID="s") in ("", None)
    assert service.interactiveDone(wcTicket=ticket) == "Done"
    assert service.interactiveRejected(wcTicket=ticket, reason="user said no")
    assert (
        service.connectionError(ticket=ticket, hresult="0x80040408", message="Could not start QuickBooks.")
        == "done"
    )
    assert service.closeConnection(ticket=ticket).startswith("Ledgerbridge")


def _soap(
    stack,
    body: bytes,
    action: str | None = '"http://developer.intuit.com/serverVersion"',
    content_type: str = "text/xml; charset=utf-8",
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if action is not None:
        headers["SOAPAction"] = action
    return httpx.post(stack.url + "/qbwc", content=body, headers=headers, timeout=30)


ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soap:Body>{}</soap:Body></soap:Envelope>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<authenticate xmlns="http://developer.intuit.com/"><strUserName>&lol3;</strUserName></authenticate>'
    "</soap:Body></soap:Envelope>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<authenticate xmlns="http://developer.intuit.com/"><strUserName>&e;</strUserName></authenticate>'
    "</soap:Body></soap:Envelope>"
)


@pytest.mark.parametrize(
    ("body", "action", "words"),
    [
        (b"<soap:Envelope", None, b"XML"),
        (b"", None, b"empty"),
        (BILLION_LAUGHS.encode(), '"http://developer.intuit.com/authenticate"', b"DOCTYPE"),
        (XXE.encode(), '"http://developer.intuit.com/authenticate"', b"DOCTYPE"),
        (
            ENVELOPE.format('<launchMissiles xmlns="http://developer.intuit.com/"/>').encode(),
            None,
            b"launchMissiles",
        ),
        (
            ENVELOPE.format('<serverVersion xmlns="http://developer.intuit.com/"/>').encode(),
            '"http://developer.intuit.com/authenticate"',
            b"SOAPAction",
        ),
        (b"<a>" + b"x" * (4 * 1024 * 1024 + 10) + b"</a>", None, b"limit"),
    ],
    ids=[
        "malformed",
        "empty",
        "billion-laughs",
        "external-entity",
        "unknown-method",
        "wrong-soapaction",
        "too-big",
    ],
)
def test_bad_soap_gets_a_client_fault_and_no_stack_trace(local_stack, body, action, words):
    response = _soap(local_stack, body, action)
    assert response.status_code == 500
    assert (
        b"<faultcode>soap:Client</faultcode>" in response.content.replace(b" ", b"")
        or b"Client" in response.content
    )
    assert words.lower() in response.content.lower()
    assert b"Traceback" not in response.content and b"root:" not in response.content


def test_secrets_never_reach_the_logs(local_stack, tmp_path):
    _conn, app_url, username, password = pair(local_stack, "Secrets")
    run_session(app_url, username, password, CompanySimulator.open(tmp_path / "c.json"))
    run_session(app_url, username, password + "x", CompanySimulator.open(tmp_path / "c.json"))
    with local_stack.client() as client:
        new_key = client.post("/api/v1/api-keys", json={"label": "log test"}).json()["key"]
        client.get("/api/v1/connections", headers={"Authorization": f"Bearer {new_key}x"})
    # `make run` prints the local API key once in its banner, on purpose; the service's log is what follows.
    log = local_stack.log.read_text().split("restored next time.", 1)[1]
    assert "authenticate" in log or "session opened" in log  # the log is being written
    for secret in (password, new_key, local_stack.api_key):
        assert secret not in log


def test_cli_tenants_and_keys_against_the_local_stack(local_stack):
    env = {
        "AWS_ENDPOINT_URL": local_stack.moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LEDGERBRIDGE_STAGE": "local",
        "PATH": "/usr/bin:/bin",
    }
    cli = str(Path(sys.executable).with_name("ledgerbridge"))

    def run(*args):
        done = subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    code, out, _ = run("tenants", "create", "CLI Merchant")
    assert code == 0
    tenant_id = out.split()[1]
    key = out.strip().splitlines()[-1].split()[-1]
    assert key.startswith("lbk_")
    assert (
        httpx.get(
            local_stack.url + "/api/v1/connections", headers={"Authorization": f"Bearer {key}"}
        ).status_code
        == 200
    )
    code, out, _ = run("keys", "create", "--tenant", tenant_id, "--label", "ci")
    key_id, second = out.split()[:2]
    code, out, _ = run("keys", "list", "--tenant", tenant_id)
    assert key_id in out and second not in out and "active" in out
    code, out, _ = run("keys", "revoke", "--tenant", tenant_id, key_id)
    assert code == 0
    assert (
        httpx.get(
            local_stack.url + "/api/v1/connections", headers={"Authorization": f"Bearer {second}"}
        ).status_code
        == 401
    )
    code, _, err = run("keys", "revoke", "--tenant", tenant_id, "key_nope")
    assert code != 0 and "no API key" in err
    code, _, err = run("keys", "list", "--tenant", "ten_nope")
    assert code != 0 and "Traceback" not in err


def test_cli_simulate_prints_the_session(local_stack, tmp_path):
    _conn, app_url, username, password = pair(local_stack, "CLI simulate")
    cli = str(Path(sys.executable).with_name("ledgerbridge"))
    done = subprocess.run(
        [
            cli,
            "simulate",
            "--url",
            app_url,
            "--username",
            username,
            "--password",
            password,
            "--company",
            str(tmp_path / "company.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "closeConnection" in done.stdout and "completed" in done.stdout
    assert password not in done.stdout
