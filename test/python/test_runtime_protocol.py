"""SageMaker Runtime's rest-json members as botocore sends them (headers, URI label, payload), and
validation errors in AWS's exact shape, against a running localsage."""
import json
import random

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from localsage_helpers import IMAGE, ROLE, train_linear_learner

FAST = {"Delay": 1, "MaxAttempts": 120}


@pytest.fixture(scope="module")
def runtime(session_kwargs):
    cfg = Config(retries={"max_attempts": 1})
    s3, sm = (boto3.client(n, config=cfg, **session_kwargs) for n in ("s3", "sagemaker"))
    rnd = random.Random(5)
    w = [rnd.gauss(0, 1) for _ in range(3)]
    rows = []
    for _ in range(300):
        x = [rnd.gauss(0, 2) for _ in range(3)]
        rows.append(f"{1 if sum(a * b for a, b in zip(w, x)) > 0 else 0}," + ",".join(map(str, x)))
    s3.create_bucket(Bucket="py-rt-protocol")
    s3.put_object(Bucket="py-rt-protocol", Key="train/train.csv", Body=("\n".join(rows) + "\n").encode())
    job = train_linear_learner(sm, "py-rt-protocol", "py-rt-protocol", {"predictor_type": "binary_classifier", "feature_dim": "3", "epochs": "2"}, FAST)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    sm.create_model(ModelName="py-rt-protocol", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]}, ExecutionRoleArn=ROLE)
    sm.create_endpoint_config(
        EndpointConfigName="py-rt-protocol",
        ProductionVariants=[
            {"VariantName": v, "ModelName": "py-rt-protocol", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1}
            for v in ("Blue", "Green")
        ],
    )
    sm.create_endpoint(EndpointName="py-rt-protocol", EndpointConfigName="py-rt-protocol")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="py-rt-protocol", WaiterConfig=FAST)
    return boto3.client("sagemaker-runtime", config=cfg, **session_kwargs)


def test_header_members(runtime):
    for variant in ("Blue", "Green"):
        resp = runtime.invoke_endpoint(
            EndpointName="py-rt-protocol",
            Body=b"0.5,-1.0,2.0",
            ContentType="text/csv",
            Accept="application/json",
            TargetVariant=variant,
            CustomAttributes=f"variant={variant}",
            InferenceId=f"py-{variant}",
        )
        assert resp["InvokedProductionVariant"] == variant
        assert resp["CustomAttributes"] == f"variant={variant}"
        assert resp["ContentType"] == "application/json"
        assert resp["ResponseMetadata"]["RequestId"]
        assert json.loads(resp["Body"].read())["predictions"][0]["predicted_label"] in (0, 1)


def test_no_content_type_is_read_as_csv(runtime):
    # botocore sends no Content-Type when none is given.
    resp = runtime.invoke_endpoint(EndpointName="py-rt-protocol", Body=b"0.5,-1.0,2.0")
    assert len(json.loads(resp["Body"].read())["predictions"]) == 1


def test_validation_errors(runtime):
    with pytest.raises(ClientError) as e:
        runtime.invoke_endpoint(EndpointName="py-rt-protocol", Body=b"1,2,3", ContentType="text/csv", InferenceId="i" * 65)
    err = e.value.response
    assert err["Error"]["Code"] == "ValidationError"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"] == (
        f"1 validation error detected: Value '{'i' * 65}' at 'inferenceId' failed to satisfy constraint: Member must have length less than or equal to 64"
    )

    with pytest.raises(ClientError) as e:
        runtime.invoke_endpoint(EndpointName="x" * 64, Body=b"1,2,3", ContentType="text/csv")
    assert e.value.response["Error"]["Message"] == (
        f"1 validation error detected: Value '{'x' * 64}' at 'endpointName' failed to satisfy constraint: Member must have length less than or equal to 63"
    )

    with pytest.raises(ClientError) as e:
        runtime.invoke_endpoint(EndpointName="py-rt-protocol", Body=b"1,2,3", ContentType="text/csv", TargetVariant="Nope")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert e.value.response["Error"]["Message"] == "Target variant Nope not found for endpoint py-rt-protocol."


def test_model_error(runtime):
    with pytest.raises(ClientError) as e:
        runtime.invoke_endpoint(EndpointName="py-rt-protocol", Body=b"a,b,c", ContentType="text/csv")
    err = e.value.response
    assert err["Error"]["Code"] == "ModelError"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert err["OriginalStatusCode"] == 400
