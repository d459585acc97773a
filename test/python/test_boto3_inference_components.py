"""boto3 against inference components and a shadow test: an endpoint that hosts components,
a linear-learner component invoked by its name, its copies scaled, the runtime's exact
refusals, and an inference experiment run from start to stop."""
import json
import random
import time

import boto3
import pytest
from botocore.exceptions import ClientError

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
ARN = "arn:aws:sagemaker:us-east-1:000000000000"


def settle(describe, status_key, passing):
    for _ in range(600):
        d = describe()
        if d[status_key] not in passing:
            return d
        time.sleep(0.1)
    raise AssertionError(f"still {passing}")


@pytest.fixture(scope="module")
def aws(session_kwargs):
    s3, sm, rt = (boto3.client(n, **session_kwargs) for n in ("s3", "sagemaker", "sagemaker-runtime"))
    rnd = random.Random(11)
    rows = [[rnd.uniform(-1, 1) for _ in range(3)] for _ in range(300)]
    labels = [int(a + 2 * b - c > 0) for a, b, c in rows]
    s3.create_bucket(Bucket="boto3-components")
    s3.put_object(Bucket="boto3-components", Key="train/data.csv",
                  Body="".join(f"{y},{a},{b},{c}\n" for y, (a, b, c) in zip(labels, rows)).encode())
    sm.create_training_job(
        TrainingJobName="boto3-components", AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"}, RoleArn=ROLE,
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv",
                          "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://boto3-components/train/"}}}],
        OutputDataConfig={"S3OutputPath": "s3://boto3-components/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters={"predictor_type": "binary_classifier", "feature_dim": "3", "epochs": "3"},
    )
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName="boto3-components", WaiterConfig={"Delay": 1})
    artifact = sm.describe_training_job(TrainingJobName="boto3-components")["ModelArtifacts"]["S3ModelArtifacts"]
    for model in ("boto3-ic-model", "boto3-shadow-model"):
        sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE, "ModelDataUrl": artifact})
    return sm, rt, rows, labels


def test_component_lifecycle_and_invocation(aws):
    sm, rt, rows, labels = aws
    sm.create_endpoint_config(EndpointConfigName="boto3-ic", ExecutionRoleArn=ROLE, ProductionVariants=[
        {"VariantName": "AllTraffic", "InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 1,
         "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 2}}])
    sm.create_endpoint(EndpointName="boto3-ic", EndpointConfigName="boto3-ic")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="boto3-ic", WaiterConfig={"Delay": 1})
    arn = sm.create_inference_component(
        InferenceComponentName="boto3-comp", EndpointName="boto3-ic", VariantName="AllTraffic",
        Specification={"ModelName": "boto3-ic-model", "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1})["InferenceComponentArn"]
    assert arn == f"{ARN}:inference-component/boto3-comp"
    d = settle(lambda: sm.describe_inference_component(InferenceComponentName="boto3-comp"), "InferenceComponentStatus", ("Creating",))
    assert d["InferenceComponentStatus"] == "InService"
    assert d["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 1}
    assert d["Specification"]["ModelName"] == "boto3-ic-model"

    body = "".join(",".join(map(str, r)) + "\n" for r in rows[:50])
    out = rt.invoke_endpoint(EndpointName="boto3-ic", InferenceComponentName="boto3-comp", Body=body.encode(),
                             ContentType="text/csv", Accept="application/json")
    assert out["InvokedProductionVariant"] == "AllTraffic"
    predicted = [p["predicted_label"] for p in json.loads(out["Body"].read())["predictions"]]
    assert sum(p == y for p, y in zip(predicted, labels[:50])) >= 45

    with pytest.raises(ClientError) as err:
        rt.invoke_endpoint(EndpointName="boto3-ic", Body=b"1,2,3", ContentType="text/csv")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["Error"]["Message"].startswith("Inference Component Name header is required")

    listed = sm.list_inference_components(EndpointNameEquals="boto3-ic", StatusEquals="InService")["InferenceComponents"]
    assert [c["InferenceComponentName"] for c in listed] == ["boto3-comp"]

    sm.update_inference_component_runtime_config(InferenceComponentName="boto3-comp", DesiredRuntimeConfig={"CopyCount": 3})
    d = settle(lambda: sm.describe_inference_component(InferenceComponentName="boto3-comp"), "InferenceComponentStatus", ("Updating",))
    assert d["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 3}

    sm.delete_inference_component(InferenceComponentName="boto3-comp")
    with pytest.raises(ClientError) as err:
        rt.invoke_endpoint(EndpointName="boto3-ic", InferenceComponentName="boto3-comp", Body=b"1,2,3", ContentType="text/csv")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as err:
        sm.create_inference_component(InferenceComponentName="x", EndpointName="boto3-ic",
                                      Specification={"ModelName": "nope", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 128}},
                                      RuntimeConfig={"CopyCount": 1})
    assert err.value.response["Error"]["Message"] == f'Could not find model "{ARN}:model/nope".'


def test_shadow_experiment_runs_and_stops(aws):
    sm, rt, rows, _ = aws
    sm.create_endpoint_config(EndpointConfigName="boto3-shadowed", ProductionVariants=[
        {"VariantName": "Prod", "ModelName": "boto3-ic-model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="boto3-shadowed", EndpointConfigName="boto3-shadowed")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="boto3-shadowed", WaiterConfig={"Delay": 1})
    infra = {"InfrastructureType": "RealTimeInference", "RealTimeInferenceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}
    sm.create_inference_experiment(
        Name="boto3-exp", Type="ShadowMode", RoleArn=ROLE, EndpointName="boto3-shadowed",
        ModelVariants=[{"ModelName": "boto3-ic-model", "VariantName": "Prod", "InfrastructureConfig": infra},
                       {"ModelName": "boto3-shadow-model", "VariantName": "Shadow", "InfrastructureConfig": infra}],
        ShadowModeConfig={"SourceModelVariantName": "Prod", "ShadowModelVariants": [{"ShadowModelVariantName": "Shadow", "SamplingPercentage": 50}]})
    d = settle(lambda: sm.describe_inference_experiment(Name="boto3-exp"), "Status", ("Creating", "Created", "Starting"))
    assert d["Status"] == "Running"
    # No schedule: it starts at once and would end seven days later.
    assert (d["Schedule"]["EndTime"] - d["Schedule"]["StartTime"]).days == 7
    out = rt.invoke_endpoint(EndpointName="boto3-shadowed", Body=b"0.1,0.2,0.3", ContentType="text/csv")
    assert out["InvokedProductionVariant"] == "Prod"
    sm.stop_inference_experiment(Name="boto3-exp", ModelVariantActions={"Prod": "Retain", "Shadow": "Remove"})
    d = settle(lambda: sm.describe_inference_experiment(Name="boto3-exp"), "Status", ("Running", "Stopping"))
    assert d["Status"] == "Completed"
    assert [e["Name"] for e in sm.list_inference_experiments(StatusEquals="Completed")["InferenceExperiments"]] == ["boto3-exp"]
    with pytest.raises(ClientError) as err:
        sm.describe_inference_experiment(Name="never")
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"
