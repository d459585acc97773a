"""Built-in algorithm artifacts travel both ways: what localsage writes, an independent reader of
the MXNet formats (mxnet_format.py, from the specification) reads; what that writer makes,
localsage loads and serves; a corrupt artifact fails the endpoint with a message naming why."""
import io
import json
import tarfile

import numpy as np
import pytest

from mxnet_format import load_ndarray_list, read_linear_learner, write_linear_learner
from sdk_v2_helpers import ROLE

BUCKET = "artifacts-v2"


@pytest.fixture(scope="module")
def clients(aws_env):
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    return s3, boto3.client("sagemaker", region_name="us-east-1"), boto3.client("sagemaker-runtime", region_name="us-east-1")


def image(algorithm):
    from sagemaker import image_uris

    return image_uris.retrieve(algorithm, "us-east-1")


def put_csv(s3, key, rows):
    s3.put_object(Bucket=BUCKET, Key=key, Body="\n".join(",".join("%.6f" % v for v in r) for r in rows).encode())


def train(sm, name, algorithm, prefix, hps, content_type="text/csv"):
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": image(algorithm), "TrainingInputMode": "File"},
        RoleArn=ROLE,
        InputDataConfig=[{"ChannelName": "train", "ContentType": content_type, "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://%s/%s" % (BUCKET, prefix)}}}],
        OutputDataConfig={"S3OutputPath": "s3://%s/out" % BUCKET},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters=hps,
    )
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name, WaiterConfig={"Delay": 1})
    job = sm.describe_training_job(TrainingJobName=name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    return job["ModelArtifacts"]["S3ModelArtifacts"]


def model_algo_1(s3, url):
    bucket, key = url[5:].split("/", 1)
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())) as tar:
        return tar.extractfile("model_algo-1").read()


def upload_model(s3, key, member):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("model_algo-1")
        info.size = len(member)
        tar.addfile(info, io.BytesIO(member))
    s3.put_object(Bucket=BUCKET, Key=key, Body=buf.getvalue())
    return "s3://%s/%s" % (BUCKET, key)


def deploy(sm, name, algorithm, url, wait=True):
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image(algorithm), "ModelDataUrl": url})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{"VariantName": "v", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    if wait:
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1})


def predict(rt, name, rows):
    body = "\n".join(",".join(repr(float(v)) for v in r) for r in rows)
    out = rt.invoke_endpoint(EndpointName=name, Body=body.encode(), ContentType="text/csv", Accept="application/json")
    return json.loads(out["Body"].read())["predictions"]


def test_linear_learner_artifact_read_by_an_independent_reader(clients):
    s3, sm, rt = clients
    rng = np.random.default_rng(11)
    x = rng.normal(size=(400, 3))
    y = x @ np.array([1.5, -2.0, 0.5]) + 0.25
    put_csv(s3, "ll/train.csv", np.column_stack([y, x]))
    url = train(sm, "art-ll", "linear-learner", "ll/", {"predictor_type": "regressor", "feature_dim": "3", "epochs": "10"})
    weight, bias, symbol = read_linear_learner(model_algo_1(s3, url))
    assert weight.shape == (1, 3) and bias.shape == (1,)
    assert [n["op"] for n in symbol["nodes"]] == ["null", "null", "null", "FullyConnected"]
    assert np.sign(weight[0]).tolist() == [1, -1, 1]  # it learned the planted direction
    deploy(sm, "art-ll", "linear-learner", url)
    served = [p["score"] for p in predict(rt, "art-ll", x[:20])]
    np.testing.assert_allclose(served, x[:20] @ weight[0] + bias[0], rtol=1e-4, atol=1e-4)


def test_kmeans_artifact_read_by_an_independent_reader(clients):
    s3, sm, rt = clients
    rng = np.random.default_rng(12)
    centers = np.array([[0, 0], [10, 0], [0, 10]], dtype=float)
    x = centers[rng.integers(0, 3, 300)] + rng.normal(scale=0.3, size=(300, 2))
    put_csv(s3, "km/train.csv", x)
    url = train(sm, "art-km", "kmeans", "km/", {"k": "3", "feature_dim": "2"}, content_type="text/csv;label_size=0")
    arrays, names = load_ndarray_list(model_algo_1(s3, url))
    assert names == [] and arrays[0].shape == (3, 2)
    centroids = arrays[0]
    deploy(sm, "art-km", "kmeans", url)
    served = [p["closest_cluster"] for p in predict(rt, "art-km", x[:30])]
    nearest = np.argmin(((x[:30, None, :] - centroids[None]) ** 2).sum(-1), axis=1)
    assert served == nearest.tolist()


def test_artifacts_written_by_the_independent_writer_load_and_serve(clients):
    s3, sm, rt = clients
    # Linear Learner, binary classifier: FullyConnected + sigmoid.
    weight = np.array([[0.8, -1.2, 0.3, 2.0]], dtype=np.float32)
    bias = np.array([-0.1], dtype=np.float32)
    url = upload_model(s3, "foreign/ll/model.tar.gz", write_linear_learner(weight, bias, activation="sigmoid"))
    deploy(sm, "foreign-ll", "linear-learner", url)
    x = np.random.default_rng(13).normal(size=(10, 4))
    out = predict(rt, "foreign-ll", x)
    expected = 1 / (1 + np.exp(-(x @ weight[0] + bias[0])))
    np.testing.assert_allclose([p["score"] for p in out], expected, rtol=1e-5)
    assert [p["predicted_label"] for p in out] == (expected >= 0.5).astype(int).tolist()

    # K-Means: an NDArray list of centroids.
    from mxnet_format import save_ndarray_list

    centroids = np.array([[0, 0, 0], [5, 5, 5]], dtype=np.float32)
    url = upload_model(s3, "foreign/km/model.tar.gz", save_ndarray_list([centroids]))
    deploy(sm, "foreign-km", "kmeans", url)
    out = predict(rt, "foreign-km", [[4, 4, 6], [0.5, 0, -1]])
    assert [p["closest_cluster"] for p in out] == [1, 0]
    np.testing.assert_allclose(out[0]["distance_to_cluster"], np.sqrt(3), rtol=1e-5)


def test_a_corrupt_or_foreign_artifact_names_the_problem(clients):
    s3, sm, _ = clients
    good = write_linear_learner(np.ones((1, 2), dtype=np.float32), np.zeros(1, dtype=np.float32))
    cases = {
        "bad-truncated": (good[: len(good) // 2], "damaged zip archive"),
        "bad-pickle": (b"\x80\x04\x95" + b"\x00" * 20, "Python pickle"),
    }
    for name, (member, needle) in cases.items():
        url = upload_model(s3, "bad/%s/model.tar.gz" % name, member)
        deploy(sm, name, "linear-learner", url, wait=False)
        waiter = sm.get_waiter("endpoint_in_service")
        with pytest.raises(Exception):
            waiter.wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        ep = sm.describe_endpoint(EndpointName=name)
        assert ep["EndpointStatus"] == "Failed"
        assert needle in ep["FailureReason"], ep["FailureReason"]
