"""The classic pipeline through boto3 and its waiters, against a running localsage."""
import json
import random

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
FAST = {"Delay": 1, "MaxAttempts": 120}


@pytest.fixture(scope="module")
def aws(session_kwargs):
    cfg = Config(retries={"max_attempts": 1})
    return {name: boto3.client(name, config=cfg, **session_kwargs) for name in ("s3", "sagemaker", "sagemaker-runtime", "sts")}


def separable(n, d, seed):
    rnd = random.Random(seed)
    w = [rnd.gauss(0, 1) for _ in range(d)]
    rows = []
    while len(rows) < n:
        x = [rnd.gauss(0, 2) for _ in range(d)]
        s = sum(a * b for a, b in zip(w, x)) + 0.3
        if abs(s) < 0.3:
            continue
        rows.append((1 if s > 0 else 0, x))
    return rows


def csv(rows, with_label=True):
    return "".join(",".join(str(v) for v in (([y] if with_label else []) + x)) + "\n" for y, x in rows)


def test_pipeline_with_waiters(aws):
    s3, sm, rt = aws["s3"], aws["sagemaker"], aws["sagemaker-runtime"]
    s3.create_bucket(Bucket="py-pipeline")
    rows = separable(1200, 5, 7)
    train, test = rows[:900], rows[900:]
    s3.put_object(Bucket="py-pipeline", Key="train/train.csv", Body=csv(train).encode())

    sm.create_training_job(
        TrainingJobName="py-binary",
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        InputDataConfig=[
            {
                "ChannelName": "train",
                "ContentType": "text/csv",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://py-pipeline/train/", "S3DataDistributionType": "FullyReplicated"}},
            }
        ],
        OutputDataConfig={"S3OutputPath": "s3://py-pipeline/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        HyperParameters={"predictor_type": "binary_classifier", "feature_dim": "5", "epochs": "8", "mini_batch_size": "100"},
    )
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName="py-binary", WaiterConfig=FAST)
    job = sm.describe_training_job(TrainingJobName="py-binary")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert all(t["StatusMessage"] for t in job["SecondaryStatusTransitions"])
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert "train:objective_loss" in metrics or "train:objective_loss:final" in metrics, metrics
    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == "s3://py-pipeline/output/py-binary/output/model.tar.gz"
    assert s3.head_object(Bucket="py-pipeline", Key="output/py-binary/output/model.tar.gz")["ContentLength"] > 0

    sm.create_model(ModelName="py-binary", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": artifact}, ExecutionRoleArn=ROLE)
    sm.create_endpoint_config(
        EndpointConfigName="py-binary",
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "py-binary", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
    )
    sm.create_endpoint(EndpointName="py-binary", EndpointConfigName="py-binary")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="py-binary", WaiterConfig=FAST)

    resp = rt.invoke_endpoint(EndpointName="py-binary", ContentType="text/csv", Body=csv(test, with_label=False).encode())
    assert resp["ContentType"] == "application/json"
    assert resp["InvokedProductionVariant"] == "AllTraffic"
    predictions = json.loads(resp["Body"].read())["predictions"]
    accuracy = sum(p["predicted_label"] == y for p, (y, _) in zip(predictions, test)) / len(test)
    assert accuracy > 0.95

    sm.delete_endpoint(EndpointName="py-binary")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="py-binary", WaiterConfig=FAST)


def test_errors_as_botocore_sees_them(aws):
    sm, rt = aws["sagemaker"], aws["sagemaker-runtime"]
    with pytest.raises(ClientError) as e:
        sm.describe_training_job(TrainingJobName="missing-job")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == "Requested resource not found."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    with pytest.raises(ClientError) as e:
        rt.invoke_endpoint(EndpointName="missing-ep", ContentType="text/csv", Body=b"1,2")
    assert e.value.response["Error"]["Code"] == "ValidationError"

    # The waiter's failure acceptor: a missing endpoint is a ValidationException, so it fails fast.
    with pytest.raises(WaiterError):
        sm.get_waiter("endpoint_in_service").wait(EndpointName="missing-ep", WaiterConfig={"Delay": 1, "MaxAttempts": 2})


def test_sts_identity(aws):
    ident = aws["sts"].get_caller_identity()
    assert ident["Account"] == "000000000000"
