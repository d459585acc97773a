"""A processing job on two instances with boto3: the scikit-learn image runs a script (uploaded to
S3 as an input) on each instance; the data input is ShardedByS3Key, the statistics input
FullyReplicated; both instances' outputs land under the one S3Uri, and together they are the
whole data set scaled, as numpy computes it here.

Skips where the environment `localsage frameworks install sklearn` makes is missing
(LOCALSAGE_REQUIRE_PYTHON=1 makes that a failure).
"""
import io
import json
import os

import boto3
import pytest

from localsage_helpers import ROLE, framework_python

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "sdk_v2", "processing_scripts", "shard_scale.py")
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
BUCKET = "boto3-processing"


@pytest.fixture(scope="module")
def sklearn_python():
    return framework_python("sklearn", "import numpy")


def test_two_instances_shard_the_input_and_share_the_output_prefix(session_kwargs, sklearn_python):
    sm = boto3.client("sagemaker", **session_kwargs)
    s3 = boto3.client("s3", **session_kwargs)
    s3.create_bucket(Bucket=BUCKET)
    # Four shards of three rows each, and the whole set's mean and standard deviation.
    rows = [[i, 2 * i + 1] for i in range(12)]
    for k in range(4):
        body = "\n".join("%d,%d" % tuple(r) for r in rows[3 * k:3 * k + 3]) + "\n"
        s3.put_object(Bucket=BUCKET, Key="data/shard-%d.csv" % k, Body=body.encode())
    n = len(rows)
    mean = [sum(r[j] for r in rows) / n for j in range(2)]
    std = [(sum((r[j] - mean[j]) ** 2 for r in rows) / n) ** 0.5 for j in range(2)]
    s3.put_object(Bucket=BUCKET, Key="stats/stats.csv", Body=("%r,%r\n%r,%r\n" % (mean[0], mean[1], std[0], std[1])).encode())
    with open(SCRIPT, "rb") as f:
        s3.put_object(Bucket=BUCKET, Key="code/shard_scale.py", Body=f.read())

    sm.create_processing_job(
        ProcessingJobName="boto3-shards",
        RoleArn=ROLE,
        AppSpecification={"ImageUri": SKLEARN_IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/shard_scale.py"]},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 10}},
        ProcessingInputs=[
            {"InputName": "code", "S3Input": {"S3Uri": "s3://%s/code/shard_scale.py" % BUCKET, "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix", "S3InputMode": "File"}},
            {"InputName": "shards", "S3Input": {"S3Uri": "s3://%s/data/" % BUCKET, "LocalPath": "/opt/ml/processing/input/shards", "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "ShardedByS3Key"}},
            {"InputName": "stats", "S3Input": {"S3Uri": "s3://%s/stats" % BUCKET, "LocalPath": "/opt/ml/processing/input/stats", "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}},
        ],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "scaled", "S3Output": {"S3Uri": "s3://%s/scaled" % BUCKET, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    sm.get_waiter("processing_job_completed_or_stopped").wait(ProcessingJobName="boto3-shards", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    job = sm.describe_processing_job(ProcessingJobName="boto3-shards")
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 2

    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="scaled/")["Contents"])
    assert keys == ["scaled/algo-1.json", "scaled/algo-2.json", "scaled/part-algo-1.csv", "scaled/part-algo-2.csv"]
    read = lambda key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    reports = [json.loads(read("scaled/algo-%d.json" % h)) for h in (1, 2)]
    # Every second object in key order: algo-1 shards 0 and 2, algo-2 shards 1 and 3.
    assert [r["files"] for r in reports] == [["shard-0.csv", "shard-2.csv"], ["shard-1.csv", "shard-3.csv"]]
    assert all(r["hosts"] == ["algo-1", "algo-2"] for r in reports)
    got = []
    for h in (1, 2):
        got += [tuple(float(x) for x in line.split(",")) for line in read("scaled/part-algo-%d.csv" % h).splitlines()]
    expected = [tuple(round((r[j] - mean[j]) / std[j], 6) for j in range(2)) for r in rows]
    assert sorted(got) == sorted(expected)

    logs = boto3.client("logs", **session_kwargs)
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/ProcessingJobs", logStreamNamePrefix="boto3-shards/")["logStreams"]
    assert sorted(s["logStreamName"].rsplit("-", 1)[0] for s in streams) == ["boto3-shards/algo-1", "boto3-shards/algo-2"]
