"""Set-up shared by the SageMaker Python SDK v2 tests (the emulator itself comes from
test/python/conftest.py)."""
import pytest


@pytest.fixture(scope="module")
def session(aws_env, request):
    """A sagemaker.Session on the bucket the test module names in BUCKET. Every boto3 client the
    SDK makes (S3 for record_set, CloudWatch Logs for fit's log streaming, SageMaker, Runtime)
    goes to the emulator through AWS_ENDPOINT_URL; default_bucket= keeps the SDK from its
    hard-coded STS endpoint (the SDK asks STS for the account id)."""
    import boto3
    import sagemaker

    return sagemaker.Session(boto_session=boto3.Session(region_name="us-east-1"), default_bucket=request.module.BUCKET)
