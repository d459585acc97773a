"""Lineage, model card exports and Callback steps through boto3: artifacts and associations
walked by QueryLineage, a model card version exported to S3 as a PDF that pypdf reads back, and a
pipeline whose Callback step waits for SendPipelineExecutionStepSuccess."""
import io
import json
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def sm(session_kwargs):
    return boto3.client("sagemaker", config=Config(retries={"max_attempts": 1}), **session_kwargs)


@pytest.fixture(scope="module")
def s3(session_kwargs):
    return boto3.client("s3", config=Config(retries={"max_attempts": 1}), **session_kwargs)


def test_lineage_graph(sm):
    data = sm.create_artifact(Source={"SourceUri": "s3://py-lineage/data.csv"}, ArtifactType="DataSet")["ArtifactArn"]
    model = sm.create_artifact(Source={"SourceUri": "s3://py-lineage/model.tar.gz"}, ArtifactType="Model", Properties={"framework": "xgboost"})["ArtifactArn"]
    ctx = sm.create_context(ContextName="py-lineage-endpoint", ContextType="Endpoint", Source={"SourceUri": "arn:endpoint/py"})["ContextArn"]
    sm.add_association(SourceArn=data, DestinationArn=model, AssociationType="ContributedTo")
    sm.add_association(SourceArn=model, DestinationArn=ctx, AssociationType="AssociatedWith")

    summaries = sm.list_associations(DestinationArn=model)["AssociationSummaries"]
    assert [(a["SourceArn"], a["SourceType"], a["AssociationType"]) for a in summaries] == [(data, "DataSet", "ContributedTo")]

    up = sm.query_lineage(StartArns=[ctx], Direction="Ascendants", IncludeEdges=True, Filters={"Types": ["DataSet"]}, MaxDepth=10)
    assert {v["Arn"] for v in up["Vertices"]} == {data, model, ctx}
    assert {(e["SourceArn"], e["DestinationArn"]) for e in up["Edges"]} == {(data, model), (model, ctx)}
    only = sm.query_lineage(StartArns=[ctx], Direction="Ascendants", IncludeEdges=False, Filters={"Properties": {"framework": "xgboost"}})
    assert [v["Arn"] for v in only["Vertices"]] == [model]

    # The same edge again: a ValidationException saying it already exists (the SageMaker Python SDK's
    # lineage tracker skips an association on exactly that code and phrase).
    with pytest.raises(ClientError) as twice:
        sm.add_association(SourceArn=data, DestinationArn=model, AssociationType="ContributedTo")
    assert twice.value.response["Error"]["Code"] == "ValidationException"
    assert twice.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert twice.value.response["Error"]["Message"] == f"Association from {data} to {model} already exists."

    with pytest.raises(ClientError) as missing:
        sm.add_association(SourceArn=data, DestinationArn=ctx.replace("py-lineage-endpoint", "nope"))
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"
    sm.delete_artifact(ArtifactArn=data)
    assert sm.list_associations(DestinationArn=model)["AssociationSummaries"] == []


def test_model_card_export_is_a_pdf(sm, s3):
    pypdf = pytest.importorskip("pypdf", reason="pypdf reads the exported PDF (test/python/requirements.txt)")
    s3.create_bucket(Bucket="py-cards")
    sm.create_model_card(ModelCardName="py-card", Content=json.dumps({"model_overview": {"model_description": "first"}}), ModelCardStatus="Draft")
    sm.update_model_card(ModelCardName="py-card", Content=json.dumps({"model_overview": {"model_description": "second (approved)"}}), ModelCardStatus="Approved")
    versions = sm.list_model_card_versions(ModelCardName="py-card")["ModelCardVersionSummaryList"]
    assert [(v["ModelCardVersion"], v["ModelCardStatus"]) for v in versions] == [(2, "Approved"), (1, "Draft")]

    arn = sm.create_model_card_export_job(ModelCardName="py-card", ModelCardExportJobName="py-export", OutputConfig={"S3OutputPath": "s3://py-cards/out"})["ModelCardExportJobArn"]
    for _ in range(300):
        job = sm.describe_model_card_export_job(ModelCardExportJobArn=arn)
        if job["Status"] != "InProgress":
            break
        time.sleep(0.1)
    assert job["Status"] == "Completed"
    assert job["ModelCardVersion"] == 2
    uri = job["ExportArtifacts"]["S3ExportArtifacts"]
    bucket, key = uri[len("s3://"):].split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert "Model card: py-card" in text
    assert "Version: 2" in text
    assert "second (approved)" in text


def test_callback_step_waits_for_success(sm):
    definition = {
        "Version": "2020-12-01",
        "Steps": [
            {"Name": "Wait", "Type": "Callback", "Arguments": {}, "SqsQueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/q",
             "OutputParameters": [{"OutputName": "verdict", "OutputType": "String"}]},
            {"Name": "Check", "Type": "Condition", "Arguments": {
                "Conditions": [{"Type": "Equals", "LeftValue": {"Get": "Steps.Wait.OutputParameters['verdict']"}, "RightValue": "ship"}],
                "IfSteps": [], "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "not shipped"}}]}},
        ],
    }
    sm.create_pipeline(PipelineName="py-callback", PipelineDefinition=json.dumps(definition), RoleArn="arn:aws:iam::000000000000:role/SageMakerRole")
    arn = sm.start_pipeline_execution(PipelineName="py-callback")["PipelineExecutionArn"]
    token = None
    for _ in range(300):
        steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
        token = next((s["Metadata"]["Callback"]["CallbackToken"] for s in steps if s["StepName"] == "Wait" and s["StepStatus"] == "Executing"), None)
        if token:
            break
        time.sleep(0.1)
    assert token
    assert sm.send_pipeline_execution_step_success(CallbackToken=token, OutputParameters=[{"Name": "verdict", "Value": "ship"}])["PipelineExecutionArn"] == arn
    for _ in range(300):
        status = sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"]
        if status != "Executing":
            break
        time.sleep(0.1)
    assert status == "Succeeded"
    with pytest.raises(ClientError) as again:
        sm.send_pipeline_execution_step_failure(CallbackToken=token, FailureReason="too late")
    assert again.value.response["Error"]["Code"] == "ConflictException"


def test_taken_experiment_names_are_refused_as_already_existing(sm):
    """A taken experiment, trial or trial component name: ValidationException "... already exists.",
    the phrase the SageMaker Python SDK's _load_or_create matches to load the existing one."""
    sm.create_experiment(ExperimentName="py-dup-exp")
    sm.create_trial(TrialName="py-dup-trial", ExperimentName="py-dup-exp")
    sm.create_trial_component(TrialComponentName="py-dup-tc")
    try:
        _refused_as_taken(sm)
    finally:
        # The emulator is shared by the whole session: other tests search every trial component.
        sm.delete_trial_component(TrialComponentName="py-dup-tc")
        sm.delete_trial(TrialName="py-dup-trial")
        sm.delete_experiment(ExperimentName="py-dup-exp")


def _refused_as_taken(sm):
    for call, expected in [
        (lambda: sm.create_experiment(ExperimentName="py-dup-exp"), "Experiment with name (py-dup-exp) already exists."),
        (lambda: sm.create_trial(TrialName="py-dup-trial", ExperimentName="py-dup-exp"), "Trial with name (py-dup-trial) already exists."),
        (lambda: sm.create_trial_component(TrialComponentName="py-dup-tc"), "TrialComponent with name (py-dup-tc) already exists."),
    ]:
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "ValidationException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert e.value.response["Error"]["Message"] == expected
