"""The SageMaker Python SDK v2's AutoML and AutoMLV2, unchanged: fit on a header CSV, the
candidates, best_candidate, attach, and deploy + predict of the best candidate."""
import time

import numpy as np
from sdk_v2_helpers import ROLE

BUCKET = "sdk-v2-automl"


def header_csv(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = (x @ np.array([1.0, -1.5, 0.5]) > 0).astype(int)
    lines = ["x1,x2,x3,label"] + ["%.5f,%.5f,%.5f,%d" % (r[0], r[1], r[2], t) for r, t in zip(x, y)]
    return x, y, "\n".join(lines) + "\n"


def test_automl_fit_candidates_attach_deploy(session):
    from sagemaker.automl.automl import AutoML

    x, y, text = header_csv(500, 4)  # AutoML's documented minimum
    session.default_bucket()  # creates the bucket
    data = session.upload_string_as_file_body(text, BUCKET, "automl/train.csv")
    automl = AutoML(
        role=ROLE,
        target_attribute_name="label",
        output_path="s3://%s/automl-out" % BUCKET,
        problem_type="BinaryClassification",
        job_objective={"MetricName": "Accuracy"},
        max_candidates=2,
        sagemaker_session=session,
    )
    automl.fit(inputs=data, job_name="sdk-v2-automl")  # wait=True, logs=True: the defaults
    desc = automl.describe_auto_ml_job()
    assert desc["AutoMLJobStatus"] == "Completed", desc.get("FailureReason")
    candidates = automl.list_candidates(sort_by="FinalObjectiveMetricValue", sort_order="Descending")
    assert len(candidates) == 2
    best = automl.best_candidate()
    assert best["FinalAutoMLJobObjectiveMetric"]["Value"] == candidates[0]["FinalAutoMLJobObjectiveMetric"]["Value"]

    attached = AutoML.attach("sdk-v2-automl", sagemaker_session=session)
    assert attached.target_attribute_name == "label"
    assert attached.best_candidate()["CandidateName"] == best["CandidateName"]

    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer

    # Without predictor_cls the SDK's PipelineModel.deploy returns None.
    predictor = automl.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-v2-automl", predictor_cls=Predictor)
    try:
        predictor.serializer = CSVSerializer()
        predictor.deserializer = JSONDeserializer()
        out = predictor.predict(x[:40])
        # The original labels, as the data set wrote them (the inverse label transform's answer).
        labels = np.array([int(p["predicted_label"]) for p in out["predictions"]])
        assert np.mean(labels == y[:40]) >= 0.85
    finally:
        predictor.delete_endpoint()


def test_automl_v2_tabular_regression_fit_attach(session):
    from sagemaker.automl.automlv2 import AutoMLDataChannel, AutoMLTabularConfig, AutoMLV2

    rng = np.random.default_rng(9)
    x = rng.normal(size=(500, 2))
    target = x @ np.array([2.0, -1.0]) + 0.5
    text = "u,v,price\n" + "".join("%.5f,%.5f,%.5f\n" % (a, b, t) for (a, b), t in zip(x, target))
    session.default_bucket()
    session.upload_string_as_file_body(text, BUCKET, "automl-v2/data.csv")
    automl = AutoMLV2(
        problem_config=AutoMLTabularConfig(target_attribute_name="price", problem_type="Regression", max_candidates=1, algorithms_config=["linear-learner"]),
        output_path="s3://%s/automl-v2-out" % BUCKET,
        job_objective={"MetricName": "RMSE"},
        validation_fraction=0.25,
        role=ROLE,
        sagemaker_session=session,
    )
    # wait=True fails inside this SDK whatever the service answers (AutoMLJobV2.wait passes
    # job_name= to Session.wait_for_auto_ml_job, which does not take it): wait by polling.
    automl.fit(inputs=[AutoMLDataChannel(s3_data_type="S3Prefix", s3_uri="s3://%s/automl-v2/" % BUCKET)], job_name="sdk-v2-automlv2", wait=False, logs=False)
    deadline = time.time() + 240
    while automl.describe_auto_ml_job()["AutoMLJobStatus"] in ("InProgress", "Stopping"):
        assert time.time() < deadline
        time.sleep(0.5)
    desc = automl.describe_auto_ml_job()
    assert desc["AutoMLJobStatus"] == "Completed", desc.get("FailureReason")
    assert desc["DataSplitConfig"] == {"ValidationFraction": 0.25}
    best = automl.best_candidate()
    assert best["FinalAutoMLJobObjectiveMetric"]["MetricName"] == "RMSE"
    # A noiseless linear target: the linear candidate's validation RMSE is small next to the target's spread.
    assert best["FinalAutoMLJobObjectiveMetric"]["Value"] < 0.35 * float(np.std(target))
    attached = AutoMLV2.attach("sdk-v2-automlv2", sagemaker_session=session)
    assert attached.problem_config.target_attribute_name == "price"
    assert attached.best_candidate()["CandidateName"] == best["CandidateName"]


def mixed_csv(n, seed):
    """Mixed columns as Autopilot users upload them: numbers, strings, free text, empty cells.
    churn ("yes"/"no") follows plan (basic and enterprise churn) and, a little, age."""
    rng = np.random.default_rng(seed)
    plans = np.array(["basic", "plus", "premium", "enterprise"])
    rows, labels = [], []
    for _ in range(n):
        age_z = rng.normal()
        plan = plans[rng.integers(4)]
        churn = "yes" if 3 * (1 if plan in ("basic", "enterprise") else -1) + age_z + 0.5 * rng.normal() > 0 else "no"
        age = "" if rng.random() < 0.05 else "%.1f" % (40 + 12 * age_z)
        note = '"late, again"' if rng.random() < 0.3 else ["renewed early", "no contact", "ticket %d" % rng.integers(10**9)][rng.integers(3)]
        rows.append([age, plan if rng.random() > 0.03 else "", ["north", "south"][rng.integers(2)], note, "%.2f" % (rng.random() * 500)])
        labels.append(churn)
    return rows, labels


def test_automl_mixed_columns_deploy_with_response_keys(session):
    """A string target and categorical columns: the problem type is inferred, and the deployed
    pipeline takes raw rows with strings and answers with the original labels and the keys asked for."""
    from sagemaker.automl.automl import AutoML
    from sagemaker.deserializers import CSVDeserializer
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer

    rows, labels = mixed_csv(600, 5)
    text = "age,plan,region,note,spend,churn\n" + "".join(",".join(r + [y]) + "\n" for r, y in zip(rows, labels))
    session.default_bucket()
    data = session.upload_string_as_file_body(text, BUCKET, "automl-mixed/train.csv")
    automl = AutoML(role=ROLE, target_attribute_name="churn", output_path="s3://%s/automl-mixed-out" % BUCKET, max_candidates=1, sagemaker_session=session)
    automl.fit(inputs=data, job_name="sdk-v2-automl-mixed", logs=False)
    desc = automl.describe_auto_ml_job()
    assert desc["AutoMLJobStatus"] == "Completed", desc.get("FailureReason")
    assert desc["ResolvedAttributes"]["ProblemType"] == "BinaryClassification"

    held, truth = mixed_csv(100, 6)
    # The SDK sets SAGEMAKER_INFERENCE_OUTPUT/INPUT on the containers that support the keys.
    predictor = automl.deploy(
        initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-v2-automl-mixed",
        inference_response_keys=["predicted_label", "probability"], predictor_cls=Predictor,
    )
    try:
        predictor.serializer = CSVSerializer()
        predictor.deserializer = CSVDeserializer()
        out = predictor.predict("\n".join(",".join(r) for r in held))
        assert len(out) == 100
        assert {row[0] for row in out} <= {"yes", "no"}
        assert all(0 <= float(row[1]) <= 1 for row in out)
        accuracy = np.mean([row[0] == y for row, y in zip(out, truth)])
        # What ignoring the categorical columns allows: the best threshold on age, chosen on these rows.
        ages = np.array([float(r[0]) if r[0] else 40.0 for r in held])
        yes = np.array([y == "yes" for y in truth])
        baseline = max(max(np.mean((ages > t) == yes), np.mean((ages > t) != yes)) for t in np.append(ages, -np.inf))
        assert baseline < 0.75, baseline
        assert accuracy >= 0.88 and accuracy > baseline + 0.15, (accuracy, baseline)
    finally:
        predictor.delete_endpoint()
