"""The SageMaker Python SDK v2's Pipelines, unchanged: a TrainingStep on the built-in linear
learner, a ModelStep creating the model, a ModelStep registering it, and a ConditionStep on the
training job's final metric with a FailStep on the else branch; upsert, start with parameters,
wait and list_steps, both branches."""
import random

import pytest

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
BUCKET = "sdk-v2-pipeline"


@pytest.fixture(scope="module")
def session(aws_env):
    import boto3
    from sagemaker.workflow.pipeline_context import PipelineSession

    boto_session = boto3.Session(region_name="us-east-1")
    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    rnd = random.Random(5)
    w = [rnd.gauss(0, 1) for _ in range(3)]
    lines = []
    while len(lines) < 300:
        x = [rnd.gauss(0, 2) for _ in range(3)]
        s = sum(a * b for a, b in zip(w, x))
        if abs(s) > 0.3:
            lines.append(",".join(str(v) for v in [1 if s > 0 else 0] + x))
    s3.put_object(Bucket=BUCKET, Key="train/train.csv", Body=("\n".join(lines) + "\n").encode())
    return PipelineSession(boto_session=boto_session, default_bucket=BUCKET)


def build(session):
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.model import Model
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import ConditionLessThanOrEqualTo
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import Join
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.steps import TrainingStep

    max_loss = ParameterFloat(name="MaxLoss", default_value=100.0)
    instance_type = ParameterString(name="InstanceType", default_value="ml.m5.large")
    estimator = Estimator(
        image_uri=IMAGE, role=ROLE, instance_count=1, instance_type=instance_type,
        output_path=f"s3://{BUCKET}/output", sagemaker_session=session,
        hyperparameters={"predictor_type": "binary_classifier", "feature_dim": "3", "epochs": "3", "mini_batch_size": "50"},
    )
    train = TrainingStep(name="Train", step_args=estimator.fit({"train": TrainingInput(f"s3://{BUCKET}/train/", content_type="text/csv")}))
    model = Model(image_uri=IMAGE, model_data=train.properties.ModelArtifacts.S3ModelArtifacts, role=ROLE, sagemaker_session=session)
    create = ModelStep(name="MakeModel", step_args=model.create(instance_type="ml.m5.large"))
    register = ModelStep(
        name="Register",
        step_args=model.register(
            content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.m5.large"],
            transform_instances=["ml.m5.large"], model_package_group_name="sdk-v2-pipeline", approval_status="PendingManualApproval",
        ),
    )
    fail = FailStep(name="TooLossy", error_message=Join(on=" ", values=["loss above", max_loss]))
    check = ConditionStep(
        name="CheckLoss",
        conditions=[ConditionLessThanOrEqualTo(left=train.properties.FinalMetricDataList["train:objective_loss"].Value, right=max_loss)],
        if_steps=[create, register],
        else_steps=[fail],
    )
    return Pipeline(name="sdk-v2-pipeline", parameters=[max_loss, instance_type], steps=[train, check], sagemaker_session=session)


def statuses(execution):
    return {s["StepName"]: s for s in execution.list_steps()}


def test_pipeline_upsert_start_wait_both_branches(session):
    from botocore.exceptions import WaiterError

    pipeline = build(session)
    arn = pipeline.upsert(role_arn=ROLE)["PipelineArn"]
    assert arn.endswith(":pipeline/sdk-v2-pipeline")
    # A second upsert updates the pipeline in place (the SDK's create -> "already exists" -> update path).
    pipeline.upsert(role_arn=ROLE, description="updated")
    assert pipeline.describe()["PipelineDescription"] == "updated"

    ok = pipeline.start()
    ok.wait(delay=1, max_attempts=600)
    assert ok.describe()["PipelineExecutionStatus"] == "Succeeded"
    steps = statuses(ok)
    assert {n: s["StepStatus"] for n, s in steps.items()} == {
        "Train": "Succeeded", "CheckLoss": "Succeeded", "MakeModel-CreateModel": "Succeeded", "Register-RegisterModel": "Succeeded",
    }
    assert steps["CheckLoss"]["Metadata"]["Condition"]["Outcome"] == "True"
    sm = session.sagemaker_client
    job = sm.describe_training_job(TrainingJobName=steps["Train"]["Metadata"]["TrainingJob"]["Arn"].split("/")[-1])
    assert job["TrainingJobStatus"] == "Completed"
    assert job["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    package = sm.describe_model_package(ModelPackageName=steps["Register-RegisterModel"]["Metadata"]["RegisterModel"]["Arn"])
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == job["ModelArtifacts"]["S3ModelArtifacts"]

    bad = pipeline.start(parameters={"MaxLoss": -1.0})
    with pytest.raises(WaiterError):
        bad.wait(delay=1, max_attempts=600)
    assert bad.describe()["PipelineExecutionStatus"] == "Failed"
    steps = statuses(bad)
    assert set(steps) == {"Train", "CheckLoss", "TooLossy"}
    assert steps["CheckLoss"]["Metadata"]["Condition"]["Outcome"] == "False"
    assert steps["TooLossy"]["FailureReason"].startswith("loss above -1")
    params = {p["Name"]: p["Value"] for p in sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=bad.arn)["PipelineParameters"]}
    assert params["InstanceType"] == "ml.m5.large"
    assert float(params["MaxLoss"]) == -1.0
