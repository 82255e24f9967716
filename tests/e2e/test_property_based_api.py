"""Schemathesis generates requests from the served OpenAPI document against the running local app: none
may answer with a server error.

The coverage phase is left out: it sends methods such as TRACE, which `chalice local`'s HTTP server (not
the app) answers 501; API Gateway answers those itself in AWS.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_generated_requests_never_get_a_server_error(local_stack):
    cli = str(Path(sys.executable).with_name("schemathesis"))
    done = subprocess.run(
        [
            cli,
            "run",
            f"{local_stack.url}/api/v1/openapi.json",
            "--url",
            local_stack.url,
            "--header",
            f"Authorization: Bearer {local_stack.api_key}",
            "--checks",
            "not_a_server_error",
            "--phases",
            "examples,fuzzing,stateful",
            "--max-examples",
            "10",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed" in done.stdout
