"""Experiments, trials and trial components with their associations, and the Search API over
training jobs and them, through boto3: filters of every operator, nested filters,
sub-expressions, sorting and pagination."""
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


@pytest.fixture(scope="module")
def sm(session_kwargs):
    return boto3.client("sagemaker", config=Config(retries={"max_attempts": 1}), **session_kwargs)


def names(results, member, key):
    return [r[member][key] for r in results["Results"]]


def search(sm, resource, expression=None, **kw):
    args = {"Resource": resource, **kw}
    if expression is not None:
        args["SearchExpression"] = expression
    return sm.search(**args)


@pytest.fixture(scope="module")
def experiment(sm):
    sm.create_experiment(ExperimentName="churn-exp", Description="churn study", Tags=[{"Key": "team", "Value": "growth"}])
    sm.create_experiment(ExperimentName="fraud-exp", Description="fraud study")
    for trial in ("trial-a", "trial-b"):
        sm.create_trial(TrialName=trial, ExperimentName="churn-exp")
    for name, lr, loss in (("tc-1", 0.1, 0.9), ("tc-2", 0.01, 0.4), ("tc-3", 0.001, 0.2)):
        sm.create_trial_component(TrialComponentName=name, Parameters={"lr": {"NumberValue": lr}, "optimizer": {"StringValue": "adam" if lr > 0.005 else "sgd"}})
    sm.associate_trial_component(TrialComponentName="tc-1", TrialName="trial-a")
    sm.associate_trial_component(TrialComponentName="tc-2", TrialName="trial-a")
    out = sm.associate_trial_component(TrialComponentName="tc-3", TrialName="trial-b")
    assert out["TrialArn"].endswith(":experiment-trial/trial-b")
    assert out["TrialComponentArn"].endswith(":experiment-trial-component/tc-3")
    return "churn-exp"


def test_associations_drive_the_list_filters(sm, experiment):
    listed = sm.list_trial_components(TrialName="trial-a")["TrialComponentSummaries"]
    assert sorted(c["TrialComponentName"] for c in listed) == ["tc-1", "tc-2"]
    listed = sm.list_trial_components(ExperimentName="churn-exp")["TrialComponentSummaries"]
    assert sorted(c["TrialComponentName"] for c in listed) == ["tc-1", "tc-2", "tc-3"]
    assert [t["TrialName"] for t in sm.list_trials(TrialComponentName="tc-3")["TrialSummaries"]] == ["trial-b"]
    sm.disassociate_trial_component(TrialComponentName="tc-2", TrialName="trial-a")
    assert [c["TrialComponentName"] for c in sm.list_trial_components(TrialName="trial-a")["TrialComponentSummaries"]] == ["tc-1"]
    sm.associate_trial_component(TrialComponentName="tc-2", TrialName="trial-a")
    with pytest.raises(ClientError) as e:
        sm.associate_trial_component(TrialComponentName="tc-missing", TrialName="trial-a")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"


def test_search_filters_and_operators(sm, experiment):
    # Every job in the account has its trial component too (other tests' jobs): look within the experiment.
    in_experiment = [{"NestedPropertyName": "Parents", "Filters": [{"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": "churn-exp"}]}]
    by = lambda f: sorted(names(search(sm, "ExperimentTrialComponent", {"Filters": [f], "NestedFilters": in_experiment}), "TrialComponent", "TrialComponentName"))
    assert by({"Name": "Parameters.lr", "Operator": "GreaterThan", "Value": "0.005"}) == ["tc-1", "tc-2"]
    assert by({"Name": "Parameters.lr", "Operator": "LessThanOrEqualTo", "Value": "0.01"}) == ["tc-2", "tc-3"]
    assert by({"Name": "Parameters.optimizer", "Operator": "Equals", "Value": "sgd"}) == ["tc-3"]
    assert by({"Name": "Parameters.optimizer", "Operator": "NotEquals", "Value": "sgd"}) == ["tc-1", "tc-2"]
    assert by({"Name": "TrialComponentName", "Operator": "In", "Value": "tc-1,tc-3"}) == ["tc-1", "tc-3"]
    assert by({"Name": "TrialComponentName", "Operator": "Contains", "Value": "-2"}) == ["tc-2"]
    assert by({"Name": "Parameters.momentum", "Operator": "NotExists"}) == ["tc-1", "tc-2", "tc-3"]
    assert by({"Name": "Parameters.lr", "Operator": "Exists"}) == ["tc-1", "tc-2", "tc-3"]
    assert by({"Name": "Parents.TrialName", "Operator": "Equals", "Value": "trial-b"}) == []  # a list is filtered with NestedFilters
    nested = search(sm, "ExperimentTrialComponent", {"NestedFilters": [{"NestedPropertyName": "Parents", "Filters": [{"Name": "Parents.TrialName", "Operator": "Equals", "Value": "trial-b"}]}]})
    assert names(nested, "TrialComponent", "TrialComponentName") == ["tc-3"]
    assert nested["Results"][0]["TrialComponent"]["Parents"] == [{"TrialName": "trial-b", "ExperimentName": "churn-exp"}]

    either = {"SubExpressions": [{"Filters": [{"Name": "TrialComponentName", "Operator": "Equals", "Value": "tc-1"}]},
                                 {"Filters": [{"Name": "Parameters.optimizer", "Operator": "Equals", "Value": "sgd"}]}], "Operator": "Or"}
    either = {"SubExpressions": [either, {"NestedFilters": in_experiment}]}
    assert sorted(names(search(sm, "ExperimentTrialComponent", either), "TrialComponent", "TrialComponentName")) == ["tc-1", "tc-3"]


def test_search_experiments_and_trials(sm, experiment):
    tagged = search(sm, "Experiment", {"Filters": [{"Name": "Tags.team", "Operator": "Equals", "Value": "growth"}]})
    assert names(tagged, "Experiment", "ExperimentName") == ["churn-exp"]
    assert tagged["Results"][0]["Experiment"]["Description"] == "churn study"
    trials = search(sm, "ExperimentTrial", {"Filters": [{"Name": "ExperimentName", "Operator": "Equals", "Value": "churn-exp"}]}, SortBy="TrialName", SortOrder="Ascending")
    assert names(trials, "Trial", "TrialName") == ["trial-a", "trial-b"]
    assert sorted(c["TrialComponentName"] for c in trials["Results"][0]["Trial"]["TrialComponentSummaries"]) == ["tc-1", "tc-2"]


def test_search_training_jobs_sorted_and_paged(sm):
    for i, epochs in enumerate(("3", "10", "30")):
        sm.create_training_job(
            TrainingJobName=f"search-job-{i}", RoleArn=ROLE,
            AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            HyperParameters={"epochs": epochs, "feature_dim": "2", "predictor_type": "regressor"},
            InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://no-such-bucket-search/train"}}}],
            OutputDataConfig={"S3OutputPath": "s3://no-such-bucket-search/out"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 600},
        )
    expression = {"Filters": [{"Name": "TrainingJobName", "Operator": "Contains", "Value": "search-job-"},
                              {"Name": "HyperParameters.epochs", "Operator": "GreaterThanOrEqualTo", "Value": "10"}]}
    first = search(sm, "TrainingJob", expression, SortBy="TrainingJobName", SortOrder="Descending", MaxResults=1)
    assert names(first, "TrainingJob", "TrainingJobName") == ["search-job-2"]
    second = search(sm, "TrainingJob", expression, SortBy="TrainingJobName", SortOrder="Descending", MaxResults=1, NextToken=first["NextToken"])
    assert names(second, "TrainingJob", "TrainingJobName") == ["search-job-1"]
    assert "NextToken" not in second
    assert second["Results"][0]["TrainingJob"]["HyperParameters"]["epochs"] == "10"
    channel = {"NestedFilters": [{"NestedPropertyName": "InputDataConfig", "Filters": [{"Name": "InputDataConfig.ChannelName", "Operator": "Equals", "Value": "train"}]}],
               "Filters": [{"Name": "TrainingJobName", "Operator": "Contains", "Value": "search-job-"}]}
    assert len(search(sm, "TrainingJob", channel)["Results"]) == 3
    with pytest.raises(ClientError) as e:
        search(sm, "TrainingJob", NextToken="bogus")
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_deletes_follow_the_required_order(sm):
    sm.create_experiment(ExperimentName="del-exp")
    sm.create_trial(TrialName="del-trial", ExperimentName="del-exp")
    sm.create_trial_component(TrialComponentName="del-tc")
    sm.associate_trial_component(TrialComponentName="del-tc", TrialName="del-trial")
    for call in (lambda: sm.delete_trial_component(TrialComponentName="del-tc"),
                 lambda: sm.delete_trial(TrialName="del-trial"),
                 lambda: sm.delete_experiment(ExperimentName="del-exp")):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "ValidationException"
    sm.disassociate_trial_component(TrialComponentName="del-tc", TrialName="del-trial")
    sm.delete_trial_component(TrialComponentName="del-tc")
    sm.delete_trial(TrialName="del-trial")
    sm.delete_experiment(ExperimentName="del-exp")
    with pytest.raises(ClientError) as e:
        sm.describe_experiment(ExperimentName="del-exp")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"


def test_search_model_packages(sm):
    sm.create_model_package_group(ModelPackageGroupName="search-group")
    spec = {"Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://search-models/m.tar.gz"}], "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
    for status in ("Approved", "PendingManualApproval"):
        sm.create_model_package(ModelPackageGroupName="search-group", InferenceSpecification=spec, ModelApprovalStatus=status)
    found = search(sm, "ModelPackage", {"Filters": [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": "search-group"},
                                                    {"Name": "ModelApprovalStatus", "Operator": "Equals", "Value": "Approved"}]})
    assert [(r["ModelPackage"]["ModelPackageGroupName"], r["ModelPackage"]["ModelPackageVersion"]) for r in found["Results"]] == [("search-group", 1)]


def test_job_with_experiment_config_gets_its_trial_component(sm):
    sm.create_experiment(ExperimentName="job-exp")
    sm.create_trial(TrialName="job-trial", ExperimentName="job-exp")
    job = dict(
        RoleArn=ROLE, AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"epochs": "5", "predictor_type": "regressor"},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://no-such-bucket-search/train"}}}],
        OutputDataConfig={"S3OutputPath": "s3://no-such-bucket-search/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    with pytest.raises(ClientError) as e:
        sm.create_training_job(TrainingJobName="exp-job-missing", ExperimentConfig={"ExperimentName": "job-exp", "TrialName": "no-trial"}, **job)
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    arn = sm.create_training_job(TrainingJobName="exp-job", ExperimentConfig={"ExperimentName": "job-exp", "TrialName": "job-trial", "TrialComponentDisplayName": "first-run"}, **job)["TrainingJobArn"]
    while sm.describe_training_job(TrainingJobName="exp-job")["TrainingJobStatus"] == "InProgress":
        time.sleep(0.2)
    component = sm.describe_trial_component(TrialComponentName="exp-job-aws-training-job")
    assert component["DisplayName"] == "first-run"
    assert component["Source"] == {"SourceArn": arn, "SourceType": "SageMakerTrainingJob"}
    assert component["Status"]["PrimaryStatus"] == "Failed"
    assert component["Parameters"]["epochs"] == {"NumberValue": 5.0}
    assert component["Parameters"]["predictor_type"] == {"StringValue": "regressor"}
    found = search(sm, "ExperimentTrialComponent", {"Filters": [{"Name": "Source.SourceArn", "Operator": "Equals", "Value": arn}]})
    assert names(found, "TrialComponent", "TrialComponentName") == ["exp-job-aws-training-job"]
    assert found["Results"][0]["TrialComponent"]["Parents"] == [{"TrialName": "job-trial", "ExperimentName": "job-exp"}]
