"""TrainingJobAnalytics of the SageMaker Python SDK v2 reads a training job's metrics from
CloudWatch (GetMetricStatistics on /aws/sagemaker/TrainingJobs, one series per metric definition)."""
import math

import numpy as np
import pytest
from sdk_v2_helpers import ROLE

BUCKET = "sdk-v2-analytics"


def test_training_job_analytics_reads_the_scraped_metrics(session):
    pytest.importorskip("pandas")
    from sagemaker import LinearLearner
    from sagemaker.analytics import TrainingJobAnalytics

    rng = np.random.default_rng(11)
    x = rng.normal(size=(400, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 1.5]) > 0).astype("float32")
    ll = LinearLearner(role=ROLE, instance_count=1, instance_type="ml.m5.large", predictor_type="binary_classifier", epochs=2, sagemaker_session=session)
    ll.fit(ll.record_set(x, labels=y, channel="train"), job_name="sdk-v2-analytics", logs=False)
    job = session.sagemaker_client.describe_training_job(TrainingJobName="sdk-v2-analytics")
    final = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    name = "train:objective_loss:final"
    assert name in final, final

    frame = TrainingJobAnalytics("sdk-v2-analytics", metric_names=[name], sagemaker_session=session).dataframe()
    assert list(frame["metric_name"].unique()) == [name]
    # Logged once, so the one-minute Average is the value itself.
    assert math.isclose(frame["value"].iloc[-1], final[name], rel_tol=1e-9)

    every = TrainingJobAnalytics("sdk-v2-analytics", sagemaker_session=session).dataframe()
    defined = {d["Name"] for d in job["AlgorithmSpecification"]["MetricDefinitions"]}
    assert set(every["metric_name"]) <= defined
    assert set(final) <= set(every["metric_name"])
