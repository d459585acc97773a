"""Starts a real `localsage serve` process for the Python tests (or uses LOCALSAGE_ENDPOINT)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="session")
def endpoint_url():
    if os.environ.get("LOCALSAGE_ENDPOINT"):
        yield os.environ["LOCALSAGE_ENDPOINT"]
        return
    data_dir = tempfile.mkdtemp(prefix="localsage-py-")
    proc = subprocess.Popen(
        ["node", "emulator/bin.mjs", "serve", "--port", "0", "--data-dir", data_dir, "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            url = m.group(1)
            break
    if url is None:
        proc.kill()
        raise RuntimeError("emulator did not start:\n" + "".join(lines))
    # Keep draining its output so the pipe never fills.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def session_kwargs(endpoint_url):
    return dict(
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture(scope="session")
def aws_env(endpoint_url):
    """Routes every boto3 client made from here on to the emulator, the way a user does it:
    the standard AWS_ENDPOINT_URL variable and throwaway credentials."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ["SAGEMAKER_SUPPRESS_V2_WARNING"] = "1"
    return endpoint_url
