"""A SageMaker Pipeline of the SDK v2, unchanged, end to end on localsage, the way the SDK's
own example (abalone) builds one: a ProcessingStep (SKLearnProcessor) splits the data and writes a
statistics property file; a TrainingStep trains a scikit-learn model on its output; a second
ProcessingStep evaluates the model on the test split and writes evaluation.json as a property
file; a ConditionStep compares JsonGet of the accuracy (and of the statistics, and the training
job's FinalMetricDataList) with a parameter; its if-branch registers the model (ModelStep with
model.register, which repacks the inference code) and creates it (ModelStep with model.create),
its else-branch is a FailStep. One execution takes each branch. The registered package is then
approved and deployed with ModelPackage.deploy, and its predictions are checked against the
trained model run directly with scikit-learn. Estimator.register outside a pipeline too.

Needs the scikit-learn framework environment (`localsage frameworks install sklearn`); skips
without it (LOCALSAGE_REQUIRE_PYTHON=1 makes that a failure).
"""
import io
import json
import os
import re
import subprocess
import tarfile

import numpy as np
import pytest
from localsage_helpers import framework_python
from sdk_v2_helpers import ROLE

BUCKET = "sdk-v2-e2e"
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "pipeline_scripts")
GROUP = "sdk-v2-e2e-models"


@pytest.fixture(scope="module")
def sklearn_python():
    return framework_python("sklearn", "import sklearn, joblib")


def dataset(n, d, seed):
    """n rows `label,x1..xd`, linearly separable with a little noise."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    x = rng.normal(size=(n, d))
    y = (x @ w + 0.05 * rng.normal(size=n) > 0).astype(float)
    return np.column_stack([y, x])


@pytest.fixture(scope="module")
def raw_data(session):
    data = dataset(300, 4, 11)
    buf = io.StringIO()
    np.savetxt(buf, data, delimiter=",", fmt="%.6f")
    session.default_bucket()
    uri = session.upload_string_as_file_body(buf.getvalue(), bucket=BUCKET, key="raw/data.csv")
    return uri, data


@pytest.fixture(scope="module")
def pipeline_session(session):
    from sagemaker.workflow.pipeline_context import PipelineSession

    return PipelineSession(boto_session=session.boto_session, default_bucket=BUCKET)


def read_s3(session, uri):
    bucket, key = uri[len("s3://"):].split("/", 1)
    return session.boto_session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def build(ps, raw_uri):
    from sagemaker.processing import ProcessingInput, ProcessingOutput
    from sagemaker.sklearn.estimator import SKLearn
    from sagemaker.sklearn.model import SKLearnModel
    from sagemaker.sklearn.processing import SKLearnProcessor
    from sagemaker.inputs import TrainingInput
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import ConditionGreaterThan, ConditionGreaterThanOrEqualTo
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import Join, JsonGet
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.properties import PropertyFile
    from sagemaker.workflow.steps import ProcessingStep, TrainingStep

    min_accuracy = ParameterFloat(name="MinAccuracy", default_value=0.8)
    train_fraction = ParameterString(name="TrainFraction", default_value="0.7")
    approval = ParameterString(name="ApprovalStatus", default_value="PendingManualApproval")

    processor = SKLearnProcessor(framework_version="1.2-1", role=ROLE, instance_type="ml.m5.large", instance_count=1, sagemaker_session=ps)
    stats = PropertyFile(name="Stats", output_name="stats", path="stats.json")
    prepare = ProcessingStep(
        name="Prepare",
        step_args=processor.run(
            code=os.path.join(SCRIPTS, "prepare.py"),
            inputs=[ProcessingInput(source=raw_uri, destination="/opt/ml/processing/input/raw")],
            outputs=[
                ProcessingOutput(output_name="train", source="/opt/ml/processing/train"),
                ProcessingOutput(output_name="test", source="/opt/ml/processing/test"),
                ProcessingOutput(output_name="stats", source="/opt/ml/processing/stats"),
            ],
            arguments=["--train-fraction", train_fraction],
        ),
        property_files=[stats],
    )

    estimator = SKLearn(
        entry_point="train.py", source_dir=SCRIPTS, framework_version="1.2-1", role=ROLE,
        instance_type="ml.m5.large", instance_count=1, hyperparameters={"C": 1.0},
        metric_definitions=[{"Name": "train:accuracy", "Regex": "train_accuracy=([0-9.]+)"}],
        output_path=f"s3://{BUCKET}/models", sagemaker_session=ps,
    )
    train = TrainingStep(
        name="Train",
        step_args=estimator.fit({"train": TrainingInput(prepare.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri, content_type="text/csv")}),
    )

    evaluation = PropertyFile(name="Evaluation", output_name="evaluation", path="evaluation.json")
    evaluate = ProcessingStep(
        name="Evaluate",
        step_args=processor.run(
            code=os.path.join(SCRIPTS, "evaluate.py"),
            inputs=[
                ProcessingInput(source=train.properties.ModelArtifacts.S3ModelArtifacts, destination="/opt/ml/processing/model"),
                ProcessingInput(source=prepare.properties.ProcessingOutputConfig.Outputs["test"].S3Output.S3Uri, destination="/opt/ml/processing/test"),
            ],
            outputs=[ProcessingOutput(output_name="evaluation", source="/opt/ml/processing/evaluation")],
        ),
        property_files=[evaluation],
    )

    model = SKLearnModel(
        entry_point="train.py", source_dir=SCRIPTS, framework_version="1.2-1", role=ROLE,
        model_data=train.properties.ModelArtifacts.S3ModelArtifacts, sagemaker_session=ps,
    )
    register = ModelStep(
        name="Register",
        step_args=model.register(
            content_types=["application/x-npy"], response_types=["application/x-npy"],
            inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"],
            model_package_group_name=GROUP, approval_status=approval,
        ),
    )
    create = ModelStep(name="Create", step_args=model.create(instance_type="ml.m5.large"))
    accuracy = JsonGet(step_name=evaluate.name, property_file=evaluation, json_path="metrics.accuracy.value")
    fail = FailStep(name="TooInaccurate", error_message=Join(on=" ", values=["accuracy", accuracy, "is below", min_accuracy]))
    check = ConditionStep(
        name="CheckAccuracy",
        conditions=[
            ConditionGreaterThanOrEqualTo(left=accuracy, right=min_accuracy),
            ConditionGreaterThan(left=JsonGet(step_name=prepare.name, property_file=stats, json_path="$.rows.test"), right=10),
            ConditionGreaterThanOrEqualTo(left=train.properties.FinalMetricDataList["train:accuracy"].Value, right=0.5),
        ],
        if_steps=[register, create],
        else_steps=[fail],
    )
    return Pipeline(
        name="sdk-v2-e2e", parameters=[min_accuracy, train_fraction, approval],
        steps=[prepare, train, evaluate, check], sagemaker_session=ps,
    )


def steps_of(execution):
    return {s["StepName"]: s for s in execution.list_steps()}


def predict_directly(sklearn_python, model_tar, rows):
    """The trained model's predictions, from scikit-learn run directly on its artifact."""
    script = (
        "import io, sys, tarfile, json, joblib, numpy as np\n"
        "t = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))\n"
        "m = joblib.load(t.extractfile('model.joblib'))\n"
        "print(json.dumps(m.predict(np.array(json.loads(sys.argv[1]))).tolist()))\n"
    )
    out = subprocess.run([sklearn_python, "-c", script, json.dumps(rows.tolist())], input=model_tar, capture_output=True, check=True)
    return np.array(json.loads(out.stdout))


def test_pipeline_processing_training_condition_register_model_then_deploy(session, pipeline_session, raw_data, sklearn_python):
    from botocore.exceptions import WaiterError
    from sagemaker.model import ModelPackage
    from sagemaker.sklearn.model import SKLearnPredictor

    raw_uri, data = raw_data
    pipeline = build(pipeline_session, raw_uri)
    definition = json.loads(pipeline.definition())
    assert definition["Steps"][0]["PropertyFiles"] == [{"PropertyFileName": "Stats", "OutputName": "stats", "FilePath": "stats.json"}]
    pipeline.upsert(role_arn=ROLE)
    sm = session.sagemaker_client

    # 1. The if-branch: everything runs, the model is registered and created.
    ok = pipeline.start()
    ok.wait(delay=2, max_attempts=900)
    described = ok.describe()
    steps = steps_of(ok)
    assert described["PipelineExecutionStatus"] == "Succeeded", (described.get("FailureReason"), {n: s.get("FailureReason") for n, s in steps.items()})
    assert {n: s["StepStatus"] for n, s in steps.items()} == {n: "Succeeded" for n in steps}
    for name in ("Prepare", "Train", "Evaluate", "CheckAccuracy", "Register-RegisterModel", "Create-CreateModel"):
        assert name in steps, sorted(steps)
    assert "TooInaccurate" not in steps
    assert steps["CheckAccuracy"]["Metadata"]["Condition"]["Outcome"] == "True"

    # The processing jobs really ran: their outputs are in S3, split as the parameter said.
    prepare_job = sm.describe_processing_job(ProcessingJobName=steps["Prepare"]["Metadata"]["ProcessingJob"]["Arn"].split("/")[-1])
    assert prepare_job["ProcessingJobStatus"] == "Completed"
    outputs = {o["OutputName"]: o["S3Output"]["S3Uri"] for o in prepare_job["ProcessingOutputConfig"]["Outputs"]}
    stats = json.loads(read_s3(session, outputs["stats"] + "/stats.json"))
    assert stats["rows"] == {"train": 210, "test": 90}
    evaluate_job = sm.describe_processing_job(ProcessingJobName=steps["Evaluate"]["Metadata"]["ProcessingJob"]["Arn"].split("/")[-1])
    report_uri = evaluate_job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] + "/evaluation.json"
    report = json.loads(read_s3(session, report_uri))
    assert report["rows"] == 90

    job = sm.describe_training_job(TrainingJobName=steps["Train"]["Metadata"]["TrainingJob"]["Arn"].split("/")[-1])
    assert job["TrainingJobStatus"] == "Completed"
    assert job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == outputs["train"]
    model_tar = read_s3(session, job["ModelArtifacts"]["S3ModelArtifacts"])
    test_rows = data[210:]
    expected = predict_directly(sklearn_python, model_tar, test_rows[:, 1:])
    # evaluation.json holds the accuracy of that very model on the test split.
    assert report["metrics"]["accuracy"]["value"] == pytest.approx(float((expected == test_rows[:, 0]).mean()))
    assert report["metrics"]["accuracy"]["value"] > 0.8

    package_arn = steps["Register-RegisterModel"]["Metadata"]["RegisterModel"]["Arn"]
    assert package_arn.endswith(f":model-package/{GROUP}/1")
    package = sm.describe_model_package(ModelPackageName=package_arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    container = package["InferenceSpecification"]["Containers"][0]
    assert "sagemaker-scikit-learn" in container["Image"]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "train.py"
    created = sm.describe_model(ModelName=steps["Create-CreateModel"]["Metadata"]["Model"]["Arn"].split("/")[-1])
    assert created["PrimaryContainer"]["ModelDataUrl"] == container["ModelDataUrl"]

    # 2. The else-branch: an unreachable accuracy ends the execution Failed with the FailStep's message.
    bad = pipeline.start(parameters={"MinAccuracy": 1.01})
    with pytest.raises(WaiterError):
        bad.wait(delay=2, max_attempts=900)
    assert bad.describe()["PipelineExecutionStatus"] == "Failed"
    bad_steps = steps_of(bad)
    assert bad_steps["CheckAccuracy"]["Metadata"]["Condition"]["Outcome"] == "False"
    assert not any(n.startswith("Register") or n.startswith("Create") for n in bad_steps)
    bad_eval = sm.describe_processing_job(ProcessingJobName=bad_steps["Evaluate"]["Metadata"]["ProcessingJob"]["Arn"].split("/")[-1])
    bad_report = json.loads(read_s3(session, bad_eval["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] + "/evaluation.json"))
    assert bad_steps["TooInaccurate"]["StepStatus"] == "Failed"
    message = bad_steps["TooInaccurate"]["Metadata"]["Fail"]["ErrorMessage"]
    assert bad_steps["TooInaccurate"]["FailureReason"] == message
    # The message joins the JsonGet value read from this execution's evaluation.json.
    m = re.fullmatch(r"accuracy (\S+) is below 1.01", message)
    assert m, message
    assert float(m.group(1)) == bad_report["metrics"]["accuracy"]["value"]
    assert sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"][-1]["ModelPackageArn"] == package_arn

    # 3. Approve the registered package, deploy it, predict.
    sm.update_model_package(ModelPackageArn=package_arn, ModelApprovalStatus="Approved", ApprovalDescription="accuracy checked")
    assert sm.describe_model_package(ModelPackageName=package_arn)["ModelApprovalStatus"] == "Approved"
    deployable = ModelPackage(role=ROLE, model_package_arn=package_arn, sagemaker_session=session, predictor_cls=SKLearnPredictor)
    predictor = deployable.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-v2-e2e")
    try:
        model = sm.describe_model(ModelName=deployable.name)
        # The SDK creates the model from the package alone; the package supplies image, data and code.
        assert model["Containers"] == [{"ModelPackageName": package_arn}]
        predicted = predictor.predict(test_rows[:, 1:])
        assert predicted.shape == (90,)
        assert predicted.tolist() == expected.tolist()
    finally:
        predictor.delete_endpoint()


def test_estimator_register_outside_a_pipeline(session, raw_data, sklearn_python):
    from sagemaker.sklearn.estimator import SKLearn

    session.sagemaker_client.create_model_package_group(ModelPackageGroupName="sdk-v2-e2e-direct")
    raw_uri, _ = raw_data
    estimator = SKLearn(
        entry_point="train.py", source_dir=SCRIPTS, framework_version="1.2-1", role=ROLE,
        instance_type="ml.m5.large", instance_count=1, output_path=f"s3://{BUCKET}/direct", sagemaker_session=session,
        base_job_name="sdk-v2-e2e-direct",  # register() names the model after it
    )
    estimator.fit({"train": raw_uri}, logs=False)
    package = estimator.register(
        content_types=["application/x-npy"], response_types=["application/x-npy"],
        inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"],
        model_package_group_name="sdk-v2-e2e-direct", approval_status="Approved",
    )
    assert package.model_package_arn.endswith(":model-package/sdk-v2-e2e-direct/1")
    described = session.sagemaker_client.describe_model_package(ModelPackageName=package.model_package_arn)
    assert described["ModelApprovalStatus"] == "Approved"
    container = described["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == estimator.model_data
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "train.py"
