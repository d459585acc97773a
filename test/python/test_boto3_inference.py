"""boto3 beyond InvokeEndpoint: a response stream read event by event (PayloadPart, then
ModelStreamError), an asynchronous invocation, and a batch transform job with its waiter."""
import json
import random
import time

import boto3
import pytest
from botocore.exceptions import ClientError, EventStreamError

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


@pytest.fixture(scope="module")
def aws(session_kwargs):
    s3, sm, rt = (boto3.client(n, **session_kwargs) for n in ("s3", "sagemaker", "sagemaker-runtime"))
    rnd = random.Random(3)
    rows = [[rnd.uniform(-1, 1) for _ in range(3)] for _ in range(400)]
    s3.create_bucket(Bucket="boto3-inf")
    s3.put_object(Bucket="boto3-inf", Key="train/data.csv",
                  Body="".join(f"{int(a + 2 * b - c > 0)},{a},{b},{c}\n" for a, b, c in rows).encode())
    sm.create_training_job(
        TrainingJobName="boto3-inf", AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"}, RoleArn=ROLE,
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv",
                          "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://boto3-inf/train/"}}}],
        OutputDataConfig={"S3OutputPath": "s3://boto3-inf/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters={"predictor_type": "binary_classifier", "feature_dim": "3", "epochs": "3"},
    )
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName="boto3-inf", WaiterConfig={"Delay": 1})
    artifact = sm.describe_training_job(TrainingJobName="boto3-inf")["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(ModelName="boto3-inf", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE, "ModelDataUrl": artifact})
    for name, extra in (("boto3-rt", {}), ("boto3-async", {"AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://boto3-inf/async"}}})):
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "boto3-inf", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}], **extra)
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1})
    return s3, sm, rt, rows


def test_response_stream_parts_then_model_stream_error(aws):
    s3, sm, rt, rows = aws
    body = "".join(",".join(map(str, r)) + "\n" for r in rows[:5])
    out = rt.invoke_endpoint_with_response_stream(EndpointName="boto3-rt", Body=body.encode(), ContentType="text/csv",
                                                  Accept="application/jsonlines")
    assert out["ContentType"] == "application/jsonlines"
    parts = [e["PayloadPart"]["Bytes"].decode() for e in out["Body"] if "PayloadPart" in e]
    whole = rt.invoke_endpoint(EndpointName="boto3-rt", Body=body.encode(), ContentType="text/csv", Accept="application/jsonlines")
    assert len(parts) == 5
    assert "".join(parts) == whole["Body"].read().decode()

    broken = rt.invoke_endpoint_with_response_stream(EndpointName="boto3-rt", Body=(body + "1,2,x\n").encode(),
                                                     ContentType="text/csv", Accept="application/jsonlines")
    seen = []
    with pytest.raises(EventStreamError) as err:
        for e in broken["Body"]:
            seen.append(e)
    assert len(seen) == 5
    assert err.value.response["Error"]["Code"] == "ModelStreamError"
    assert "could not convert 'x' to a number" in err.value.response["Error"]["Message"]


def test_invoke_endpoint_async(aws):
    s3, sm, rt, rows = aws
    s3.put_object(Bucket="boto3-inf", Key="async-in/a.csv", Body=b"0.5,0.5,0.1\n-0.5,-0.5,0.1\n")
    out = rt.invoke_endpoint_async(EndpointName="boto3-async", InputLocation="s3://boto3-inf/async-in/a.csv",
                                   ContentType="text/csv", Accept="application/json")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert out["OutputLocation"] == f"s3://boto3-inf/async/{out['InferenceId']}.out"
    assert "FailureLocation" not in out
    key = out["OutputLocation"].split("/", 3)[3]
    s3.get_waiter("object_exists").wait(Bucket="boto3-inf", Key=key, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    result = json.loads(s3.get_object(Bucket="boto3-inf", Key=key)["Body"].read())
    assert [p["predicted_label"] for p in result["predictions"]] == [1, 0]

    with pytest.raises(ClientError) as err:
        rt.invoke_endpoint_async(EndpointName="boto3-rt", InputLocation="s3://boto3-inf/async-in/a.csv")
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_transform_job_with_the_waiter(aws):
    s3, sm, rt, rows = aws
    s3.put_object(Bucket="boto3-inf", Key="batch/in.csv", Body="".join(",".join(map(str, r)) + "\n" for r in rows[:50]).encode())
    sm.create_transform_job(
        TransformJobName="boto3-batch", ModelName="boto3-inf", BatchStrategy="SingleRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://boto3-inf/batch/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": "s3://boto3-inf/batch-out", "Accept": "application/jsonlines", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="boto3-batch", WaiterConfig={"Delay": 1})
    job = sm.describe_transform_job(TransformJobName="boto3-batch")
    assert job["TransformJobStatus"] == "Completed"
    assert job["TransformInput"]["SplitType"] == "Line"
    lines = s3.get_object(Bucket="boto3-inf", Key="batch-out/in.csv.out")["Body"].read().decode().splitlines()
    expected = [rt.invoke_endpoint(EndpointName="boto3-rt", Body=",".join(map(str, r)).encode(), ContentType="text/csv",
                                   Accept="application/jsonlines")["Body"].read().decode().strip() for r in rows[:50]]
    assert lines == expected
    assert [j["TransformJobName"] for j in sm.list_transform_jobs()["TransformJobSummaries"]] == ["boto3-batch"]
