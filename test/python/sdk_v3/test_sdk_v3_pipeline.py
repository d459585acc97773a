"""SageMaker Pipelines with the SageMaker Python SDK v3, unchanged: sagemaker.mlops.workflow's
Pipeline of a ProcessingStep (ScriptProcessor on the scikit-learn image) that writes a property
file, and a ConditionStep on JsonGet of it with a FailStep on its else branch; upsert, start with
parameters, wait and list_steps; then the same executions through sagemaker-core's resources
(Pipeline, PipelineExecution), whose pydantic shapes parse every answer strictly.

Needs the scikit-learn framework environment (`localsage frameworks install sklearn`); skips
without it (LOCALSAGE_REQUIRE_PYTHON=1 makes that a failure).
"""
import json
import os

import pytest
from localsage_helpers import framework_python
from sdk_v3_helpers import ROLE, csv_body, separable_rows

BUCKET = "sdk-v3-pipeline"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def sklearn_env():
    framework_python("sklearn", "import numpy")


@pytest.fixture(scope="module")
def pipeline_session(aws_env):
    import boto3

    # sagemaker.mlops makes a boto3 client with the default session when imported: it needs a region.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    boto_session = boto3.Session(region_name="us-east-1")
    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    rows = separable_rows(120, seed=9)
    s3.put_object(Bucket=BUCKET, Key="data/data.csv", Body=csv_body(rows))
    session = PipelineSession(boto_session=boto_session, default_bucket=BUCKET)
    session.rows = rows
    return session


def build(session):
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
    from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.core.workflow.parameters import ParameterInteger
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import ProcessingStep

    min_rows = ParameterInteger(name="MinRows", default_value=100)
    processor = ScriptProcessor(
        role=ROLE, image_uri=SKLEARN_IMAGE, command=["python3"], instance_count=1, instance_type="ml.m5.large", sagemaker_session=session,
    )
    summary = PropertyFile(name="Summary", output_name="summary", path="summary.json")
    summarize = ProcessingStep(
        name="Summarize",
        step_args=processor.run(
            code=os.path.join(HERE, "pipeline_scripts", "summarize.py"),
            inputs=[ProcessingInput(input_name="data", s3_input=ProcessingS3Input(
                s3_uri=f"s3://{BUCKET}/data/", local_path="/opt/ml/processing/input/data", s3_data_type="S3Prefix", s3_input_mode="File"))],
            outputs=[ProcessingOutput(output_name="summary", s3_output=ProcessingS3Output(
                s3_uri=f"s3://{BUCKET}/summary", local_path="/opt/ml/processing/summary", s3_upload_mode="EndOfJob"))],
        ),
        property_files=[summary],
    )
    rows = JsonGet(step_name=summarize.name, property_file=summary, json_path="rows")
    check = ConditionStep(
        name="EnoughRows",
        conditions=[ConditionGreaterThanOrEqualTo(left=rows, right=min_rows)],
        if_steps=[],
        else_steps=[FailStep(name="TooFewRows", error_message=Join(on=" ", values=["only", rows, "rows, fewer than", min_rows]))],
    )
    return Pipeline(name="sdk-v3-pipeline", parameters=[min_rows], steps=[summarize, check], sagemaker_session=session)


def test_mlops_pipeline_processing_condition_fail(pipeline_session, sklearn_env):
    from botocore.exceptions import WaiterError

    pipeline = build(pipeline_session)
    definition = json.loads(pipeline.definition())
    assert definition["Steps"][0]["Type"] == "Processing"
    assert definition["Steps"][0]["PropertyFiles"] == [{"PropertyFileName": "Summary", "OutputName": "summary", "FilePath": "summary.json"}]
    arn = pipeline.upsert(role_arn=ROLE)["PipelineArn"]
    assert arn.endswith(":pipeline/sdk-v3-pipeline")

    ok = pipeline.start()
    ok.wait(delay=1, max_attempts=600)
    steps = {s["StepName"]: s for s in ok.list_steps()}
    assert ok.describe()["PipelineExecutionStatus"] == "Succeeded", steps
    assert {n: s["StepStatus"] for n, s in steps.items()} == {"Summarize": "Succeeded", "EnoughRows": "Succeeded"}
    assert steps["EnoughRows"]["Metadata"]["Condition"]["Outcome"] == "True"
    body = pipeline_session.boto_session.client("s3").get_object(Bucket=BUCKET, Key="summary/summary.json")["Body"].read()
    rows = pipeline_session.rows
    assert json.loads(body) == {"rows": len(rows), "positive": sum(y for y, _ in rows)}

    bad = pipeline.start(parameters={"MinRows": len(rows) + 1})
    with pytest.raises(WaiterError):
        bad.wait(delay=1, max_attempts=600)
    steps = {s["StepName"]: s for s in bad.list_steps()}
    assert bad.describe()["PipelineExecutionStatus"] == "Failed"
    assert steps["EnoughRows"]["Metadata"]["Condition"]["Outcome"] == "False"
    assert steps["TooFewRows"]["FailureReason"] == "only %d rows, fewer than %d" % (len(rows), len(rows) + 1)


def test_core_resources_pipeline_and_executions(pipeline_session, sklearn_env):
    from sagemaker.core.resources import Pipeline, PipelineExecution

    boto_session = pipeline_session.boto_session
    definition = build(pipeline_session).definition()
    created = Pipeline.create(
        pipeline_name="sdk-v3-core-pipeline", pipeline_definition=definition, role_arn=ROLE,
        client_request_token="sdk-v3-core-pipeline-create-token", session=boto_session,
    )
    assert created.pipeline_arn.endswith(":pipeline/sdk-v3-core-pipeline")
    described = Pipeline.get(pipeline_name="sdk-v3-core-pipeline", session=boto_session)
    assert described.pipeline_status == "Active"
    assert json.loads(described.pipeline_definition)["Steps"][1]["Name"] == "EnoughRows"

    arn = boto_session.client("sagemaker").start_pipeline_execution(
        PipelineName="sdk-v3-core-pipeline", PipelineParameters=[{"Name": "MinRows", "Value": "1000"}], ClientRequestToken="sdk-v3-core-pipeline-start-token-1",
    )["PipelineExecutionArn"]
    execution = PipelineExecution.get(pipeline_execution_arn=arn, session=boto_session)
    execution.wait_for_status(target_status="Failed", poll=1, timeout=300)
    assert execution.pipeline_execution_status == "Failed"
    steps = {s.step_name: s for s in execution.get_all_steps(session=boto_session)}
    assert steps["TooFewRows"].step_status == "Failed"
    assert steps["TooFewRows"].failure_reason == "only %d rows, fewer than 1000" % len(pipeline_session.rows)
    assert steps["Summarize"].metadata.processing_job.arn.split("/")[-1].startswith("pipelines-")
    params = {p.name: p.value for p in execution.get_all_parameters(session=boto_session)}
    assert params == {"MinRows": "1000"}
    executions = [e.pipeline_execution_arn for e in PipelineExecution.get_all(pipeline_name="sdk-v3-core-pipeline", session=boto_session)]
    assert executions == [arn]
