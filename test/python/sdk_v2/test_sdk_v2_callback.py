"""The SageMaker Python SDK v2's CallbackStep, unchanged: the step waits with its token (no SQS
here, the token is in list_steps' Metadata), SendPipelineExecutionStepSuccess answers it, and a
ConditionStep reads its CallbackOutput; then pipeline versions through the SDK (upsert makes a
new version, describe and start a given one, list_pipeline_versions)."""
import json
import time

import pytest

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
BUCKET = "sdk-v2-callback"
QUEUE = "https://sqs.us-east-1.amazonaws.com/000000000000/sdk-v2-callback"


@pytest.fixture(scope="module")
def session(aws_env):
    import boto3
    from sagemaker.workflow.pipeline_context import PipelineSession

    boto_session = boto3.Session(region_name="us-east-1")
    boto_session.client("s3").create_bucket(Bucket=BUCKET)
    return PipelineSession(boto_session=boto_session, default_bucket=BUCKET)


def build(session, threshold):
    from sagemaker.workflow.callback_step import CallbackOutput, CallbackOutputTypeEnum, CallbackStep
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import Join
    from sagemaker.workflow.parameters import ParameterString
    from sagemaker.workflow.pipeline import Pipeline

    dataset = ParameterString(name="Dataset", default_value="s3://sdk-v2-callback/data.csv")
    score = CallbackOutput(output_name="score", output_type=CallbackOutputTypeEnum.Float)
    reviewer = CallbackOutput(output_name="reviewer", output_type=CallbackOutputTypeEnum.String)
    review = CallbackStep(name="Review", sqs_queue_url=QUEUE, inputs={"dataset": dataset}, outputs=[score, reviewer])
    reject = FailStep(name="Reject", error_message=Join(on=" ", values=["rejected by", review.properties.Outputs["reviewer"]]))
    check = ConditionStep(
        name="Check",
        conditions=[ConditionGreaterThanOrEqualTo(left=review.properties.Outputs["score"], right=threshold)],
        if_steps=[],
        else_steps=[reject],
    )
    return Pipeline(name="sdk-v2-callback", parameters=[dataset], steps=[review, check], sagemaker_session=session)


def answer(session, execution, outputs):
    """Waits for the Review step's token in list_steps, then answers it."""
    for _ in range(600):
        step = next((s for s in execution.list_steps() if s["StepName"] == "Review"), None)
        if step and step["StepStatus"] == "Executing":
            meta = step["Metadata"]["Callback"]
            assert meta["SqsQueueUrl"] == QUEUE
            session.sagemaker_client.send_pipeline_execution_step_success(
                CallbackToken=meta["CallbackToken"], OutputParameters=[{"Name": k, "Value": v} for k, v in outputs.items()])
            return
        time.sleep(0.1)
    raise AssertionError("the Review step never waited for its callback")


def test_callback_step_and_versions(session):
    from botocore.exceptions import WaiterError

    pipeline = build(session, 0.5)
    pipeline.upsert(role_arn=ROLE)
    definition = json.loads(pipeline.definition())
    assert definition["Steps"][0]["Type"] == "Callback"

    passed = pipeline.start()
    answer(session, passed, {"score": "0.8", "reviewer": "ana"})
    passed.wait(delay=1, max_attempts=120)
    assert passed.describe()["PipelineExecutionStatus"] == "Succeeded"
    steps = {s["StepName"]: s for s in passed.list_steps()}
    assert steps["Review"]["Metadata"]["Callback"]["OutputParameters"] == [{"Name": "score", "Value": "0.8"}, {"Name": "reviewer", "Value": "ana"}]
    assert steps["Check"]["Metadata"]["Condition"]["Outcome"] == "True"

    failed = pipeline.start()
    answer(session, failed, {"score": "0.1", "reviewer": "bo"})
    with pytest.raises(WaiterError):
        failed.wait(delay=1, max_attempts=120)
    assert failed.describe()["FailureReason"] == "Step failure: Reject: rejected by bo"

    # upsert of a changed pipeline is UpdatePipeline: version 2, with a stricter threshold.
    stricter = build(session, 0.9)
    assert stricter.upsert(role_arn=ROLE)["PipelineVersionId"] == 2
    versions = stricter.list_pipeline_versions(sort_order="Ascending")["PipelineVersionSummaries"]
    assert [v["PipelineVersionId"] for v in versions] == [1, 2]
    assert versions[0]["LastExecutionPipelineExecutionArn"] == failed.arn
    assert '"RightValue": 0.5' in stricter.describe(pipeline_version_id=1)["PipelineDefinition"]
    # Version 1 still lets 0.8 through; version 2 does not.
    old = stricter.start(pipeline_version_id=1)
    answer(session, old, {"score": "0.8", "reviewer": "cy"})
    old.wait(delay=1, max_attempts=120)
    assert old.describe()["PipelineVersionId"] == 1
    new = stricter.start()
    answer(session, new, {"score": "0.8", "reviewer": "cy"})
    with pytest.raises(WaiterError):
        new.wait(delay=1, max_attempts=120)
    assert new.describe()["PipelineVersionId"] == 2
