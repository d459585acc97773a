"""The SageMaker Python SDK v3 (sagemaker-core): TransformJob.create and wait, and an
asynchronous endpoint's invoke_async, against the emulator."""
import json
import random

import pytest
from sdk_v3_helpers import IMAGE, ROLE



@pytest.fixture(scope="module")
def trained(aws_env):
    import boto3
    from sagemaker.core.resources import Model, TrainingJob
    from sagemaker.core.shapes import (AlgorithmSpecification, Channel, ContainerDefinition, DataSource,
                                       OutputDataConfig, ResourceConfig, S3DataSource, StoppingCondition)

    session = boto3.Session(region_name="us-east-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="sdk-v3-inf")
    rnd = random.Random(6)
    rows = [[rnd.uniform(-1, 1) for _ in range(3)] for _ in range(600)]
    s3.put_object(Bucket="sdk-v3-inf", Key="train/data.csv",
                  Body="".join(f"{int(a - b + c > 0)},{a},{b},{c}\n" for a, b, c in rows[:500]).encode())
    job = TrainingJob.create(
        training_job_name="sdk-v3-inf", role_arn=ROLE,
        algorithm_specification=AlgorithmSpecification(training_image=IMAGE, training_input_mode="File"),
        input_data_config=[Channel(channel_name="train", content_type="text/csv", data_source=DataSource(
            s3_data_source=S3DataSource(s3_data_type="S3Prefix", s3_uri="s3://sdk-v3-inf/train/")))],
        output_data_config=OutputDataConfig(s3_output_path="s3://sdk-v3-inf/output"),
        resource_config=ResourceConfig(instance_type="ml.m5.large", instance_count=1, volume_size_in_gb=10),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=600),
        hyper_parameters={"predictor_type": "binary_classifier", "feature_dim": "3", "epochs": "4"},
        session=session, region="us-east-1",
    )
    job.wait(poll=1)
    Model.create(model_name="sdk-v3-inf", execution_role_arn=ROLE,
                 primary_container=ContainerDefinition(image=IMAGE, model_data_url=job.model_artifacts.s3_model_artifacts),
                 session=session, region="us-east-1")
    return session, s3, rows[500:]


def test_transform_job_create_and_wait(trained):
    from sagemaker.core.resources import TransformJob
    from sagemaker.core.shapes import TransformDataSource, TransformInput, TransformOutput, TransformResources, TransformS3DataSource

    session, s3, rows = trained
    s3.put_object(Bucket="sdk-v3-inf", Key="batch/rows.csv", Body="".join(",".join(map(str, r)) + "\n" for r in rows).encode())
    job = TransformJob.create(
        transform_job_name="sdk-v3-batch", model_name="sdk-v3-inf", batch_strategy="MultiRecord",
        transform_input=TransformInput(data_source=TransformDataSource(s3_data_source=TransformS3DataSource(
            s3_data_type="S3Prefix", s3_uri="s3://sdk-v3-inf/batch/")), content_type="text/csv", split_type="Line"),
        transform_output=TransformOutput(s3_output_path="s3://sdk-v3-inf/batch-out", accept="application/jsonlines", assemble_with="Line"),
        transform_resources=TransformResources(instance_type="ml.m5.large", instance_count=1),
        session=session, region="us-east-1",
    )
    job.wait(poll=1)
    assert job.transform_job_status == "Completed"
    out = s3.get_object(Bucket="sdk-v3-inf", Key="batch-out/rows.csv.out")["Body"].read().decode().splitlines()
    labels = [json.loads(line)["predicted_label"] for line in out]
    truth = [int(a - b + c > 0) for a, b, c in rows]
    assert len(labels) == len(truth)
    assert sum(p == t for p, t in zip(labels, truth)) / len(truth) > 0.9


def test_async_endpoint_invoke_async(trained):
    from sagemaker.core.resources import Endpoint, EndpointConfig
    from sagemaker.core.shapes import AsyncInferenceConfig, AsyncInferenceOutputConfig, ProductionVariant

    session, s3, rows = trained
    EndpointConfig.create(endpoint_config_name="sdk-v3-async", production_variants=[ProductionVariant(
        variant_name="AllTraffic", model_name="sdk-v3-inf", initial_instance_count=1, instance_type="ml.m5.large")],
        async_inference_config=AsyncInferenceConfig(output_config=AsyncInferenceOutputConfig(s3_output_path="s3://sdk-v3-inf/async")),
        session=session, region="us-east-1")
    endpoint = Endpoint.create(endpoint_name="sdk-v3-async", endpoint_config_name="sdk-v3-async", session=session, region="us-east-1")
    endpoint.wait_for_status("InService", poll=1)
    s3.put_object(Bucket="sdk-v3-inf", Key="async-in/one.csv", Body=b"0.9,-0.9,0.5\n")
    out = endpoint.invoke_async(input_location="s3://sdk-v3-inf/async-in/one.csv", content_type="text/csv", accept="application/json")
    key = out.output_location.split("/", 3)[3]
    s3.get_waiter("object_exists").wait(Bucket="sdk-v3-inf", Key=key, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    assert json.loads(s3.get_object(Bucket="sdk-v3-inf", Key=key)["Body"].read())["predictions"][0]["predicted_label"] == 1
