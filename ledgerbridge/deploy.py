"""Deploy a stage to AWS with one command: `python -m ledgerbridge.deploy deploy --stage prod` (`make deploy`).

The steps, each a function below so the tests can run them on moto:

1. `artifact_bucket`: the stage's S3 bucket for code and templates (`lb-<stage>-<account>-<region>-artifacts`),
   created private and encrypted, or reused.
2. `ledgerbridge.package.build`: `chalice package` with infra/template.yaml merged (needs PyPI for the
   Lambda's dependencies).
3. `upload_artifacts`: what `aws cloudformation package --s3-bucket` does, in boto3: the code zip goes to
   S3 under its SHA-256 (uploaded once), every function's `CodeUri` names it, and the template goes to S3
   too: it is over the 51,200-byte limit of an inline `TemplateBody`, so CloudFormation reads it by URL.
4. `deploy_stack`: create the stack `ledgerbridge-<stage>` or update it (CAPABILITY_AUTO_EXPAND for the SAM
   transform, CAPABILITY_NAMED_IAM for the roles) and wait. `OwnerId` is generated once, at the first
   deployment, and read back from the stack afterwards: the Web Connector ties a company file to the
   OwnerID of its .qwc, so it must never change. Options not given on an update keep their previous value.
5. `first_tenant`: when the stage has no tenant yet, create one and its first API key (shown once).
6. Print the API key, the merchant dashboard URL, the Web Connector URL and the CloudWatch dashboard URL.

Stages are isolated by name: stack, resource prefix (`ledgerbridge-<stage>-`: tables, queues, functions,
schedules, secrets, alarms, dashboard) and bucket all carry it. `destroy` removes a non-production stage
completely: the stack, then what the stack keeps (tables are `Retain` with deletion protection) or never
owned (the per-connection queues and channel secrets the app creates at run time), then the bucket.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import ClientError

# At most 18 characters: the resource prefix `ledgerbridge-<stage>-` has at most 32 (ResourcePrefix).
STAGE_PATTERN = re.compile(r"^[a-z]([a-z0-9-]{0,16}[a-z0-9])?$")
PROTECTED_STAGES = frozenset({"prod", "production", "live"})
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
INLINE_TEMPLATE_LIMIT = 51_200  # bytes: CloudFormation's limit for TemplateBody
ARTIFACT_DAYS = 90
KEY_DELETION_DAYS = 7  # KMS's shortest waiting period before a scheduled key is deleted  # old code zips and templates expire (CloudFormation and Lambda keep their own copies)
WAIT = {"Delay": 10, "MaxAttempts": 360}  # an hour at most
# Stack parameters set by the options of `deploy` (None: on an update, keep the stack's value).
OPTION_PARAMETERS = (
    "PublicUrl",
    "DomainName",
    "CertificateArn",
    "AlarmEmail",
    "SummaryFromEmail",
    "SummaryToEmail",
)

Transform = Callable[[dict[str, Any]], dict[str, Any]]


class DeployError(RuntimeError):
    """A step failed in a way the operator must fix (shown without a traceback)."""


@dataclass(frozen=True)
class Stage:
    name: str

    def __post_init__(self) -> None:
        if not STAGE_PATTERN.match(self.name):
            raise DeployError(
                f"stage {self.name!r}: lower-case letters, digits and hyphens, at most 18, starting with a letter"
            )

    @property
    def stack_name(self) -> str:
        return f"ledgerbridge-{self.name}"

    @property
    def resource_prefix(self) -> str:
        return f"ledgerbridge-{self.name}-"

    def bucket_name(self, account: str, region: str) -> str:
        return f"lb-{self.name}-{account}-{region}-artifacts"

    @property
    def protected(self) -> bool:
        return self.name in PROTECTED_STAGES


@dataclass(frozen=True)
class Options:
    domain: str | None = None
    certificate_arn: str | None = None
    alarm_email: str | None = None
    summary_from: str | None = None  # the daily summary's sender (a verified SES identity)
    summary_to: str | None = None  # its recipient when a merchant set none
    tenant_name: str = "First merchant"

    def __post_init__(self) -> None:
        if bool(self.domain) != bool(self.certificate_arn):
            raise DeployError(
                "DOMAIN and CERTIFICATE_ARN go together (an ACM certificate of that name, same region)"
            )

    def parameters(self) -> dict[str, str | None]:
        return {
            "PublicUrl": f"https://{self.domain}" if self.domain else None,
            "DomainName": self.domain,
            "CertificateArn": self.certificate_arn,
            "AlarmEmail": self.alarm_email,
            "SummaryFromEmail": self.summary_from,
            "SummaryToEmail": self.summary_to,
        }


@dataclass(frozen=True)
class Deployment:
    stack_name: str
    action: str  # created | updated | unchanged
    owner_id: str
    outputs: dict[str, str]
    tenant_id: str | None  # the tenant created by this run (None: the stage already had one)
    api_key: str | None

    @property
    def base_url(self) -> str:
        public = self.outputs.get("PublicUrl", "")
        return (public or self.outputs.get("EndpointURL", "")).rstrip("/")

    @property
    def web_connector_url(self) -> str:
        """The .qwc files' AppURL: the Web Connector's front door (the HTTP API, or the custom domain's /qbwc);
        a stack from before the front door has only the REST API's /qbwc."""
        return self.outputs.get("WebConnectorUrl") or f"{self.base_url}/qbwc"

    @property
    def dashboard_url(self) -> str:
        return f"{self.base_url}/"


# --- 1. the artifact bucket -------------------------------------------------------------------------


def artifact_bucket(s3: Any, name: str, region: str) -> bool:
    """Create the bucket `name` (private, encrypted, objects expiring) unless it is ours already; True when
    created. A bucket of that name owned by another account is an error."""
    try:
        s3.head_bucket(Bucket=name)
        return False
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("403", "Forbidden", "AccessDenied"):
            raise DeployError(f"bucket {name} exists and is not this account's") from exc
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
    create: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-artifacts",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": ARTIFACT_DAYS},
                }
            ]
        },
    )
    return True


# --- 3. upload (what `aws cloudformation package` does) --------------------------------------------


def _put_once(s3: Any, bucket: str, key: str, body: bytes) -> None:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        s3.put_object(Bucket=bucket, Key=key, Body=body)


def upload_artifacts(
    s3: Any,
    bucket: str,
    region: str,
    stage: Stage,
    template_path: Path,
    *,
    transform: Transform | None = None,
) -> str:
    """Upload the code zip beside `template_path` and the template pointing at it; returns the template's
    URL. `transform` changes the template before upload (the tests use it to run the SAM transform for moto,
    which cannot: CloudFormation does it in AWS)."""
    template = yaml.safe_load(template_path.read_text())
    code = (template_path.parent / "deployment.zip").read_bytes()
    code_key = f"{stage.name}/code/{hashlib.sha256(code).hexdigest()}.zip"
    _put_once(s3, bucket, code_key, code)
    functions = 0
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": code_key}
            functions += 1
    if not functions:
        raise DeployError(f"{template_path} declares no function")
    if transform is not None:
        template = transform(template)
    body = json.dumps(template, sort_keys=True).encode()
    template_key = f"{stage.name}/templates/{hashlib.sha256(body).hexdigest()}.json"
    _put_once(s3, bucket, template_key, body)
    return f"https://{bucket}.s3.{region}.amazonaws.com/{template_key}"


# --- 4. the stack ----------------------------------------------------------------------------------


def describe_stack(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def _parameter(stack: Mapping[str, Any] | None, key: str) -> str | None:
    for p in (stack or {}).get("Parameters", []):
        if p["ParameterKey"] == key:
            return str(p.get("ParameterValue", ""))
    return None


def stack_parameters(
    stage: Stage, options: Options, existing: Mapping[str, Any] | None
) -> tuple[list[dict[str, Any]], str]:
    """The stack's parameters and its OwnerId: the stack's own when it exists, else a new GUID."""
    owner_id = _parameter(existing, "OwnerId") or str(uuid.uuid4())
    parameters: list[dict[str, Any]] = [
        {"ParameterKey": "OwnerId", "ParameterValue": owner_id},
        {"ParameterKey": "ResourcePrefix", "ParameterValue": stage.resource_prefix},
    ]
    for key, given in options.parameters().items():
        # not given: the stack's value, written out (same as UsePreviousValue, none of these is NoEcho)
        value = given if given is not None else _parameter(existing, key)
        if value is not None:
            parameters.append({"ParameterKey": key, "ParameterValue": value})
    return parameters, owner_id


def deploy_stack(
    cfn: Any,
    stage: Stage,
    template_url: str,
    parameters: list[dict[str, Any]],
    existing: Mapping[str, Any] | None,
) -> str:
    """Create or update the stack and wait for it; returns "created", "updated" or "unchanged"."""
    tags = [{"Key": "ledgerbridge:stage", "Value": stage.name}]
    if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        # a first creation that failed leaves a stack that can only be deleted
        cfn.delete_stack(StackName=stage.stack_name)
        cfn.get_waiter("stack_delete_complete").wait(StackName=stage.stack_name, WaiterConfig=WAIT)
        existing = None
    common = {
        "StackName": stage.stack_name,
        "TemplateURL": template_url,
        "Parameters": parameters,
        "Capabilities": CAPABILITIES,
        "Tags": tags,
    }
    if existing is None:
        cfn.create_stack(**common, EnableTerminationProtection=stage.protected)
        _wait(cfn, "stack_create_complete", stage.stack_name)
        return "created"
    try:
        cfn.update_stack(**common)
    except ClientError as exc:
        if "No updates are to be performed" in str(exc):
            return "unchanged"
        raise
    _wait(cfn, "stack_update_complete", stage.stack_name)
    return "updated"


def _wait(cfn: Any, waiter: str, name: str) -> None:
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=WAIT)
    except Exception as exc:
        stack = describe_stack(cfn, name) or {}
        raise DeployError(
            f"stack {name}: {stack.get('StackStatus', '?')} {stack.get('StackStatusReason', '')}\n"
            f"(see its events: aws cloudformation describe-stack-events --stack-name {name})"
        ) from exc


def outputs_of(stack: Mapping[str, Any] | None) -> dict[str, str]:
    return {o["OutputKey"]: str(o["OutputValue"]) for o in (stack or {}).get("Outputs", [])}


# --- 5. the first tenant ---------------------------------------------------------------------------


@contextmanager
def using_stage(stage: Stage, region: str) -> Iterator[None]:
    """Point the app's storage code at the stage's tables for the duration (then back as it was)."""
    from chalicelib.dal import configure
    from chalicelib.settings import get_settings

    wanted = {
        "LEDGERBRIDGE_STAGE": "prod",
        "LEDGERBRIDGE_RESOURCE_PREFIX": stage.resource_prefix,
        "AWS_REGION": region,
    }
    before = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    get_settings.cache_clear()
    configure(get_settings())
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
        configure(get_settings())


def first_tenant(stage: Stage, region: str, name: str) -> tuple[str, str] | None:
    """Create the stage's first tenant and its API key, unless it has a tenant; (tenant id, key) or None."""
    from chalicelib.dal import tenants
    from chalicelib.sync import tenancy

    with using_stage(stage, region):
        if tenants.list_tenants():
            return None
        tenant, key = tenancy.create_tenant_with_key(name)
        return tenant.tenant_id, key


# --- the whole deployment --------------------------------------------------------------------------


def deploy(
    stage: Stage,
    options: Options,
    *,
    session: Any = None,
    template_path: Path | None = None,
    transform: Transform | None = None,
    log: Callable[[str], None] = print,
) -> Deployment:
    """Steps 1-5. `template_path`: an already packaged template (with its deployment.zip beside it); by
    default `ledgerbridge.package.build` makes one."""
    session = session or boto3.session.Session()
    region = session.region_name or "us-east-1"
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    s3 = session.client("s3", region_name=region)
    cfn = session.client("cloudformation", region_name=region)
    bucket = stage.bucket_name(account, region)
    log(f"artifact bucket {bucket}: {'created' if artifact_bucket(s3, bucket, region) else 'reused'}")
    if template_path is None:
        from ledgerbridge import package

        log("packaging (chalice package; installs the Lambda's dependencies from PyPI)...")
        template_path = package.build("prod", package.DEFAULT_OUT / stage.name)
    template_url = upload_artifacts(s3, bucket, region, stage, template_path, transform=transform)
    log(f"template uploaded: {template_url}")
    existing = describe_stack(cfn, stage.stack_name)
    parameters, owner_id = stack_parameters(stage, options, existing)
    log(f"stack {stage.stack_name}: {'updating' if existing else 'creating'} (OwnerID {owner_id})...")
    action = deploy_stack(cfn, stage, template_url, parameters, existing)
    stack = describe_stack(cfn, stage.stack_name)
    outputs = outputs_of(stack)
    outputs.setdefault("PublicUrl", _parameter(stack, "PublicUrl") or "")
    created = first_tenant(stage, region, options.tenant_name)
    return Deployment(
        stack_name=stage.stack_name,
        action=action,
        owner_id=owner_id,
        outputs=outputs,
        tenant_id=created[0] if created else None,
        api_key=created[1] if created else None,
    )


def report(deployment: Deployment) -> str:
    lines = [
        f"stack {deployment.stack_name}: {deployment.action}",
        f"OwnerID (fixed for this deployment): {deployment.owner_id}",
        f"merchant dashboard: {deployment.dashboard_url}",
        f"Web Connector URL (AppURL of the .qwc files): {deployment.web_connector_url}",
    ]
    if deployment.api_key:
        lines.append(f"first tenant: {deployment.tenant_id}")
        lines.append(f"API key (shown once, store it now): {deployment.api_key}")
    else:
        lines.append("tenants: the stage has some already (ledgerbridge tenants list / keys create)")
    if "OperationsDashboardUrl" in deployment.outputs:
        lines.append(f"CloudWatch dashboard: {deployment.outputs['OperationsDashboardUrl']}")
    if "CustomDomainTarget" in deployment.outputs:
        lines.append(f"point the domain's DNS (CNAME) at: {deployment.outputs['CustomDomainTarget']}")
    return "\n".join(lines)


# --- destroy ---------------------------------------------------------------------------------------


def destroy(stage: Stage, *, session: Any = None, log: Callable[[str], None] = print) -> None:
    """Remove a non-production stage: the stack, its retained tables, the run-time queues and secrets, the
    artifact bucket."""
    if stage.protected:
        raise DeployError(f"stage {stage.name} is production: destroy it by hand if you really mean it")
    session = session or boto3.session.Session()
    region = session.region_name or "us-east-1"
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    prefix = stage.resource_prefix
    cfn = session.client("cloudformation", region_name=region)
    retained_key = None
    if describe_stack(cfn, stage.stack_name) is not None:
        retained_key = _physical_id(cfn, stage.stack_name, "ChannelCredentialsKey")
        cfn.delete_stack(StackName=stage.stack_name)
        _wait(cfn, "stack_delete_complete", stage.stack_name)
        log(f"stack {stage.stack_name} deleted")
    dynamodb = session.client("dynamodb", region_name=region)
    for page in dynamodb.get_paginator("list_tables").paginate():
        for table in page.get("TableNames", []):
            if table.startswith(prefix):
                dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
                dynamodb.delete_table(TableName=table)
                log(f"table {table} deleted")
    sqs = session.client("sqs", region_name=region)
    for url in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        sqs.delete_queue(QueueUrl=url)
        log(f"queue {url.rsplit('/', 1)[-1]} deleted")
    secrets = session.client("secretsmanager", region_name=region)
    for page in secrets.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [prefix]}]):
        for secret in page.get("SecretList", []):
            if str(secret["Name"]).startswith(prefix):
                secrets.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)
                log(f"secret {secret['Name']} deleted")
    if retained_key:
        # The template retains the credentials key (a lost key loses every channel's credentials); a stage that is
        # destroyed has no credentials left to open, so its key is scheduled for deletion (the shortest wait).
        kms = session.client("kms", region_name=region)
        kms.schedule_key_deletion(KeyId=retained_key, PendingWindowInDays=KEY_DELETION_DAYS)
        log(f"key {retained_key} scheduled for deletion in {KEY_DELETION_DAYS} days")
    s3 = session.client("s3", region_name=region)
    bucket = stage.bucket_name(account, region)
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
        s3.delete_bucket(Bucket=bucket)
        log(f"bucket {bucket} deleted")
    except ClientError as exc:
        if "NoSuchBucket" not in str(exc):
            raise


def _physical_id(cfn: Any, stack: str, logical_id: str) -> str | None:
    """The id of a stack's resource (None when the stack has none by that name, e.g. a KmsKeyId was given)."""
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page.get("StackResourceSummaries", []):
            if resource["LogicalResourceId"] == logical_id:
                return str(resource.get("PhysicalResourceId") or "") or None
    return None


# --- command line ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledgerbridge.deploy", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("deploy", help="create or update a stage, print its URLs and first API key")
    up.add_argument("--stage", required=True)
    up.add_argument("--domain", default=None, help="custom domain of the API (needs --certificate-arn)")
    up.add_argument("--certificate-arn", default=None, help="ACM certificate of --domain, same region")
    up.add_argument("--alarm-email", default=None, help="e-mail address subscribed to the alarms")
    up.add_argument(
        "--summary-from", default=None, help="the daily summary's sender (a verified SES identity)"
    )
    up.add_argument(
        "--summary-to", default=None, help="the daily summary's recipient when a merchant set none"
    )
    up.add_argument("--tenant-name", default="First merchant", help="name of the first tenant")
    up.add_argument(
        "--template", type=Path, default=None, help="an already packaged sam.yaml (zip beside it)"
    )
    down = commands.add_parser("destroy", help="remove a non-production stage and everything it made")
    down.add_argument("--stage", required=True)
    args = parser.parse_args(argv)
    try:
        stage = Stage(args.stage)
        if args.command == "destroy":
            destroy(stage)
            return 0
        options = Options(
            domain=args.domain or None,
            certificate_arn=args.certificate_arn or None,
            alarm_email=args.alarm_email or None,
            summary_from=args.summary_from or None,
            summary_to=args.summary_to or None,
            tenant_name=args.tenant_name,
        )
        print(report(deploy(stage, options, template_path=args.template)))
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
