"""A model created from the model registry through boto3: CreateModel with a container that names
only ModelPackageName (as the SDK's ModelPackage.deploy does) serves the package's inference
container, on an endpoint and in a batch transform job; a package that does not exist is refused."""
import json
import random

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from localsage_helpers import IMAGE, ROLE, train_linear_learner

BUCKET = "model-from-package"


@pytest.fixture(scope="module")
def aws(session_kwargs):
    cfg = Config(retries={"max_attempts": 1})
    s3 = boto3.client("s3", config=cfg, **session_kwargs)
    sm = boto3.client("sagemaker", config=cfg, **session_kwargs)
    s3.create_bucket(Bucket=BUCKET)
    rnd = random.Random(8)
    rows = []
    while len(rows) < 300:
        x = [rnd.gauss(0, 2) for _ in range(3)]
        s = x[0] - x[1] + 0.5 * x[2]
        if abs(s) > 0.3:
            rows.append((1 if s > 0 else 0, x))
    s3.put_object(Bucket=BUCKET, Key="train/train.csv", Body="".join(f"{y},{','.join(map(str, x))}\n" for y, x in rows).encode())
    s3.put_object(Bucket=BUCKET, Key="score/score.csv", Body="".join(f"{','.join(map(str, x))}\n" for _, x in rows[:20]).encode())
    job = train_linear_learner(sm, "from-package", BUCKET, {"predictor_type": "binary_classifier", "feature_dim": "3", "epochs": "3"}, {"Delay": 1, "MaxAttempts": 600})
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    sm.create_model_package_group(ModelPackageGroupName="from-package")
    package = sm.create_model_package(
        ModelPackageGroupName="from-package",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]
    return {"s3": s3, "sm": sm, "rt": boto3.client("sagemaker-runtime", config=cfg, **session_kwargs), "job": job, "package": package, "rows": rows}


def deploy(sm, name, container):
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, Containers=[container])
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{"VariantName": "v", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})


def test_endpoint_from_package_serves_the_packaged_model(aws):
    sm, rt = aws["sm"], aws["rt"]
    deploy(sm, "pkg-model", {"ModelPackageName": aws["package"]})
    deploy(sm, "plain-model", {"Image": IMAGE, "ModelDataUrl": aws["job"]["ModelArtifacts"]["S3ModelArtifacts"]})
    # DescribeModel shows the container as it was given.
    assert sm.describe_model(ModelName="pkg-model")["Containers"] == [{"ModelPackageName": aws["package"]}]
    endpoint = sm.describe_endpoint(EndpointName="pkg-model")
    assert endpoint["ProductionVariants"][0]["DeployedImages"][0]["SpecifiedImage"] == IMAGE
    body = "".join(f"{','.join(map(str, x))}\n" for _, x in aws["rows"][:30]).encode()
    answers = [rt.invoke_endpoint(EndpointName=e, ContentType="text/csv", Accept="application/json", Body=body)["Body"].read() for e in ("pkg-model", "plain-model")]
    assert answers[0] == answers[1]
    labels = [p["predicted_label"] for p in json.loads(answers[0])["predictions"]]
    assert sum(int(l == y) for l, (y, _) in zip(labels, aws["rows"][:30])) >= 27
    for e in ("pkg-model", "plain-model"):
        sm.delete_endpoint(EndpointName=e)


def test_transform_job_from_package(aws):
    sm, s3 = aws["sm"], aws["s3"]
    sm.create_model(ModelName="pkg-batch", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": aws["package"]})
    sm.create_transform_job(
        TransformJobName="pkg-batch", ModelName="pkg-batch",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/score/"}}, "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/scored", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="pkg-batch", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    assert sm.describe_transform_job(TransformJobName="pkg-batch")["TransformJobStatus"] == "Completed"
    out = json.loads(s3.get_object(Bucket=BUCKET, Key="scored/score.csv.out")["Body"].read())
    assert len(out["predictions"]) == 20
    assert all(p["predicted_label"] in (0, 1) and 0 <= p["score"] <= 1 for p in out["predictions"])


def test_missing_package_is_refused(aws):
    sm = aws["sm"]
    missing = aws["package"].rsplit("/", 1)[0] + "/99"
    with pytest.raises(ClientError) as e:
        sm.create_model(ModelName="pkg-missing", ExecutionRoleArn=ROLE, Containers=[{"ModelPackageName": missing}])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert missing in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        sm.describe_model(ModelName="pkg-missing")
    # A package without an inference specification has nothing to serve.
    bare = sm.create_model_package(ModelPackageGroupName="from-package")["ModelPackageArn"]
    with pytest.raises(ClientError) as e:
        sm.create_model(ModelName="pkg-bare", ExecutionRoleArn=ROLE, Containers=[{"ModelPackageName": bare}])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "InferenceSpecification" in e.value.response["Error"]["Message"]
