"""A blue/green UpdateEndpoint with linear traffic shifting through boto3, against a localsage whose
realistic timing is played 120 times faster (--clock-scale 120): the green fleet takes half the
requests in the first step, all of them in the second, and then replaces the blue fleet. Two
linear-learner models trained on different data tell the fleets apart by their scores. Tests wait
for states, never for durations."""
import json
import random

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from localsage_helpers import IMAGE, ROLE, run_emulator, train_linear_learner, until

FAST = {"Delay": 1, "MaxAttempts": 300}
BODY = b"0.7,-1.3,2.1"


@pytest.fixture(scope="module")
def emulator():
    yield from run_emulator((["--import", "tsx", "emulator/cli.ts"], ["--timing", "realistic", "--clock-scale", "120"]), "localsage-guardrails-")


@pytest.fixture(scope="module")
def aws(emulator):
    cfg = Config(retries={"max_attempts": 1})
    kw = dict(endpoint_url=emulator, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
    return {n: boto3.client(n, **kw) for n in ("s3", "sagemaker", "sagemaker-runtime", "cloudwatch")}


def train(aws, name, seed):
    s3, sm = aws["s3"], aws["sagemaker"]
    s3.create_bucket(Bucket=name)
    rnd = random.Random(seed)
    rows = "".join(f"{int(x > 0)},{x},{rnd.gauss(0, 1)},{rnd.gauss(0, 1)}\n" for x in (rnd.gauss(0, 2) for _ in range(200)))
    s3.put_object(Bucket=name, Key="train/train.csv", Body=rows.encode())
    job = train_linear_learner(sm, name, name, {"predictor_type": "binary_classifier", "feature_dim": "3", "epochs": "1"}, FAST)
    sm.create_model(ModelName=name, PrimaryContainer={"Image": IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]}, ExecutionRoleArn=ROLE)


def config(sm, name, model, instances):
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": instances, "InstanceType": "ml.m5.large"}])


def score(rt, ep):
    out = rt.invoke_endpoint(EndpointName=ep, ContentType="text/csv", Accept="application/json", Body=BODY)
    return json.loads(out["Body"].read())["predictions"][0]["score"]


def test_blue_green_linear_update(aws):
    sm, rt = aws["sagemaker"], aws["sagemaker-runtime"]
    train(aws, "py-blue", 3)
    train(aws, "py-green", 17)
    config(sm, "py-bg-blue", "py-blue", 2)
    config(sm, "py-bg-green", "py-green", 2)
    sm.create_endpoint(EndpointName="py-bg", EndpointConfigName="py-bg-blue")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="py-bg", WaiterConfig=FAST)
    blue = score(rt, "py-bg")

    # A canary of more than half the fleet is refused, and nothing starts.
    with pytest.raises(ClientError) as e:
        sm.update_endpoint(
            EndpointName="py-bg",
            EndpointConfigName="py-bg-green",
            DeploymentConfig={"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "CANARY", "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 2}, "WaitIntervalInSeconds": 0}}},
        )
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert sm.describe_endpoint(EndpointName="py-bg")["EndpointStatus"] == "InService"

    dc = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50}, "WaitIntervalInSeconds": 600}, "TerminationWaitInSeconds": 60}}
    sm.update_endpoint(EndpointName="py-bg", EndpointConfigName="py-bg-green", DeploymentConfig=dc)
    d = sm.describe_endpoint(EndpointName="py-bg")
    assert d["EndpointStatus"] == "Updating" and d["EndpointConfigName"] == "py-bg-blue"
    assert d["PendingDeploymentSummary"]["EndpointConfigName"] == "py-bg-green"

    def stage(d):
        return d.get("PendingDeploymentSummary", {}).get("ProductionVariants", [{}])[0].get("VariantStatus", [{}])[0]

    def during_first_step():
        # Four requests inside one baking step: the same StartTime before and after.
        before = stage(sm.describe_endpoint(EndpointName="py-bg"))
        if before.get("Status") != "Baking":
            return None
        scores = [score(rt, "py-bg") for _ in range(4)]
        after = stage(sm.describe_endpoint(EndpointName="py-bg"))
        return scores if after.get("Status") == "Baking" and after.get("StartTime") == before.get("StartTime") else None

    scores = until("four requests in the first linear step", during_first_step, lambda s: s is not None)
    green = next(s for s in scores if s != blue)
    assert sorted(s == blue for s in scores) == [False, False, True, True]

    done = until("InService on the new configuration", lambda: sm.describe_endpoint(EndpointName="py-bg"), lambda d: d["EndpointStatus"] == "InService")
    assert done["EndpointConfigName"] == "py-bg-green"
    assert "PendingDeploymentSummary" not in done and "FailureReason" not in done
    assert done["LastDeploymentConfig"] == dc
    assert [score(rt, "py-bg") for _ in range(3)] == [green] * 3
