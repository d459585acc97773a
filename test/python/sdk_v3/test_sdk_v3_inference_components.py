"""The SageMaker Python SDK v3 (sagemaker-core) resources for inference components:
EndpointConfig with an execution role and no model, InferenceComponent.create / wait_for_status /
update_runtime_configs / get_all / delete, and Endpoint.invoke with inference_component_name."""
import json
import random

from sdk_v3_helpers import IMAGE, ROLE


def test_inference_component_resources(aws_env):
    import boto3
    from sagemaker.core.resources import Endpoint, EndpointConfig, InferenceComponent, Model, TrainingJob
    from sagemaker.core.shapes import (AlgorithmSpecification, Channel, ContainerDefinition, DataSource,
                                       InferenceComponentComputeResourceRequirements, InferenceComponentRuntimeConfig,
                                       InferenceComponentSpecification, OutputDataConfig, ProductionVariant,
                                       ResourceConfig, S3DataSource, StoppingCondition)

    session = boto3.Session(region_name="us-east-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="sdk-v3-components")
    rnd = random.Random(12)
    rows = [[rnd.uniform(-1, 1) for _ in range(3)] for _ in range(400)]
    labels = [int(a - b + c > 0) for a, b, c in rows]
    s3.put_object(Bucket="sdk-v3-components", Key="train/data.csv",
                  Body="".join(f"{y},{a},{b},{c}\n" for y, (a, b, c) in zip(labels, rows)).encode())
    job = TrainingJob.create(
        training_job_name="sdk-v3-components", role_arn=ROLE,
        algorithm_specification=AlgorithmSpecification(training_image=IMAGE, training_input_mode="File"),
        input_data_config=[Channel(channel_name="train", content_type="text/csv", data_source=DataSource(
            s3_data_source=S3DataSource(s3_data_type="S3Prefix", s3_uri="s3://sdk-v3-components/train/")))],
        output_data_config=OutputDataConfig(s3_output_path="s3://sdk-v3-components/output"),
        resource_config=ResourceConfig(instance_type="ml.m5.large", instance_count=1, volume_size_in_gb=10),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=600),
        hyper_parameters={"predictor_type": "binary_classifier", "feature_dim": "3", "epochs": "4"},
        session=session, region="us-east-1",
    )
    job.wait(poll=1)
    Model.create(model_name="sdk-v3-ic-model", execution_role_arn=ROLE,
                 primary_container=ContainerDefinition(image=IMAGE, model_data_url=job.model_artifacts.s3_model_artifacts),
                 session=session, region="us-east-1")
    EndpointConfig.create(endpoint_config_name="sdk-v3-ic", execution_role_arn=ROLE, production_variants=[
        ProductionVariant(variant_name="AllTraffic", instance_type="ml.m5.xlarge", initial_instance_count=1)], session=session, region="us-east-1")
    endpoint = Endpoint.create(endpoint_name="sdk-v3-ic", endpoint_config_name="sdk-v3-ic", session=session, region="us-east-1")
    endpoint.wait_for_status("InService", poll=1)

    component = InferenceComponent.create(
        inference_component_name="sdk-v3-comp", endpoint_name="sdk-v3-ic", variant_name="AllTraffic",
        specification=InferenceComponentSpecification(model_name="sdk-v3-ic-model", compute_resource_requirements=InferenceComponentComputeResourceRequirements(
            number_of_cpu_cores_required=1, min_memory_required_in_mb=1024)),
        runtime_config=InferenceComponentRuntimeConfig(copy_count=1), session=session, region="us-east-1")
    component.wait_for_status("InService", poll=1)
    assert component.runtime_config.current_copy_count == 1

    body = "".join(",".join(map(str, r)) + "\n" for r in rows[:40])
    out = endpoint.invoke(body=body, content_type="text/csv", accept="application/json", inference_component_name="sdk-v3-comp")
    predicted = [p["predicted_label"] for p in json.loads(out.body.read())["predictions"]]
    assert sum(p == y for p, y in zip(predicted, labels[:40])) >= 36

    component.update_runtime_configs(desired_runtime_config=InferenceComponentRuntimeConfig(copy_count=2))
    component.wait_for_status("InService", poll=1)
    component.refresh()
    assert component.runtime_config.desired_copy_count == 2
    assert component.runtime_config.current_copy_count == 2
    assert [c.inference_component_name for c in InferenceComponent.get_all(endpoint_name_equals="sdk-v3-ic", session=session, region="us-east-1")] == ["sdk-v3-comp"]
    component.delete()
    component.wait_for_delete(poll=1)
