"""Fuzz the OpenAPI contract with schemathesis: no generated request may get a 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.server import LiveServer


def test_no_generated_request_gets_a_server_error(live: LiveServer, tmp_path: Path) -> None:
    # Some real data, so that generated requests can get past the lookups.
    with httpx.Client(base_url=live.url, headers=live.headers) as c:
        c.post("/v1/locations", json={"id": "fuzz", "name": "Fuzz"})
        c.post("/v1/skus", json={"sku": "FUZZ", "product_id": "P", "name": "Fuzz"})
    # Long polls would only make the fuzzer wait: `wait` is always 0 here.
    config = tmp_path / "schemathesis.toml"
    config.write_text('[parameters]\n"query.wait" = 0\n')
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{live.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--header",
            f"Authorization: Bearer {live.admin_key}",
            # A valid request to the live stream never ends (its bad input
            # is tested in test_stream_api).
            "--exclude-path",
            "/v1/stream",
            # Per operation, after the coverage phase's boundary cases (which
            # find most bad-input 500s): 25 random ones take a third of the
            # time of 60 (the fuzzer's own CPU, not the server, is the cost).
            "--max-examples",
            "25",
            "--seed",
            "20261127",
            "--request-timeout",
            "20",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,  # schemathesis keeps a cache in the working directory
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
