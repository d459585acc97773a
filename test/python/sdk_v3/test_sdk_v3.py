"""The SageMaker Python SDK v3: sagemaker-core resources (TrainingJob.create, Model,
EndpointConfig, Endpoint.invoke) and ModelTrainer, with the built-in linear-learner."""
import json

import pytest
from sdk_v3_helpers import IMAGE, ROLE, csv_body, separable_rows


@pytest.fixture(scope="module")
def boto_session(aws_env):
    # sagemaker-core builds its own boto3 clients: AWS_ENDPOINT_URL routes them all.
    import boto3

    session = boto3.Session(region_name="us-east-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="sdk-v3")
    rows = separable_rows(1000, seed=4)
    s3.put_object(Bucket="sdk-v3", Key="train/data.csv", Body=csv_body(rows[:800]))
    session.test_rows = rows[800:]
    return session


def test_core_resources_train_deploy_invoke(boto_session):
    from sagemaker.core.resources import Endpoint, EndpointConfig, Model, TrainingJob
    from sagemaker.core.shapes import (
        AlgorithmSpecification,
        Channel,
        ContainerDefinition,
        DataSource,
        OutputDataConfig,
        ProductionVariant,
        ResourceConfig,
        S3DataSource,
        StoppingCondition,
    )

    job = TrainingJob.create(
        training_job_name="sdk-v3-core",
        role_arn=ROLE,
        algorithm_specification=AlgorithmSpecification(training_image=IMAGE, training_input_mode="File"),
        input_data_config=[
            Channel(
                channel_name="train",
                content_type="text/csv",
                data_source=DataSource(s3_data_source=S3DataSource(s3_data_type="S3Prefix", s3_uri="s3://sdk-v3/train/", s3_data_distribution_type="FullyReplicated")),
            )
        ],
        output_data_config=OutputDataConfig(s3_output_path="s3://sdk-v3/output"),
        resource_config=ResourceConfig(instance_type="ml.m5.large", instance_count=1, volume_size_in_gb=10),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=600),
        hyper_parameters={"predictor_type": "binary_classifier", "feature_dim": "4", "epochs": "6", "mini_batch_size": "100"},
        session=boto_session,
        region="us-east-1",
    )
    job.wait(poll=1, timeout=120)
    job.refresh()
    assert job.training_job_status == "Completed", job.failure_reason
    assert [t.status for t in job.secondary_status_transitions] == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert {m.metric_name for m in job.final_metric_data_list} >= {"train:objective_loss"} or len(job.final_metric_data_list) > 0

    Model.create(
        model_name="sdk-v3-core",
        primary_container=ContainerDefinition(image=IMAGE, model_data_url=job.model_artifacts.s3_model_artifacts),
        execution_role_arn=ROLE,
        session=boto_session,
        region="us-east-1",
    )
    EndpointConfig.create(
        endpoint_config_name="sdk-v3-core",
        production_variants=[ProductionVariant(variant_name="AllTraffic", model_name="sdk-v3-core", initial_instance_count=1, instance_type="ml.m5.large")],
        session=boto_session,
        region="us-east-1",
    )
    endpoint = Endpoint.create(endpoint_name="sdk-v3-core", endpoint_config_name="sdk-v3-core", session=boto_session, region="us-east-1")
    endpoint.wait_for_status("InService", poll=1, timeout=60)
    body = "\n".join(",".join(map(str, x)) for _, x in boto_session.test_rows)
    response = endpoint.invoke(body=body, content_type="text/csv", accept="application/json")
    predictions = json.loads(response.body.read())["predictions"]
    accuracy = sum(p["predicted_label"] == y for p, (y, _) in zip(predictions, boto_session.test_rows)) / len(predictions)
    assert accuracy > 0.95
    endpoint.delete()


def test_model_trainer_with_the_built_in_image(boto_session):
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig, StoppingCondition
    from sagemaker.train.model_trainer import ModelTrainer

    session = Session(boto_session=boto_session, default_bucket="sdk-v3")
    trainer = ModelTrainer(
        training_image=IMAGE,
        role=ROLE,
        sagemaker_session=session,
        base_job_name="sdk-v3-trainer",
        compute=Compute(instance_type="ml.m5.large", instance_count=1),
        hyperparameters={"predictor_type": "binary_classifier", "feature_dim": "4", "epochs": "4"},
        input_data_config=[InputData(channel_name="train", data_source="s3://sdk-v3/train/", content_type="text/csv")],
        output_data_config=OutputDataConfig(s3_output_path="s3://sdk-v3/trainer-output"),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=600),
    )
    trainer.train(wait=True, logs=False)
    job = trainer._latest_training_job
    job.refresh()
    assert job.training_job_status == "Completed", job.failure_reason
    assert job.model_artifacts.s3_model_artifacts.startswith("s3://sdk-v3/trainer-output/")
    s3 = boto_session.client("s3")
    key = job.model_artifacts.s3_model_artifacts.split("s3://sdk-v3/", 1)[1]
    assert s3.head_object(Bucket="sdk-v3", Key=key)["ContentLength"] > 0
