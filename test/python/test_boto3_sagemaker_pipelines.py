"""SageMaker Pipelines through boto3: a definition written by hand (the JSON schema the SDK emits),
executions that really train, create a model, register it, branch on the training metric, and
fail on the else branch; caching; and the API's error shapes."""
import json
import os
import random
import time

import boto3
import pytest
from localsage_helpers import framework_python
from botocore.config import Config
from botocore.exceptions import ClientError

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
BUCKET = "py-sm-pipelines"


def tok(seed):
    """ClientRequestToken has a 32-character minimum."""
    return (seed + "-" * 32)[:32]


@pytest.fixture(scope="module")
def aws(session_kwargs):
    cfg = Config(retries={"max_attempts": 1})
    s3 = boto3.client("s3", config=cfg, **session_kwargs)
    s3.create_bucket(Bucket=BUCKET)
    rnd = random.Random(3)
    w = [rnd.gauss(0, 1) for _ in range(4)]
    lines = []
    while len(lines) < 400:
        x = [rnd.gauss(0, 2) for _ in range(4)]
        s = sum(a * b for a, b in zip(w, x))
        if abs(s) > 0.3:
            lines.append(",".join(str(v) for v in [1 if s > 0 else 0] + x))
    s3.put_object(Bucket=BUCKET, Key="train/train.csv", Body=("\n".join(lines) + "\n").encode())
    s3.put_object(Bucket=BUCKET, Key="score/score.csv", Body=("\n".join(l.split(",", 1)[1] for l in lines[:50]) + "\n").encode())
    return {"s3": s3, "sm": boto3.client("sagemaker", config=cfg, **session_kwargs)}


def definition(cache=False):
    train = {
        "Name": "Train",
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/train/", "S3DataDistributionType": "FullyReplicated"}}}],
            "OutputDataConfig": {"S3OutputPath": {"Std:Join": {"On": "/", "Values": [f"s3://{BUCKET}", "out", {"Get": "Parameters.Run"}]}}},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "HyperParameters": {"predictor_type": "binary_classifier", "feature_dim": "4", "epochs": "3", "mini_batch_size": "100"},
        },
    }
    if cache:
        train["CacheConfig"] = {"Enabled": True, "ExpireAfter": "PT1H"}
    model = {"Name": "Model", "Type": "Model", "Arguments": {"ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}}}
    register = {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "py-sm-pipelines",
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {"Containers": [{"Image": IMAGE, "ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}], "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        },
    }
    score = {
        "Name": "Score",
        "Type": "Transform",
        "Arguments": {
            "ModelName": {"Get": "Steps.Model.ModelName"},
            "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/score/"}}, "ContentType": "text/csv", "SplitType": "Line"},
            "TransformOutput": {"S3OutputPath": {"Std:Join": {"On": "/", "Values": [f"s3://{BUCKET}/scored", {"Get": "Execution.PipelineExecutionId"}]}}, "AssembleWith": "Line"},
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        },
    }
    fail = {"Name": "TooLossy", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {"On": " ", "Values": ["loss above", {"Get": "Parameters.MaxLoss"}]}}}}
    cond = {
        "Name": "CheckLoss",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [{"Type": "LessThanOrEqualTo", "LeftValue": {"Get": "Steps.Train.FinalMetricDataList['train:objective_loss'].Value"}, "RightValue": {"Get": "Parameters.MaxLoss"}}],
            "IfSteps": [model, register, score],
            "ElseSteps": [fail],
        },
    }
    return json.dumps({
        "Version": "2020-12-01",
        "Parameters": [{"Name": "MaxLoss", "Type": "Float", "DefaultValue": 100.0}, {"Name": "Run", "Type": "String", "DefaultValue": "a"}],
        "Steps": [train, cond],
    })


def wait(sm, arn):
    for _ in range(600):
        d = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        if d["PipelineExecutionStatus"] not in ("Executing", "Stopping"):
            return d
        time.sleep(0.5)
    raise AssertionError("execution did not end")


def steps_of(sm, arn):
    return {s["StepName"]: s for s in sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]}


def test_both_branches_and_cache(aws):
    sm = aws["sm"]
    arn = sm.create_pipeline(PipelineName="py-pipe", PipelineDefinition=definition(cache=True), RoleArn=ROLE, ClientRequestToken=tok("t1"))["PipelineArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:pipeline/py-pipe"
    assert json.loads(sm.describe_pipeline(PipelineName="py-pipe")["PipelineDefinition"])["Steps"][0]["Name"] == "Train"

    ok = sm.start_pipeline_execution(PipelineName="py-pipe", ClientRequestToken=tok("s1"))["PipelineExecutionArn"]
    d = wait(sm, ok)
    steps = steps_of(sm, ok)
    assert d["PipelineExecutionStatus"] == "Succeeded", [s.get("FailureReason") for s in steps.values()]
    assert set(steps) == {"Train", "CheckLoss", "Model", "Register", "Score"}
    execution_id = ok.split("/")[-1]
    scored = aws["s3"].get_object(Bucket=BUCKET, Key=f"scored/{execution_id}/score.csv.out")["Body"].read().decode()
    predictions = [p for line in scored.strip().splitlines() for p in json.loads(line)["predictions"]]
    assert len(predictions) == 50
    assert steps["Score"]["Metadata"]["TransformJob"]["Arn"].split("/")[-1].startswith(f"pipelines-{execution_id}-score-")
    assert steps["CheckLoss"]["Metadata"]["Condition"]["Outcome"] == "True"
    job = steps["Train"]["Metadata"]["TrainingJob"]["Arn"].split("/")[-1]
    trained = sm.describe_training_job(TrainingJobName=job)
    assert trained["OutputDataConfig"]["S3OutputPath"] == f"s3://{BUCKET}/out/a"
    model = sm.describe_model(ModelName=steps["Model"]["Metadata"]["Model"]["Arn"].split("/")[-1])
    assert model["PrimaryContainer"]["ModelDataUrl"] == trained["ModelArtifacts"]["S3ModelArtifacts"]
    package = sm.describe_model_package(ModelPackageName=steps["Register"]["Metadata"]["RegisterModel"]["Arn"])
    assert package["ModelPackageGroupName"] == "py-sm-pipelines"

    # Same arguments within ExpireAfter: the training step is taken from the cache; a negative
    # threshold sends the condition to its else branch, whose Fail step fails the execution.
    bad = sm.start_pipeline_execution(PipelineName="py-pipe", PipelineParameters=[{"Name": "MaxLoss", "Value": "-1"}], ClientRequestToken=tok("s2"))["PipelineExecutionArn"]
    # The same ClientRequestToken again (a client's retry) is the same execution, not a second one.
    assert sm.start_pipeline_execution(PipelineName="py-pipe", PipelineParameters=[{"Name": "MaxLoss", "Value": "-1"}], ClientRequestToken=tok("s2"))["PipelineExecutionArn"] == bad
    d = wait(sm, bad)
    steps = steps_of(sm, bad)
    assert d["PipelineExecutionStatus"] == "Failed"
    assert set(steps) == {"Train", "CheckLoss", "TooLossy"}
    assert steps["Train"]["CacheHitResult"]["SourcePipelineExecutionArn"] == ok
    assert steps["CheckLoss"]["Metadata"]["Condition"]["Outcome"] == "False"
    assert steps["TooLossy"]["StepStatus"] == "Failed"
    assert steps["TooLossy"]["FailureReason"] in ("loss above -1", "loss above -1.0")
    params = {p["Name"]: p["Value"] for p in sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=bad)["PipelineParameters"]}
    assert params == {"MaxLoss": "-1", "Run": "a"}
    assert json.loads(sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=bad)["PipelineDefinition"])["Version"] == "2020-12-01"
    listed = [e["PipelineExecutionArn"] for e in sm.list_pipeline_executions(PipelineName="py-pipe")["PipelineExecutionSummaries"]]
    assert listed == [bad, ok]

    with pytest.raises(ClientError) as e:
        sm.stop_pipeline_execution(PipelineExecutionArn=bad, ClientRequestToken=tok("x1"))
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_errors(aws):
    sm = aws["sm"]
    with pytest.raises(ClientError) as e:
        sm.describe_pipeline(PipelineName="nope")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(ClientError) as e:
        sm.start_pipeline_execution(PipelineName="nope", ClientRequestToken=tok("n1"))
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    for bad in ["{not json", json.dumps({"Version": "2020-12-01"}), json.dumps({"Steps": [{"Name": "A", "Type": "Training", "DependsOn": ["Missing"]}]})]:
        with pytest.raises(ClientError) as e:
            sm.create_pipeline(PipelineName="py-bad", PipelineDefinition=bad, RoleArn=ROLE, ClientRequestToken=tok("b1"))
        assert e.value.response["Error"]["Code"] == "ValidationException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    sm.create_pipeline(PipelineName="py-dup", PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": []}), RoleArn=ROLE, ClientRequestToken=tok("d1"))
    with pytest.raises(ClientError) as e:
        sm.create_pipeline(PipelineName="py-dup", PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": []}), RoleArn=ROLE, ClientRequestToken=tok("d2"))
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "already exists" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        sm.start_pipeline_execution(PipelineName="py-dup", PipelineParameters=[{"Name": "Nope", "Value": "1"}], ClientRequestToken=tok("d3"))
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert [p["PipelineName"] for p in sm.list_pipelines(PipelineNamePrefix="py-du")["PipelineSummaries"]] == ["py-dup"]
    assert sm.delete_pipeline(PipelineName="py-dup", ClientRequestToken=tok("d4"))["PipelineArn"].endswith(":pipeline/py-dup")
    with pytest.raises(ClientError) as e:
        sm.describe_pipeline_execution(PipelineExecutionArn="arn:aws:sagemaker:us-east-1:000000000000:pipeline/py-dup/execution/abc123")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"


SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
# A processing script: counts the rows of each class and writes the report the pipeline reads.
COUNT_SCRIPT = """
import json, os
rows = [l.split(",") for l in open("/opt/ml/processing/input/data/train.csv").read().split()]
counts = {}
for r in rows:
    counts[r[0]] = counts.get(r[0], 0) + 1
os.makedirs("/opt/ml/processing/report", exist_ok=True)
json.dump({"rows": len(rows), "classes": [{"label": k, "count": v} for k, v in sorted(counts.items())]},
          open("/opt/ml/processing/report/report.json", "w"))
"""


def processing_definition(min_rows, path="$.rows"):
    count = {
        "Name": "Count",
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10}},
            "AppSpecification": {"ImageUri": SKLEARN_IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/count.py"]},
            "RoleArn": ROLE,
            "ProcessingInputs": [
                {"InputName": "data", "S3Input": {"S3Uri": f"s3://{BUCKET}/train/", "LocalPath": "/opt/ml/processing/input/data", "S3DataType": "S3Prefix", "S3InputMode": "File"}},
                {"InputName": "code", "S3Input": {"S3Uri": f"s3://{BUCKET}/code/count.py", "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix", "S3InputMode": "File"}},
            ],
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "report", "S3Output": {
                "S3Uri": {"Std:Join": {"On": "/", "Values": [f"s3://{BUCKET}/reports", {"Get": "Execution.PipelineExecutionId"}]}},
                "LocalPath": "/opt/ml/processing/report", "S3UploadMode": "EndOfJob"}}]},
        },
        "PropertyFiles": [{"PropertyFileName": "Report", "OutputName": "report", "FilePath": "report.json"}],
    }
    rows = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Count.PropertyFiles.Report"}, "Path": path}}
    # The newer form: JsonGet of any S3 object, here the same report by its URI.
    ones = {"Std:JsonGet": {"S3Uri": {"Std:Join": {"On": "/", "Values": [{"Get": "Steps.Count.ProcessingOutputConfig.Outputs['report'].S3Output.S3Uri"}, "report.json"]}}, "Path": "classes[1].count"}}
    check = {
        "Name": "Enough",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": rows, "RightValue": min_rows}, {"Type": "GreaterThan", "LeftValue": ones, "RightValue": 0}],
            "IfSteps": [],
            "ElseSteps": [{"Name": "TooFew", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {"On": " ", "Values": ["only", rows, "rows,", ones, "positive"]}}}}],
        },
    }
    return json.dumps({"Version": "2020-12-01", "Steps": [count, check]})


def test_processing_step_and_json_get(aws):
    sm, s3 = aws["sm"], aws["s3"]
    framework_python("sklearn", "import sys")
    s3.put_object(Bucket=BUCKET, Key="code/count.py", Body=COUNT_SCRIPT.encode())
    lines = s3.get_object(Bucket=BUCKET, Key="train/train.csv")["Body"].read().decode().split()
    positives = sum(1 for l in lines if l.startswith("1,"))

    # A JsonGet of a property file the step does not declare is refused at create time.
    undeclared = json.loads(processing_definition(1))
    undeclared["Steps"][0]["PropertyFiles"] = []
    with pytest.raises(ClientError) as e:
        sm.create_pipeline(PipelineName="py-proc", PipelineDefinition=json.dumps(undeclared), RoleArn=ROLE, ClientRequestToken=tok("p0"))
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "PropertyFiles" in e.value.response["Error"]["Message"]

    sm.create_pipeline(PipelineName="py-proc", PipelineDefinition=processing_definition(len(lines)), RoleArn=ROLE, ClientRequestToken=tok("p1"))
    arn = sm.start_pipeline_execution(PipelineName="py-proc", ClientRequestToken=tok("p2"))["PipelineExecutionArn"]
    d = wait(sm, arn)
    steps = steps_of(sm, arn)
    assert d["PipelineExecutionStatus"] == "Succeeded", (d.get("FailureReason"), steps)
    assert steps["Enough"]["Metadata"]["Condition"]["Outcome"] == "True"
    job = sm.describe_processing_job(ProcessingJobName=steps["Count"]["Metadata"]["ProcessingJob"]["Arn"].split("/")[-1])
    assert job["ProcessingJobStatus"] == "Completed"
    execution_id = arn.split("/")[-1]
    assert job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == f"s3://{BUCKET}/reports/{execution_id}"
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=f"reports/{execution_id}/report.json")["Body"].read())
    assert report["rows"] == len(lines) and report["classes"][1] == {"label": "1", "count": positives}

    # One row short: the else branch, whose message carries both JsonGet values.
    sm.update_pipeline(PipelineName="py-proc", PipelineDefinition=processing_definition(len(lines) + 1))
    arn = sm.start_pipeline_execution(PipelineName="py-proc", ClientRequestToken=tok("p4"))["PipelineExecutionArn"]
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Failed"
    steps = steps_of(sm, arn)
    assert steps["Enough"]["Metadata"]["Condition"]["Outcome"] == "False"
    assert steps["TooFew"]["FailureReason"] == "only %d rows, %d positive" % (len(lines), positives)

    # A path that matches nothing fails the step that reads it, saying which path and file.
    sm.update_pipeline(PipelineName="py-proc", PipelineDefinition=processing_definition(1, path="$.nope"))
    arn = sm.start_pipeline_execution(PipelineName="py-proc", ClientRequestToken=tok("p6"))["PipelineExecutionArn"]
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Failed"
    steps = steps_of(sm, arn)
    assert steps["Count"]["StepStatus"] == "Succeeded"
    assert steps["Enough"]["StepStatus"] == "Failed"
    assert "$.nope" in steps["Enough"]["FailureReason"] and "Report" in steps["Enough"]["FailureReason"]


def test_tuning_step_and_best_job_reference(aws):
    sm = aws["sm"]
    tune = {
        "Name": "Tune",
        "Type": "Tuning",
        "Arguments": {
            "HyperParameterTuningJobConfig": {
                "Strategy": "Random",
                "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:objective_loss"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2},
                "ParameterRanges": {"ContinuousParameterRanges": [{"Name": "learning_rate", "MinValue": "0.01", "MaxValue": "0.2", "ScalingType": "Linear"}]},
            },
            "TrainingJobDefinition": {
                "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
                "RoleArn": ROLE,
                "InputDataConfig": [
                    {"ChannelName": c, "ContentType": "text/csv", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/train/", "S3DataDistributionType": "FullyReplicated"}}}
                    for c in ("train", "validation")
                ],
                "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/tune"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
                "StaticHyperParameters": {"predictor_type": "binary_classifier", "feature_dim": "4", "epochs": "2"},
            },
        },
    }
    check = {
        "Name": "HasBest",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [{"Type": "Not", "Expression": {"Type": "Equals", "LeftValue": {"Get": "Steps.Tune.BestTrainingJob.TrainingJobName"}, "RightValue": ""}}],
            "IfSteps": [],
            "ElseSteps": [{"Name": "NoBest", "Type": "Fail", "Arguments": {"ErrorMessage": "no best job"}}],
        },
    }
    sm.create_pipeline(PipelineName="py-tune", PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": [tune, check]}), RoleArn=ROLE, ClientRequestToken=tok("tu1"))
    arn = sm.start_pipeline_execution(PipelineName="py-tune", ClientRequestToken=tok("tu2"))["PipelineExecutionArn"]
    d = wait(sm, arn)
    steps = steps_of(sm, arn)
    assert d["PipelineExecutionStatus"] == "Succeeded", [s.get("FailureReason") for s in steps.values()]
    assert steps["HasBest"]["Metadata"]["Condition"]["Outcome"] == "True"
    name = steps["Tune"]["Metadata"]["TuningJob"]["Arn"].split("/")[-1]
    assert len(name) <= 32
    assert sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)["HyperParameterTuningJobStatus"] == "Completed"


def test_parallelism_one_step_at_a_time(aws):
    sm = aws["sm"]
    base = json.loads(definition())["Steps"][0]
    steps = [dict(base, Name=n) for n in ("TrainA", "TrainB")]
    sm.create_pipeline(
        PipelineName="py-serial", PipelineDefinition=json.dumps({"Version": "2020-12-01", "Parameters": [{"Name": "Run", "Type": "String", "DefaultValue": "s"}], "Steps": steps}),
        RoleArn=ROLE, ClientRequestToken=tok("se1"), ParallelismConfiguration={"MaxParallelExecutionSteps": 1},
    )
    arn = sm.start_pipeline_execution(PipelineName="py-serial", ClientRequestToken=tok("se2"))["PipelineExecutionArn"]
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Succeeded"
    a, b = sorted(steps_of(sm, arn).values(), key=lambda s: s["StartTime"])
    # Independent steps, yet the second starts only once the first has ended.
    assert b["StartTime"] >= a["EndTime"]


def test_retry_execution_reruns_the_failed_step(aws):
    sm, s3 = aws["sm"], aws["s3"]
    train = json.loads(definition())["Steps"][0]
    train["Arguments"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = f"s3://{BUCKET}/late/"
    sm.create_pipeline(
        PipelineName="py-retry", PipelineDefinition=json.dumps({"Version": "2020-12-01", "Parameters": [{"Name": "Run", "Type": "String", "DefaultValue": "r"}], "Steps": [train]}),
        RoleArn=ROLE, ClientRequestToken=tok("r1"),
    )
    arn = sm.start_pipeline_execution(PipelineName="py-retry", ClientRequestToken=tok("r2"))["PipelineExecutionArn"]
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Failed"
    first = steps_of(sm, arn)["Train"]
    assert first["StepStatus"] == "Failed" and first["FailureReason"]
    # The data arrives; RetryPipelineExecution runs the failed step again, in the same execution.
    s3.copy_object(Bucket=BUCKET, Key="late/train.csv", CopySource={"Bucket": BUCKET, "Key": "train/train.csv"})
    assert sm.retry_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken=tok("r3"))["PipelineExecutionArn"] == arn
    assert wait(sm, arn)["PipelineExecutionStatus"] == "Succeeded"
    again = steps_of(sm, arn)["Train"]
    assert again["StepStatus"] == "Succeeded"
    assert again["Metadata"]["TrainingJob"]["Arn"] != first["Metadata"].get("TrainingJob", {}).get("Arn")
