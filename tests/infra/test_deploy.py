"""`make deploy` / `make destroy` (ledgerbridge/deploy.py), step by step on moto (the tests' moto server).

The packaged template is the real one (`ledgerbridge.package.build`, template only: no PyPI) with a stand-in
deployment.zip; before moto's CloudFormation gets it, the SAM transform runs through aws-sam-translator and
what moto cannot create is left out (tests/infra/sam_moto.py says what, and what covers it instead). Every other
resource is created on moto: the stage's tables, queues, functions, roles and log groups, by name.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.dal.models import ALL_MODELS
from ledgerbridge import deploy, package
from ledgerbridge.deploy import DeployError, Options, Stage
from tests.infra.sam_moto import sam_for_moto

REGION = "us-east-1"
# moto names what its CloudFormation skips (alarms, schedule group...): tests/infra/sam_moto.py lists them
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PREFIX_PARAMETER = re.compile(r"^[a-z][a-z0-9-]*-$")  # ResourcePrefix's AllowedPattern (infra/template.yaml)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template = package.build("prod", tmp_path_factory.mktemp("deploy-package"), template_only=True)
    (template.parent / "deployment.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
    return template


@pytest.fixture
def session(aws: str) -> Any:
    return boto3.session.Session(region_name=REGION)


def _stage() -> Stage:
    return Stage(f"t{uuid.uuid4().hex[:8]}")


# --- names -----------------------------------------------------------------------------------------

stage_names = st.from_regex(r"\A[a-z]([a-z0-9-]{0,16}[a-z0-9])?\Z")


@given(stage_names)
def test_every_valid_stage_name_makes_valid_aws_names(name: str) -> None:
    stage = Stage(name)
    assert PREFIX_PARAMETER.match(stage.resource_prefix) and len(stage.resource_prefix) <= 32
    bucket = stage.bucket_name("123456789012", "ap-southeast-2")  # the longest region names are 14 characters
    assert S3_BUCKET.match(bucket) and ".." not in bucket and "--" not in bucket.replace(f"-{name}-", "-x-")
    assert stage.stack_name == f"ledgerbridge-{name}"


@given(st.text(max_size=30).filter(lambda s: not re.fullmatch(r"[a-z]([a-z0-9-]{0,16}[a-z0-9])?", s)))
def test_other_stage_names_are_refused(name: str) -> None:
    with pytest.raises(DeployError):
        Stage(name)


def test_stages_are_isolated_by_name() -> None:
    a, b = Stage("dev"), Stage("staging")
    assert len({a.resource_prefix, b.resource_prefix}) == 2
    assert not b.resource_prefix.startswith(a.resource_prefix)
    assert a.bucket_name("1", REGION) != b.bucket_name("1", REGION)


def test_domain_needs_its_certificate() -> None:
    with pytest.raises(DeployError, match="CERTIFICATE_ARN"):
        Options(domain="qbwc.example.com")


# --- parameters: OwnerID kept, options kept unless given ------------------------------------------


def test_first_deployment_gets_a_new_owner_id_and_later_ones_keep_it() -> None:
    stage = Stage("dev")
    params, owner = deploy.stack_parameters(stage, Options(), None)
    assert GUID.match(owner)
    assert {"ParameterKey": "ResourcePrefix", "ParameterValue": "ledgerbridge-dev-"} in params
    existing = {
        "StackStatus": "UPDATE_COMPLETE",
        "Parameters": [
            {"ParameterKey": "OwnerId", "ParameterValue": owner},
            {"ParameterKey": "PublicUrl", "ParameterValue": "https://qbwc.example.com"},
            {"ParameterKey": "DomainName", "ParameterValue": "qbwc.example.com"},
        ],
    }
    again, kept = deploy.stack_parameters(stage, Options(), existing)
    assert kept == owner
    assert {"ParameterKey": "OwnerId", "ParameterValue": owner} in again
    # a later `make deploy` without DOMAIN does not take the merchants' AppURL away
    assert {"ParameterKey": "PublicUrl", "ParameterValue": "https://qbwc.example.com"} in again
    assert {"ParameterKey": "DomainName", "ParameterValue": "qbwc.example.com"} in again
    changed, _ = deploy.stack_parameters(stage, Options(alarm_email="ops@example.com"), existing)
    assert {"ParameterKey": "AlarmEmail", "ParameterValue": "ops@example.com"} in changed


def test_a_custom_domain_is_the_public_url() -> None:
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"
    params, _ = deploy.stack_parameters(
        Stage("prod"), Options(domain="qbwc.example.com", certificate_arn=cert), None
    )
    values = {p["ParameterKey"]: p.get("ParameterValue") for p in params}
    assert values["PublicUrl"] == "https://qbwc.example.com"
    assert values["DomainName"] == "qbwc.example.com" and values["CertificateArn"] == cert
    outputs = {
        "EndpointURL": "https://abc.execute-api.us-east-1.amazonaws.com/api/",
        "PublicUrl": values["PublicUrl"],
    }
    done = deploy.Deployment("s", "created", "o", outputs, None, None)
    assert done.web_connector_url == "https://qbwc.example.com/qbwc"
    assert deploy.Deployment(
        "s", "created", "o", outputs | {"PublicUrl": ""}, None, None
    ).web_connector_url == ("https://abc.execute-api.us-east-1.amazonaws.com/api/qbwc")
    # A stack with the Web Connector's own front door names it (the .qwc files' AppURL).
    front_door = "https://wc7api.execute-api.us-east-1.amazonaws.com/qbwc"
    assert (
        deploy.Deployment(
            "s", "created", "o", outputs | {"PublicUrl": "", "WebConnectorUrl": front_door}, None, None
        ).web_connector_url
        == front_door
    )


# --- bucket and upload -----------------------------------------------------------------------------


def test_artifact_bucket_is_created_private_and_encrypted_then_reused(session: Any) -> None:
    s3 = session.client("s3")
    name = _stage().bucket_name("123456789012", REGION)
    assert deploy.artifact_bucket(s3, name, REGION) is True
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert deploy.artifact_bucket(s3, name, REGION) is False


def test_upload_puts_the_code_once_and_the_template_by_url(session: Any, packaged: Path) -> None:
    s3 = session.client("s3")
    stage = _stage()
    bucket = stage.bucket_name("123456789012", REGION)
    deploy.artifact_bucket(s3, bucket, REGION)
    url = deploy.upload_artifacts(s3, bucket, REGION, stage, packaged)
    again = deploy.upload_artifacts(s3, bucket, REGION, stage, packaged)
    assert url == again  # same content, same keys
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert (
        len(keys) == 2
        and keys[0].startswith(f"{stage.name}/code/")
        and keys[1].startswith(f"{stage.name}/templates/")
    )
    assert url == f"https://{bucket}.s3.{REGION}.amazonaws.com/{keys[1]}"
    body = s3.get_object(Bucket=bucket, Key=keys[1])["Body"].read()
    # the reason for the upload: an inline TemplateBody would be refused
    assert len(body) > deploy.INLINE_TEMPLATE_LIMIT
    template = json.loads(body)
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) >= 6
    assert all(f["Properties"]["CodeUri"] == {"Bucket": bucket, "Key": keys[0]} for f in functions)


# --- the whole deployment on moto's CloudFormation -------------------------------------------------


def test_deploy_creates_the_stage_then_updates_it_keeping_its_owner_id(session: Any, packaged: Path) -> None:
    stage = _stage()
    said: list[str] = []
    first = deploy.deploy(
        stage,
        Options(alarm_email="ops@example.com"),
        session=session,
        template_path=packaged,
        transform=sam_for_moto,
        log=said.append,
    )
    assert first.action == "created" and GUID.match(first.owner_id)
    cfn = session.client("cloudformation")
    stack = deploy.describe_stack(cfn, stage.stack_name)
    assert stack is not None and stack["StackStatus"] == "CREATE_COMPLETE"
    # every table of the app exists under the stage's prefix
    tables = set(session.client("dynamodb").list_tables()["TableNames"])
    for model in ALL_MODELS:
        short = model.Meta.table_name.split("-")[-1]
        assert f"{stage.resource_prefix}{short}" in tables, short
    queues = session.client("sqs").list_queues(QueueNamePrefix=stage.resource_prefix)["QueueUrls"]
    assert {u.rsplit("/", 1)[1] for u in queues} == {
        f"{stage.resource_prefix}{n}"
        for n in ("channel-fetch", "channel-fetch-dlq", "store-push", "store-push-dlq")
    }
    functions = {f["FunctionName"] for f in session.client("lambda").list_functions()["Functions"]}
    assert (
        f"{stage.resource_prefix}dead_letter_watch" in functions
        and f"{stage.resource_prefix}api" in functions
    )
    # the first tenant, and a key that opens it
    assert first.api_key and first.tenant_id
    with deploy.using_stage(stage, REGION):
        from chalicelib.sync import tenancy

        assert tenancy.tenant_for_authorization(f"Bearer {first.api_key}").tenant_id == first.tenant_id
    text = deploy.report(first)
    assert first.api_key in text and first.web_connector_url in text and first.owner_id in text
    assert first.base_url.startswith("https://") and "execute-api" in first.base_url
    # The .qwc AppURL is the Web Connector's own front door (its HTTP API), not the REST API's /qbwc.
    assert first.web_connector_url == first.outputs["WebConnectorUrl"]
    assert first.web_connector_url.startswith("https://") and first.web_connector_url.endswith(".com/qbwc")
    assert any("created" in line for line in said)

    second = deploy.deploy(
        stage, Options(), session=session, template_path=packaged, transform=sam_for_moto, log=said.append
    )
    assert second.action in ("updated", "unchanged")
    assert second.owner_id == first.owner_id  # merchants' .qwc files stay valid
    assert second.api_key is None  # the stage has its tenant
    assert "has some already" in deploy.report(second)
    stack = deploy.describe_stack(cfn, stage.stack_name)
    assert deploy._parameter(stack, "OwnerId") == first.owner_id
    assert deploy._parameter(stack, "AlarmEmail") == "ops@example.com"  # kept, not reset to empty


def test_destroy_refuses_production() -> None:
    with pytest.raises(DeployError, match="production"):
        deploy.destroy(Stage("prod"), session=object())


def test_destroy_removes_the_stage_and_what_it_made_at_run_time(session: Any, packaged: Path) -> None:
    stage = _stage()
    deploy.deploy(
        stage, Options(), session=session, template_path=packaged, transform=sam_for_moto, log=lambda _: None
    )
    sqs = session.client("sqs")
    sqs.create_queue(QueueName=f"{stage.resource_prefix}conn-abc")  # what the app creates per connection
    sqs.create_queue(QueueName=f"{stage.resource_prefix}conn-abc-dlq")
    secrets = session.client("secretsmanager")
    secrets.create_secret(Name=f"{stage.resource_prefix}channel/chn_1", SecretString="{}")
    neighbour = _stage()  # another stage's queue survives
    sqs.create_queue(QueueName=f"{neighbour.resource_prefix}conn-abc")

    key_id = deploy._physical_id(session.client("cloudformation"), stage.stack_name, "ChannelCredentialsKey")
    assert key_id

    said: list[str] = []
    deploy.destroy(stage, session=session, log=said.append)

    assert deploy.describe_stack(session.client("cloudformation"), stage.stack_name) is None
    # The stack retains its credentials key; destroy schedules it for deletion (moto's KMS cannot describe a key
    # CloudFormation made: its policy is kept as an object, so the call KMS accepted is what is checked).
    assert f"key {key_id} scheduled for deletion in 7 days" in said
    assert not [
        t
        for t in session.client("dynamodb").list_tables()["TableNames"]
        if t.startswith(stage.resource_prefix)
    ]
    assert not sqs.list_queues(QueueNamePrefix=stage.resource_prefix).get("QueueUrls")
    assert sqs.list_queues(QueueNamePrefix=neighbour.resource_prefix)["QueueUrls"]
    left = secrets.list_secrets(Filters=[{"Key": "name", "Values": [stage.resource_prefix]}])["SecretList"]
    assert not left
    with pytest.raises(ClientError):
        session.client("s3").head_bucket(Bucket=stage.bucket_name("123456789012", REGION))
