"""sagemaker-core (SDK v3) resources, unchanged: AutoMLJobV2 create / wait / refresh and its
candidates, and InferenceRecommendationsJob on the best candidate's model."""
import gzip
import io
import tarfile

import pytest
from sdk_v3_helpers import ROLE, separable_rows

BUCKET = "sdk-v3-automl"


@pytest.fixture(scope="module")
def boto_session(aws_env):
    import boto3

    session = boto3.Session(region_name="us-east-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    rows = separable_rows(500, seed=21)  # AutoML's documented minimum
    body = "f1,f2,f3,f4,label\n" + "".join("%s,%d\n" % (",".join("%.5f" % v for v in x), y) for y, x in rows)
    s3.put_object(Bucket=BUCKET, Key="in/data.csv", Body=body.encode())
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        payload = ("\n".join(",".join("%.5f" % v for v in x) for _, x in rows[:5])).encode()
        info = tarfile.TarInfo("payload.csv")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    s3.put_object(Bucket=BUCKET, Key="payload/payload.tar.gz", Body=archive.getvalue())
    return session


def test_automl_job_v2_and_inference_recommendations(boto_session):
    from sagemaker.core.resources import AutoMLJobV2, InferenceRecommendationsJob, Model
    from sagemaker.core.shapes import (
        AutoMLDataSource,
        AutoMLJobChannel,
        AutoMLJobCompletionCriteria,
        AutoMLJobObjective,
        AutoMLOutputDataConfig,
        AutoMLProblemTypeConfig,
        AutoMLS3DataSource,
        ContainerDefinition,
        RecommendationJobContainerConfig,
        RecommendationJobInputConfig,
        RecommendationJobPayloadConfig,
        TabularJobConfig,
    )

    job = AutoMLJobV2.create(
        auto_ml_job_name="sdk-v3-automl",
        auto_ml_job_input_data_config=[AutoMLJobChannel(channel_type="training", content_type="text/csv;header=present",
                                                        data_source=AutoMLDataSource(s3_data_source=AutoMLS3DataSource(s3_data_type="S3Prefix", s3_uri="s3://%s/in/" % BUCKET)))],
        output_data_config=AutoMLOutputDataConfig(s3_output_path="s3://%s/out" % BUCKET),
        auto_ml_problem_type_config=AutoMLProblemTypeConfig(tabular_job_config=TabularJobConfig(
            target_attribute_name="label", problem_type="BinaryClassification", completion_criteria=AutoMLJobCompletionCriteria(max_candidates=2))),
        auto_ml_job_objective=AutoMLJobObjective(metric_name="Accuracy"),
        role_arn=ROLE,
        session=boto_session,
    )
    job.wait(poll=1, timeout=300)
    job.refresh()
    assert job.auto_ml_job_status == "Completed", job.failure_reason
    best = job.best_candidate
    assert best.final_auto_ml_job_objective_metric.metric_name == "Accuracy"
    assert best.final_auto_ml_job_objective_metric.value >= 0.8
    # The candidate's serial inference pipeline: data processing, algorithm, inverse label transform.
    assert len(best.inference_containers) == 3
    containers = [ContainerDefinition(image=c.image, model_data_url=c.model_data_url, environment=c.environment) for c in best.inference_containers]

    Model.create(model_name="sdk-v3-automl-best", containers=containers, execution_role_arn=ROLE, session=boto_session)
    rec = InferenceRecommendationsJob.create(
        job_name="sdk-v3-recommend",
        job_type="Default",
        role_arn=ROLE,
        input_config=RecommendationJobInputConfig(
            model_name="sdk-v3-automl-best",
            container_config=RecommendationJobContainerConfig(
                payload_config=RecommendationJobPayloadConfig(sample_payload_url="s3://%s/payload/payload.tar.gz" % BUCKET, supported_content_types=["text/csv"]),
                supported_instance_types=["ml.m5.large", "ml.c5.xlarge"])),
        session=boto_session,
    )
    rec.wait(poll=1, timeout=300)
    rec.refresh()
    assert rec.status == "COMPLETED", rec.failure_reason
    types = [r.endpoint_configuration.instance_type for r in rec.inference_recommendations]
    assert types == ["ml.m5.large", "ml.c5.xlarge"]
    for r in rec.inference_recommendations:
        assert r.metrics.max_invocations > 0
        assert abs(r.metrics.cost_per_inference - r.metrics.cost_per_hour / (r.metrics.max_invocations * 60)) < 1e-12
