"""Starts a real `localsage serve` process for the Python tests (or uses LOCALSAGE_ENDPOINT)."""
import os

import pytest
from localsage_helpers import run_emulator


@pytest.fixture(scope="session")
def endpoint_url():
    if os.environ.get("LOCALSAGE_ENDPOINT"):
        yield os.environ["LOCALSAGE_ENDPOINT"]
        return
    yield from run_emulator((["emulator/bin.mjs"], []), "localsage-py-")


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
