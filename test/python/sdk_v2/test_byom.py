"""Bring your own model with the SageMaker Python SDK v2: the scikit-learn and XGBoost framework
images in script mode (SKLearn, SKLearnModel), the XGBoost image in algorithm mode (generic
Estimator and Model) checked against xgboost run directly on the same data, and a script error.

The framework images run in the Python environments `localsage frameworks install` makes; where
they are missing these tests skip (CI sets LOCALSAGE_REQUIRE_PYTHON=1, which makes that a failure).
"""
import io
import json
import os
import subprocess
import tarfile

import numpy as np
import pytest
from localsage_helpers import framework_python
from sdk_v2_helpers import ROLE

BUCKET = "byom-v2"
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "byom_scripts")



@pytest.fixture(scope="module")
def sklearn_python():
    return framework_python("sklearn", "import sklearn, joblib")


@pytest.fixture(scope="module")
def xgboost_python():
    return framework_python("xgboost", "import xgboost")


def separable(n, d, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    x = rng.normal(size=(n, d))
    y = (x @ w + 0.1 * rng.normal(size=n) > 0).astype(float)
    return x, y


def upload_csv(session, key, array):
    buf = io.StringIO()
    np.savetxt(buf, array, delimiter=",", fmt="%.6f")
    session.default_bucket()
    session.boto_session.client("s3").put_object(Bucket="byom-v2", Key=key, Body=buf.getvalue().encode())
    return "s3://byom-v2/" + key


def test_sklearn_script_train_deploy_predict(session, sklearn_python):
    from sagemaker.sklearn import SKLearn

    x, y = separable(400, 4, 1)
    train = upload_csv(session, "sk/train/data.csv", np.column_stack([y, x]))
    est = SKLearn(
        entry_point="train.py",
        source_dir=SCRIPTS,
        framework_version="1.2-1",
        role=ROLE,
        instance_type="ml.m5.large",
        instance_count=1,
        hyperparameters={"C": 0.5, "max_iter": 200},
        metric_definitions=[{"Name": "train:accuracy", "Regex": "train_accuracy=([0-9.]+)"}],
        sagemaker_session=session,
    )
    est.fit({"train": train}, job_name="byom-sk-train")
    job = session.sagemaker_client.describe_training_job(TrainingJobName="byom-sk-train")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    accuracy = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}["train:accuracy"]
    assert accuracy > 0.9

    # The artifact is the model dir, packed: the script's env.json shows what the toolkit set.
    bucket, key = job["ModelArtifacts"]["S3ModelArtifacts"][5:].split("/", 1)
    body = session.boto_session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert sorted(tar.getnames()) == ["env.json", "model.joblib"]
        env = json.load(tar.extractfile("env.json"))
    assert json.loads(env["SM_HPS"]) == {"C": 0.5, "max_iter": 200}
    assert json.loads(env["SM_USER_ARGS"]) == ["--C", "0.5", "--max_iter", "200"]
    assert json.loads(env["SM_CHANNELS"]) == ["train"] and env["SM_CURRENT_HOST"] == "algo-1" and env["SM_HP_C"] == "0.5"

    predictor = est.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="byom-sk")
    try:
        # SKLearnPredictor: application/x-npy both ways, through the container's default handlers.
        predicted = predictor.predict(x[:50])
        assert predicted.shape == (50,)
        assert (predicted == y[:50]).mean() > 0.9
    finally:
        predictor.delete_endpoint()


def test_sklearn_pretrained_model_deploy_and_worker_crash(session, sklearn_python, tmp_path):
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.serializers import JSONSerializer
    from sagemaker.sklearn import SKLearnModel

    # A model trained outside localsage, with scikit-learn run directly.
    x, y = separable(300, 3, 2)
    np.savetxt(tmp_path / "train.csv", np.column_stack([y, x]), delimiter=",")
    fit = (
        "import joblib, numpy as np, sys\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "d = np.loadtxt(sys.argv[1], delimiter=',')\n"
        "m = LogisticRegression().fit(d[:, 1:], d[:, 0])\n"
        "joblib.dump(m, sys.argv[2])\n"
        "np.savetxt(sys.argv[3], m.predict_proba(d[:20, 1:])[:, 1])\n"
    )
    subprocess.run([sklearn_python, "-c", fit, str(tmp_path / "train.csv"), str(tmp_path / "model.joblib"), str(tmp_path / "expected.txt")], check=True)
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "model.joblib", arcname="model.joblib")
    session.default_bucket()  # creates the bucket when this test runs alone
    model_data = session.upload_data(str(tmp_path / "model.tar.gz"), bucket="byom-v2", key_prefix="pretrained")

    model = SKLearnModel(
        model_data=model_data,
        entry_point="inference.py",
        source_dir=SCRIPTS,
        framework_version="1.2-1",
        role=ROLE,
        sagemaker_session=session,
    )
    predictor = model.deploy(
        initial_instance_count=1,
        instance_type="ml.m5.large",
        endpoint_name="byom-sk-pretrained",
        serializer=JSONSerializer(),
        deserializer=JSONDeserializer(),
    )
    try:
        out = predictor.predict({"instances": x[:20].tolist()})
        np.testing.assert_allclose(out["probabilities"], np.loadtxt(tmp_path / "expected.txt"), rtol=1e-6)

        # A handler error is the container's 500, which SageMaker reports as ModelError 424.
        rt = session.sagemaker_runtime_client
        with pytest.raises(rt.exceptions.ModelError) as err:
            rt.invoke_endpoint(EndpointName="byom-sk-pretrained", Body=b"1,2,3", ContentType="text/csv")
        assert err.value.response["OriginalStatusCode"] == 500
        assert "expected application/json" in err.value.response["OriginalMessage"]

        # A worker that dies is restarted; the endpoint serves again and the log says what happened.
        with pytest.raises(rt.exceptions.ModelError):
            predictor.predict("crash")
        for _ in range(600):
            try:
                again = predictor.predict({"instances": x[:2].tolist()})
                break
            except rt.exceptions.ModelError:
                import time

                time.sleep(0.2)
        assert len(again["probabilities"]) == 2
        logs = session.boto_session.client("logs")
        events = logs.filter_log_events(logGroupName="/aws/sagemaker/Endpoints/byom-sk-pretrained")["events"]
        assert any("exited with code 7; restarting it" in e["message"] for e in events)
    finally:
        predictor.delete_endpoint()


def test_script_error_becomes_failure_reason(session, sklearn_python):
    from sagemaker.sklearn import SKLearn

    x, y = separable(20, 2, 3)
    train = upload_csv(session, "sk-fail/train/data.csv", np.column_stack([y, x]))
    est = SKLearn(entry_point="fail.py", source_dir=SCRIPTS, framework_version="1.2-1", role=ROLE,
                  instance_type="ml.m5.large", instance_count=1, sagemaker_session=session)
    with pytest.raises(Exception):
        est.fit({"train": train}, job_name="byom-sk-fail")
    job = session.sagemaker_client.describe_training_job(TrainingJobName="byom-sk-fail")
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("AlgorithmError: ExecuteUserScriptError:\nExitCode 1\n")
    assert "ValueError: the data has no label column" in job["FailureReason"]


def test_xgboost_algorithm_mode_matches_xgboost_run_directly(session, xgboost_python, tmp_path):
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.serializers import CSVSerializer

    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 5))
    y = x[:, 0] * 2 - x[:, 1] + 0.1 * rng.normal(size=300)
    data = np.column_stack([y, x])
    train = upload_csv(session, "xgb/train/train.csv", data)
    image = image_uris.retrieve("xgboost", "us-east-1", "1.7-1")
    hps = {"num_round": 25, "max_depth": 3, "eta": 0.3, "objective": "reg:squarederror"}
    est = Estimator(image_uri=image, role=ROLE, instance_count=1, instance_type="ml.m5.large", hyperparameters=hps, sagemaker_session=session)
    est.fit({"train": TrainingInput(train, content_type="text/csv")}, job_name="byom-xgb")
    job = session.sagemaker_client.describe_training_job(TrainingJobName="byom-xgb")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert "train:rmse" in {m["MetricName"] for m in job["FinalMetricDataList"]}

    # xgboost itself, on the same CSV (as written to S3) and the same parameters.
    np.savetxt(tmp_path / "train.csv", data, delimiter=",", fmt="%.6f")
    direct = (
        "import numpy as np, xgboost as xgb, sys\n"
        "d = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32)\n"
        "b = xgb.train({'max_depth': 3, 'eta': 0.3, 'objective': 'reg:squarederror'}, xgb.DMatrix(d[:, 1:], label=d[:, 0]), num_boost_round=25)\n"
        "np.savetxt(sys.argv[2], b.predict(xgb.DMatrix(d[:10, 1:])))\n"
    )
    subprocess.run([xgboost_python, "-c", direct, str(tmp_path / "train.csv"), str(tmp_path / "expected.txt")], check=True)
    expected = np.loadtxt(tmp_path / "expected.txt")

    # The generic Model, as one would deploy an artifact trained elsewhere.
    from sagemaker.model import Model
    from sagemaker.predictor import Predictor

    model = Model(image_uri=image, model_data=job["ModelArtifacts"]["S3ModelArtifacts"], role=ROLE, sagemaker_session=session)
    model.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="byom-xgb")
    predictor = Predictor("byom-xgb", sagemaker_session=session, serializer=CSVSerializer())
    try:
        rows = np.loadtxt(tmp_path / "train.csv", delimiter=",")[:10, 1:]
        csv_out = predictor.predict(rows).decode()
        np.testing.assert_allclose([float(v) for v in csv_out.split(",")], expected, rtol=1e-5)
        # libsvm, as the real container accepts it (a leading label is ignored).
        libsvm = "\n".join("0 " + " ".join("%d:%.6f" % (j, v) for j, v in enumerate(r)) for r in rows)
        rt = session.sagemaker_runtime_client
        out = rt.invoke_endpoint(EndpointName="byom-xgb", Body=libsvm.encode(), ContentType="text/libsvm")["Body"].read().decode()
        np.testing.assert_allclose([float(v) for v in out.split(",")], expected, rtol=1e-5)
    finally:
        predictor.delete_endpoint()


def test_xgboost_script_mode_with_the_default_handlers(session, xgboost_python):
    from sagemaker.serializers import CSVSerializer
    from sagemaker.xgboost import XGBoost

    rng = np.random.default_rng(6)
    x = rng.normal(size=(200, 3))
    y = 3 * x[:, 0] + 0.05 * rng.normal(size=200)
    upload_csv(session, "xgb-script/train/train.csv", np.column_stack([y, x]))
    est = XGBoost(entry_point="xgb_train.py", source_dir=SCRIPTS, framework_version="1.7-1", role=ROLE,
                  instance_type="ml.m5.large", instance_count=1, hyperparameters={"num_round": 30}, sagemaker_session=session)
    est.fit({"train": "s3://byom-v2/xgb-script/train/"}, job_name="byom-xgb-script")
    predictor = est.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="byom-xgb-script", serializer=CSVSerializer())
    try:
        out = np.array(predictor.predict(x[:20]), dtype=float).ravel()  # XGBoostPredictor parses the CSV
        assert np.abs(out - y[:20]).mean() < 0.5
    finally:
        predictor.delete_endpoint()


def test_xgboost_algorithm_mode_refuses_bad_hyperparameters(session, xgboost_python):
    from sagemaker import image_uris

    train = upload_csv(session, "xgb-bad/train/train.csv", np.array([[1.0, 2.0], [0.0, 1.0]]))
    sm = session.sagemaker_client
    for name, hps, reason in [
        ("byom-xgb-no-rounds", {"max_depth": "3"}, "ClientError: Missing required hyperparameter: num_round"),
        ("byom-xgb-unknown", {"num_round": "2", "depth_max": "3"}, "ClientError: Hyperparameter depth_max is not a valid hyperparameter of the XGBoost algorithm"),
    ]:
        sm.create_training_job(
            TrainingJobName=name,
            AlgorithmSpecification={"TrainingImage": image_uris.retrieve("xgboost", "us-east-1", "1.7-1"), "TrainingInputMode": "File"},
            RoleArn=ROLE,
            HyperParameters=hps,
            InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": train}}}],
            OutputDataConfig={"S3OutputPath": "s3://byom-v2/out"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 600},
        )
        import time

        while (job := sm.describe_training_job(TrainingJobName=name))["TrainingJobStatus"] == "InProgress":
            time.sleep(0.5)
        assert job["TrainingJobStatus"] == "Failed"
        assert job["FailureReason"] == reason
