"""Hyperparameter tuning through boto3's raw API (botocore has no tuning waiter: poll Describe)."""
import random
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


@pytest.fixture(scope="module")
def aws(session_kwargs):
    cfg = Config(retries={"max_attempts": 1})
    return {name: boto3.client(name, config=cfg, **session_kwargs) for name in ("s3", "sagemaker")}


def csv_rows(n, d, seed):
    rnd = random.Random(seed)
    w = [rnd.gauss(0, 1) for _ in range(d)]
    out = []
    for _ in range(n):
        x = [rnd.gauss(0, 2) for _ in range(d)]
        out.append(",".join(str(v) for v in [1 if sum(a * b for a, b in zip(w, x)) > 0 else 0] + x))
    return "\n".join(out) + "\n"


def channel(name, uri):
    return {
        "ChannelName": name,
        "ContentType": "text/csv",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}},
    }


def definition():
    return {
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": [channel("train", "s3://py-tuning/train/"), channel("validation", "s3://py-tuning/validation/")],
        "OutputDataConfig": {"S3OutputPath": "s3://py-tuning/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "StaticHyperParameters": {"predictor_type": "binary_classifier", "feature_dim": "4", "epochs": "2"},
    }


def wait(sm, name, timeout=300):
    deadline = time.time() + timeout
    while True:
        d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if d["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"):
            return d
        assert time.time() < deadline, d["TrainingJobStatusCounters"]
        time.sleep(0.5)


def test_tuning_job_raw_api(aws):
    s3, sm = aws["s3"], aws["sagemaker"]
    s3.create_bucket(Bucket="py-tuning")
    s3.put_object(Bucket="py-tuning", Key="train/data.csv", Body=csv_rows(300, 4, 1).encode())
    s3.put_object(Bucket="py-tuning", Key="validation/data.csv", Body=csv_rows(100, 4, 1).encode())
    config = {
        "Strategy": "Bayesian",
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:binary_classification_accuracy"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {
            "ContinuousParameterRanges": [{"Name": "learning_rate", "MinValue": "0.001", "MaxValue": "0.5", "ScalingType": "Logarithmic"}],
            "IntegerParameterRanges": [{"Name": "mini_batch_size", "MinValue": "10", "MaxValue": "200"}],
        },
        "RandomSeed": 3,
    }
    arn = sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="py-tune", HyperParameterTuningJobConfig=config, TrainingJobDefinition=definition(), Tags=[{"Key": "k", "Value": "v"}]
    )["HyperParameterTuningJobArn"]
    assert arn.endswith(":hyper-parameter-tuning-job/py-tune")
    d = wait(sm, "py-tune")
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert d["TrainingJobStatusCounters"]["Completed"] == 3
    assert d["ObjectiveStatusCounters"]["Succeeded"] == 3
    best = d["BestTrainingJob"]
    jobs = sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName="py-tune", SortBy="FinalObjectiveMetricValue", SortOrder="Descending")[
        "TrainingJobSummaries"
    ]
    assert len(jobs) == 3
    values = [j["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for j in jobs]
    assert values == sorted(values, reverse=True)
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == values[0]
    child = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert child["TuningJobArn"] == arn
    assert child["HyperParameters"]["learning_rate"] == best["TunedHyperParameters"]["learning_rate"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    names = [s["HyperParameterTuningJobName"] for s in sm.get_paginator("list_hyper_parameter_tuning_jobs").paginate().build_full_result()["HyperParameterTuningJobSummaries"]]
    assert "py-tune" in names


def test_tuning_job_errors(aws):
    sm = aws["sagemaker"]
    bad = {
        "Strategy": "Random",
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:objective_loss"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
        "ParameterRanges": {"ContinuousParameterRanges": [{"Name": "wd", "MinValue": "0", "MaxValue": "1", "ScalingType": "Logarithmic"}]},
    }
    with pytest.raises(ClientError) as e:
        sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName="py-bad", HyperParameterTuningJobConfig=bad, TrainingJobDefinition=definition())
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="py-missing")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
