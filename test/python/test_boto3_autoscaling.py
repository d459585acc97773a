"""Live auto scaling through boto3 and the AWS CLI, against a localsage whose realistic timing is
played 60 times faster (--clock-scale 60: an emulator minute is a second of wall time). Tests wait
for states, never for durations."""
import json
import os
import random
import re
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from localsage_helpers import IMAGE, ROLE, run_emulator, train_linear_learner, until

FAST = {"Delay": 1, "MaxAttempts": 300}
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


@pytest.fixture(scope="module")
def emulator():
    yield from run_emulator((["--import", "tsx", "emulator/cli.ts"], ["--timing", "realistic", "--clock-scale", "60"]), "localsage-scaling-")


@pytest.fixture(scope="module")
def aws(emulator):
    cfg = Config(retries={"max_attempts": 1}, max_pool_connections=16)
    kw = dict(endpoint_url=emulator, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
    names = ("s3", "sagemaker", "sagemaker-runtime", "application-autoscaling", "cloudwatch")
    return {n: boto3.client(n, **kw) for n in names}


@pytest.fixture(scope="module")
def model_data(aws):
    s3, sm = aws["s3"], aws["sagemaker"]
    s3.create_bucket(Bucket="py-scaling")
    rnd = random.Random(3)
    rows = "".join(f"{int(x > 0)},{x},{rnd.gauss(0, 1)},{rnd.gauss(0, 1)}\n" for x in (rnd.gauss(0, 2) for _ in range(200)))
    s3.put_object(Bucket="py-scaling", Key="train/train.csv", Body=rows.encode())
    job = train_linear_learner(sm, "py-scaling", "py-scaling", {"predictor_type": "binary_classifier", "feature_dim": "3", "epochs": "1"}, FAST)
    return job["ModelArtifacts"]["S3ModelArtifacts"]


def deploy(sm, name, artifact):
    sm.create_model(ModelName=name, PrimaryContainer={"Image": IMAGE, "ModelDataUrl": artifact}, ExecutionRoleArn=ROLE)
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST)


def ids(endpoint):
    return dict(ServiceNamespace="sagemaker", ResourceId=f"endpoint/{endpoint}/variant/AllTraffic", ScalableDimension=DIMENSION)


def test_target_tracking_scale_out_and_exact_metrics(aws, model_data):
    sm, rt, aas, cw = aws["sagemaker"], aws["sagemaker-runtime"], aws["application-autoscaling"], aws["cloudwatch"]
    ep = "py-tt"
    deploy(sm, ep, model_data)
    aas.register_scalable_target(**ids(ep), MinCapacity=1, MaxCapacity=10)
    config = lambda v: {"TargetValue": v, "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}
    first = aas.put_scaling_policy(**ids(ep), PolicyName="Invocations-ScalingPolicy", PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration=config(30000.0))
    second = aas.put_scaling_policy(**ids(ep), PolicyName="Invocations-ScalingPolicy", PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration=config(15.0))
    assert second["PolicyARN"] == first["PolicyARN"]
    high = next(a["AlarmName"] for a in second["Alarms"] if "-AlarmHigh-" in a["AlarmName"])

    # A bounded loopback load: a pool of 4 threads, each sending until the scale-out completes or its share is spent.
    stop = threading.Event()
    sent = {"ok": 0}
    lock = threading.Lock()

    def worker(share):
        for _ in range(share):
            if stop.is_set():
                return
            rt.invoke_endpoint(EndpointName=ep, ContentType="text/csv", Body=b"0.5,0.1,0.2")
            with lock:
                sent["ok"] += 1

    pool = ThreadPoolExecutor(max_workers=4)
    futures = [pool.submit(worker, 50_000) for _ in range(4)]
    try:
        acts = until("a scale-out", lambda: aas.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=ids(ep)["ResourceId"])["ScalingActivities"], lambda a: len(a) > 0)
        act = acts[0]
        n = int(re.fullmatch(r"Setting desired instance count to (\d+)\.", act["Description"]).group(1))
        assert 1 < n <= 10
        assert act["Cause"] == f"monitor alarm {high} in state ALARM triggered policy Invocations-ScalingPolicy"
        variant = sm.describe_endpoint(EndpointName=ep)["ProductionVariants"][0]
        assert variant["DesiredInstanceCount"] == n
        # (Its state now follows the load of the last minutes; the activity's Cause shows it was in ALARM.)
        alarm = cw.describe_alarms(AlarmNames=[high])["MetricAlarms"][0]
        assert (alarm["MetricName"], alarm["Namespace"], alarm["Threshold"], alarm["ComparisonOperator"]) == ("InvocationsPerInstance", "AWS/SageMaker", 15.0, "GreaterThanThreshold")
        until(
            "the scale-out to be in service",
            lambda: aas.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=ids(ep)["ResourceId"])["ScalingActivities"],
            lambda a: any(x["ActivityId"] == act["ActivityId"] and x["StatusCode"] == "Successful" for x in a),
        )
    finally:
        stop.set()
        for f in futures:
            f.result()
        pool.shutdown()
    described = sm.describe_endpoint(EndpointName=ep)
    later = [x for x in aas.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=ids(ep)["ResourceId"])["ScalingActivities"]
             if x["StartTime"] > act["StartTime"] and x["StatusCode"] != "Failed"]
    # Once the cooldown was over, the policy may have added more before the load stopped.
    if not later:
        assert described["EndpointStatus"] == "InService"
        assert described["ProductionVariants"][0]["CurrentInstanceCount"] == n
    else:
        assert described["ProductionVariants"][0]["CurrentInstanceCount"] >= n

    bad = 0
    for _ in range(5):
        with pytest.raises(ClientError) as e:
            rt.invoke_endpoint(EndpointName=ep, ContentType="text/csv", Body=b"x,y")
        assert e.value.response["Error"]["Code"] == "ModelError"
        bad += 1
    dims = [{"Name": "EndpointName", "Value": ep}, {"Name": "VariantName", "Value": "AllTraffic"}]

    def total(metric):
        now = described["LastModifiedTime"]
        out = cw.get_metric_statistics(
            Namespace="AWS/SageMaker", MetricName=metric, Dimensions=dims, StartTime=now.timestamp() - 86400, EndTime=now.timestamp() + 30 * 86400, Period=86400, Statistics=["Sum", "SampleCount"]
        )
        return sum(d["Sum"] for d in out["Datapoints"]), sum(d["SampleCount"] for d in out["Datapoints"])

    assert total("Invocations") == (sent["ok"] + bad, sent["ok"] + bad)
    assert total("Invocation4XXErrors") == (bad, sent["ok"] + bad)
    assert total("Invocation5XXErrors")[0] == 0


def test_errors_through_botocore(aws):
    aas, cw = aws["application-autoscaling"], aws["cloudwatch"]
    with pytest.raises(ClientError) as e:
        aas.put_scaling_policy(**ids("nowhere"), PolicyName="p", PolicyType="StepScaling", StepScalingPolicyConfiguration={"StepAdjustments": [{"ScalingAdjustment": 1, "MetricIntervalLowerBound": 0}]})
    assert e.value.response["Error"]["Code"] == "ObjectNotFoundException"
    assert e.value.response["Error"]["Message"] == f"No scalable target registered for service namespace: sagemaker, resource ID: endpoint/nowhere/variant/AllTraffic, scalable dimension: {DIMENSION}"
    with pytest.raises(ClientError) as e:
        aas.describe_scalable_targets(ServiceNamespace="sagemaker", MaxResults=51)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50"
    # CloudWatch over JSON: botocore reads the query-compatible code from x-amzn-query-error.
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=["no-such-alarm"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def cli(emulator, *args):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}
    out = subprocess.run(["aws", "--endpoint-url", emulator, "--output", "json", *args], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_step_scaling_through_the_cli(emulator, aws, model_data):
    ep = "cli-step"
    deploy(aws["sagemaker"], ep, model_data)
    rid = f"endpoint/{ep}/variant/AllTraffic"
    target = ["--service-namespace", "sagemaker", "--resource-id", rid, "--scalable-dimension", DIMENSION]
    cli(emulator, "application-autoscaling", "register-scalable-target", *target, "--min-capacity", "1", "--max-capacity", "2")
    policy = cli(
        emulator, "application-autoscaling", "put-scaling-policy", *target, "--policy-name", "cli-step", "--policy-type", "StepScaling",
        "--step-scaling-policy-configuration", json.dumps({"AdjustmentType": "ChangeInCapacity", "Cooldown": 60, "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]}),
    )
    cli(
        emulator, "cloudwatch", "put-metric-alarm", "--alarm-name", "cli-step-busy", "--namespace", "AWS/SageMaker", "--metric-name", "Invocations",
        "--dimensions", f"Name=EndpointName,Value={ep}", "Name=VariantName,Value=AllTraffic", "--statistic", "Sum", "--period", "60",
        "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "GreaterThanThreshold", "--alarm-actions", policy["PolicyARN"],
    )
    stop = threading.Event()

    def load():
        while not stop.is_set():
            aws["sagemaker-runtime"].invoke_endpoint(EndpointName=ep, ContentType="text/csv", Body=b"0.5,0.1,0.2")

    t = threading.Thread(target=load)
    t.start()
    try:
        acts = until(
            "the step scale-out",
            lambda: cli(emulator, "application-autoscaling", "describe-scaling-activities", "--service-namespace", "sagemaker", "--resource-id", rid)["ScalingActivities"],
            lambda a: any(x["StatusCode"] == "Successful" for x in a),
        )
    finally:
        stop.set()
        t.join()
    done = next(x for x in acts if x["StatusCode"] == "Successful")
    assert done["Description"] == "Setting desired instance count to 2."
    assert done["Cause"] == "monitor alarm cli-step-busy in state ALARM triggered policy cli-step"
    targets = cli(emulator, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "sagemaker", "--resource-ids", rid)["ScalableTargets"]
    assert [(x["MinCapacity"], x["MaxCapacity"]) for x in targets] == [(1, 2)]
    alarms = cli(emulator, "cloudwatch", "describe-alarms", "--alarm-names", "cli-step-busy")["MetricAlarms"]
    assert alarms[0]["AlarmActions"] == [policy["PolicyARN"]]
