"""AutoML through boto3's raw API: candidates are real training jobs, the best one deploys and predicts;
then Inference Recommender estimates instance types for it."""
import io
import json
import random
import tarfile
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
BUCKET = "py-automl"


@pytest.fixture(scope="module")
def aws(session_kwargs):
    cfg = Config(retries={"max_attempts": 1})
    return {name: boto3.client(name, config=cfg, **session_kwargs) for name in ("s3", "sagemaker", "sagemaker-runtime")}


def dataset(n, seed):
    """A header CSV, target last: a noisy linear boundary over three features."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        x = [rnd.gauss(0, 1) for _ in range(3)]
        y = 1 if x[0] - 2 * x[1] + 0.5 * x[2] > 0 else 0
        rows.append((x, 1 - y if i % 15 == 7 else y))
    text = "a,b,c,churn\n" + "".join("%.5f,%.5f,%.5f,%s\n" % (x[0], x[1], x[2], "yes" if y else "no") for x, y in rows)
    return rows, text


def test_automl_v2_with_boto3(aws):
    s3, sm, rt = aws["s3"], aws["sagemaker"], aws["sagemaker-runtime"]
    s3.create_bucket(Bucket=BUCKET)
    rows, text = dataset(500, 3)  # AutoML's documented minimum
    s3.put_object(Bucket=BUCKET, Key="in/data.csv", Body=text.encode())
    sm.create_auto_ml_job_v2(
        AutoMLJobName="py-automl",
        AutoMLJobInputDataConfig=[{"ChannelType": "training", "ContentType": "text/csv;header=present",
                                   "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://%s/in/" % BUCKET}}}],
        OutputDataConfig={"S3OutputPath": "s3://%s/out" % BUCKET},
        AutoMLProblemTypeConfig={"TabularJobConfig": {
            "TargetAttributeName": "churn", "CompletionCriteria": {"MaxCandidates": 2},
            "CandidateGenerationConfig": {"AlgorithmsConfig": [{"AutoMLAlgorithms": ["linear-learner"]}]}}},
        RoleArn=ROLE,
    )
    deadline = time.time() + 240
    while True:
        d = sm.describe_auto_ml_job_v2(AutoMLJobName="py-automl")
        if d["AutoMLJobStatus"] in ("Completed", "Failed", "Stopped"):
            break
        assert time.time() < deadline, d["AutoMLJobSecondaryStatus"]
        time.sleep(0.3)
    assert d["AutoMLJobStatus"] == "Completed", d.get("FailureReason")
    # "yes"/"no" with neither problem type nor objective given: two classes, so binary, ranked by F1 (its default).
    assert d["ResolvedAttributes"]["AutoMLProblemTypeResolvedAttributes"]["TabularResolvedAttributes"]["ProblemType"] == "BinaryClassification"
    cands = sm.list_candidates_for_auto_ml_job(AutoMLJobName="py-automl")["Candidates"]
    assert len(cands) == 2
    best = d["BestCandidate"]
    assert d["ResolvedAttributes"]["AutoMLJobObjective"] == {"MetricName": "F1"}
    assert best["FinalAutoMLJobObjectiveMetric"]["Value"] == max(c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in cands)
    job = sm.describe_training_job(TrainingJobName=best["CandidateSteps"][0]["CandidateStepName"])
    assert job["AutoMLJobArn"] == d["AutoMLJobArn"]
    f_beta = [m["Value"] for m in job["FinalMetricDataList"] if m["MetricName"] == "validation:binary_f_beta"][0]
    assert abs(best["FinalAutoMLJobObjectiveMetric"]["Value"] - f_beta) < 1e-6

    sm.create_model(ModelName="py-automl", Containers=best["InferenceContainers"], ExecutionRoleArn=ROLE)
    sm.create_endpoint_config(EndpointConfigName="py-automl", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "py-automl", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="py-automl", EndpointConfigName="py-automl")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="py-automl", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    body = "\n".join("%.5f,%.5f,%.5f" % tuple(x) for x, _ in rows[:30])
    out = json.loads(rt.invoke_endpoint(EndpointName="py-automl", ContentType="text/csv", Accept="application/json", Body=body)["Body"].read())
    # The candidate's pipeline inverts the label encoding: the answer is the original "yes"/"no".
    right = sum(1 for p, (_, y) in zip(out["predictions"], rows[:30]) if p["predicted_label"] == ("yes" if y else "no"))
    assert right >= 24

    # Inference Recommender on the best candidate's model: a sample payload archive, two instance types.
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("rows.csv")
        info.size = len(body.encode())
        tar.addfile(info, io.BytesIO(body.encode()))
    s3.put_object(Bucket=BUCKET, Key="payload/payload.tar.gz", Body=archive.getvalue())
    sm.create_inference_recommendations_job(
        JobName="py-recommend", JobType="Default", RoleArn=ROLE,
        InputConfig={"ModelName": "py-automl", "ContainerConfig": {
            "PayloadConfig": {"SamplePayloadUrl": "s3://%s/payload/payload.tar.gz" % BUCKET, "SupportedContentTypes": ["text/csv"]},
            "SupportedInstanceTypes": ["ml.m5.large", "ml.m5.2xlarge"]}},
    )
    deadline = time.time() + 120
    while True:
        rec = sm.describe_inference_recommendations_job(JobName="py-recommend")
        if rec["Status"] in ("COMPLETED", "FAILED", "STOPPED"):
            break
        assert time.time() < deadline
        time.sleep(0.3)
    assert rec["Status"] == "COMPLETED", rec.get("FailureReason")
    by = {r["EndpointConfiguration"]["InstanceType"]: r["Metrics"] for r in rec["InferenceRecommendations"]}
    # Four times the workers (8 vCPUs against 2): more than twice the throughput, at four times the price.
    assert by["ml.m5.2xlarge"]["MaxInvocations"] > 2 * by["ml.m5.large"]["MaxInvocations"]
    steps = sm.list_inference_recommendations_job_steps(JobName="py-recommend")["Steps"]
    assert [(s["StepType"], s["Status"]) for s in steps] == [("BENCHMARK", "COMPLETED")] * 2

    with pytest.raises(ClientError) as e:
        sm.describe_auto_ml_job(AutoMLJobName="py-missing")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    assert e.value.response["Error"]["Message"] == "Amazon SageMaker can't find an AutoML job called py-missing."
