"""Processing with the SageMaker Python SDK v2: SKLearnProcessor.run with a script, an S3 input and
two outputs, run by localsage with the scikit-learn framework environment; the outputs are read
back from S3 and checked against scikit-learn run directly on the same data.

Skips where the environment `localsage frameworks install sklearn` makes is missing
(LOCALSAGE_REQUIRE_PYTHON=1 makes that a failure).
"""
import io
import json
import os
import subprocess

import numpy as np
import pytest
from localsage_helpers import framework_python

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "processing_scripts", "preprocess.py")


@pytest.fixture(scope="module")
def sklearn_python():
    return framework_python("sklearn", "import sklearn")


@pytest.fixture(scope="module")
def session(aws_env):
    import boto3
    import sagemaker

    return sagemaker.Session(boto_session=boto3.Session(region_name="us-east-1"), default_bucket="processing-v2")


def read_csv(session, uri):
    bucket, key = uri[len("s3://"):].split("/", 1)
    body = session.boto_session.client("s3", endpoint_url=session.sagemaker_client.meta.endpoint_url).get_object(Bucket=bucket, Key=key)["Body"].read()
    return body.decode()


def test_sklearn_processor_run_end_to_end(session, sklearn_python):
    from sagemaker.processing import ProcessingInput, ProcessingOutput
    from sagemaker.sklearn.processing import SKLearnProcessor

    rng = np.random.default_rng(7)
    data = rng.normal(loc=3.0, scale=2.0, size=(40, 3))
    buf = io.StringIO()
    np.savetxt(buf, data, delimiter=",", fmt="%.6f")
    session.default_bucket()  # creates it
    raw = session.upload_string_as_file_body(buf.getvalue(), bucket="processing-v2", key="raw/data.csv")

    processor = SKLearnProcessor(framework_version="1.2-1", role=ROLE, instance_type="ml.m5.large", instance_count=1,
                                 env={"MODE": "scale"}, sagemaker_session=session)
    processor.run(
        code=SCRIPT,
        inputs=[ProcessingInput(source=raw, destination="/opt/ml/processing/input/raw")],
        outputs=[
            ProcessingOutput(output_name="train", source="/opt/ml/processing/train", destination="s3://processing-v2/out/train"),
            ProcessingOutput(output_name="test", source="/opt/ml/processing/test", destination="s3://processing-v2/out/test"),
        ],
        arguments=["--split", "0.75"],
        job_name="sk-processing",
        wait=True,
        logs=False,
    )
    job = processor.latest_job.describe()
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["AppSpecification"]["ContainerEntrypoint"][0] == "python3"

    # scikit-learn run directly on the same numbers.
    expected = subprocess.run(
        [sklearn_python, "-c", "import sys, numpy as np\nfrom sklearn.preprocessing import StandardScaler\n"
         "d = np.loadtxt(sys.stdin, delimiter=',')\nnp.savetxt(sys.stdout, StandardScaler().fit_transform(d), delimiter=',', fmt='%.6f')"],
        input=buf.getvalue(), capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    train = read_csv(session, "s3://processing-v2/out/train/train.csv").splitlines()
    test = read_csv(session, "s3://processing-v2/out/test/test.csv").splitlines()
    assert train == expected[:30]
    assert test == expected[30:]
    meta = json.loads(read_csv(session, "s3://processing-v2/out/train/meta.json"))
    assert meta == {"job": "sk-processing", "mode": "scale", "rows": 40}


def test_script_error_fails_the_job(session, sklearn_python, tmp_path):
    from sagemaker.sklearn.processing import SKLearnProcessor

    script = tmp_path / "boom.py"
    script.write_text("raise SystemExit(4)\n")
    processor = SKLearnProcessor(framework_version="1.2-1", role=ROLE, instance_type="ml.m5.large", instance_count=1, sagemaker_session=session)
    with pytest.raises(Exception):
        processor.run(code=str(script), job_name="sk-processing-fail", wait=True, logs=False)
    job = session.sagemaker_client.describe_processing_job(ProcessingJobName="sk-processing-fail")
    assert job["ProcessingJobStatus"] == "Failed"
    assert job["FailureReason"] == "AlgorithmError: See job logs for more information"


def test_sklearn_processor_on_two_instances_shards_its_input(session, sklearn_python):
    """SKLearnProcessor(instance_count=2): the SDK's code input reaches both instances, the data
    input is ShardedByS3Key, and each instance's part lands under the one output prefix."""
    from sagemaker.processing import ProcessingInput, ProcessingOutput
    from sagemaker.sklearn.processing import SKLearnProcessor

    rng = np.random.default_rng(11)
    data = rng.normal(loc=-1.0, scale=4.0, size=(24, 2))
    session.default_bucket()
    for k in range(4):
        buf = io.StringIO()
        np.savetxt(buf, data[6 * k:6 * k + 6], delimiter=",", fmt="%.6f")
        session.upload_string_as_file_body(buf.getvalue(), bucket="processing-v2", key="multi/shards/shard-%d.csv" % k)
    rounded = np.round(data, 6)
    stats = io.StringIO()
    np.savetxt(stats, np.vstack([rounded.mean(axis=0), rounded.std(axis=0)]), delimiter=",", fmt="%.10f")
    session.upload_string_as_file_body(stats.getvalue(), bucket="processing-v2", key="multi/stats/stats.csv")

    processor = SKLearnProcessor(framework_version="1.2-1", role=ROLE, instance_type="ml.m5.large", instance_count=2, sagemaker_session=session)
    processor.run(
        code=os.path.join(HERE, "processing_scripts", "shard_scale.py"),
        inputs=[
            ProcessingInput(source="s3://processing-v2/multi/shards/", destination="/opt/ml/processing/input/shards", s3_data_distribution_type="ShardedByS3Key"),
            ProcessingInput(source="s3://processing-v2/multi/stats/", destination="/opt/ml/processing/input/stats"),
        ],
        outputs=[ProcessingOutput(output_name="scaled", source="/opt/ml/processing/output", destination="s3://processing-v2/multi/out")],
        job_name="sk-processing-two",
        wait=True,
        logs=False,
    )
    job = processor.latest_job.describe()
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 2

    reports = [json.loads(read_csv(session, "s3://processing-v2/multi/out/algo-%d.json" % h)) for h in (1, 2)]
    assert [r["files"] for r in reports] == [["shard-0.csv", "shard-2.csv"], ["shard-1.csv", "shard-3.csv"]]
    parts = [np.loadtxt(io.StringIO(read_csv(session, "s3://processing-v2/multi/out/part-algo-%d.csv" % h)), delimiter=",", ndmin=2) for h in (1, 2)]
    got = np.vstack(parts)
    expected = (rounded - rounded.mean(axis=0)) / rounded.std(axis=0)
    # Both parts together are the whole set scaled; the split follows the shards.
    assert np.allclose(np.sort(got, axis=0), np.sort(expected, axis=0), atol=2e-6)
    assert np.allclose(parts[0], expected[np.r_[0:6, 12:18]], atol=2e-6)
