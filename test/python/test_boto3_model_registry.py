"""The model registry through boto3: model package groups, versions numbered per group, and
ModelApprovalStatus transitions, as a CI pipeline's register-then-approve step drives them."""
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"


@pytest.fixture(scope="module")
def sm(session_kwargs):
    return boto3.client("sagemaker", config=Config(retries={"max_attempts": 1}), **session_kwargs)


def inference_spec(n):
    return {
        "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://registry-test/model-{n}.tar.gz"}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }


def test_versions_and_approval(sm):
    group = sm.create_model_package_group(ModelPackageGroupName="Churn-Models", ModelPackageGroupDescription="churn")
    assert group["ModelPackageGroupArn"].endswith(":model-package-group/churn-models")

    arns = [
        sm.create_model_package(ModelPackageGroupName="Churn-Models", InferenceSpecification=inference_spec(n))["ModelPackageArn"]
        for n in range(3)
    ]
    account = boto3.client("sts", endpoint_url=sm.meta.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test").get_caller_identity()["Account"]
    assert arns == [f"arn:aws:sagemaker:us-east-1:{account}:model-package/churn-models/{v}" for v in (1, 2, 3)]

    d = sm.describe_model_package(ModelPackageName=arns[1])
    assert d["ModelPackageVersion"] == 2
    assert d["ModelPackageName"] == "Churn-Models/2"
    # The name works as well as the ARN.
    assert sm.describe_model_package(ModelPackageName="churn-models/2")["ModelPackageArn"] == arns[1]
    assert d["ModelPackageGroupName"] == "Churn-Models"
    assert d["ModelApprovalStatus"] == "PendingManualApproval"
    assert d["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == "s3://registry-test/model-1.tar.gz"
    assert d["ModelPackageStatus"] in ("Pending", "Completed")

    sm.update_model_package(ModelPackageArn=arns[1], ModelApprovalStatus="Approved", ApprovalDescription="passed eval")
    sm.update_model_package(ModelPackageArn=arns[2], ModelApprovalStatus="Rejected")
    d = sm.describe_model_package(ModelPackageName=arns[1])
    assert (d["ModelApprovalStatus"], d["ApprovalDescription"]) == ("Approved", "passed eval")
    assert d["LastModifiedTime"] >= d["CreationTime"]

    # The pipeline's "latest approved version" query.
    approved = sm.list_model_packages(ModelPackageGroupName="Churn-Models", ModelApprovalStatus="Approved",
                                      SortBy="CreationTime", SortOrder="Descending")["ModelPackageSummaryList"]
    assert [p["ModelPackageVersion"] for p in approved] == [2]
    versions = sm.list_model_packages(ModelPackageGroupName="Churn-Models")["ModelPackageSummaryList"]
    assert [p["ModelPackageVersion"] for p in versions] == [1, 2, 3]
    assert [p["ModelApprovalStatus"] for p in versions] == ["PendingManualApproval", "Approved", "Rejected"]

    # Approved back to pending, as the console's "update status" does.
    sm.update_model_package(ModelPackageArn=arns[1], ModelApprovalStatus="PendingManualApproval")
    assert sm.describe_model_package(ModelPackageName=arns[1])["ModelApprovalStatus"] == "PendingManualApproval"

    # A group with versions is not deleted; a deleted version's number is not reused.
    with pytest.raises(ClientError) as e:
        sm.delete_model_package_group(ModelPackageGroupName="Churn-Models")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    sm.delete_model_package(ModelPackageName=arns[2])
    with pytest.raises(ClientError) as e:
        sm.describe_model_package(ModelPackageName=arns[2])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    fourth = sm.create_model_package(ModelPackageGroupName="Churn-Models", InferenceSpecification=inference_spec(4))
    assert fourth["ModelPackageArn"].endswith("/churn-models/4")

    for arn in (arns[0], arns[1], fourth["ModelPackageArn"]):
        sm.delete_model_package(ModelPackageName=arn)
    sm.delete_model_package_group(ModelPackageGroupName="Churn-Models")
    # Deleting for a moment (the timing profile), then not found.
    error = None
    for _ in range(200):
        try:
            assert sm.describe_model_package_group(ModelPackageGroupName="Churn-Models")["ModelPackageGroupStatus"] == "Deleting"
        except ClientError as e:
            error = e
            break
        time.sleep(0.05)
    assert error is not None and error.response["Error"]["Code"] == "ValidationException"
    # A group created again under the same name is a new group: its versions count from 1.
    sm.create_model_package_group(ModelPackageGroupName="Churn-Models")
    again = sm.create_model_package(ModelPackageGroupName="Churn-Models", InferenceSpecification=inference_spec(5))
    assert again["ModelPackageArn"].endswith("/churn-models/1")


def test_status_settles_and_unversioned_packages(sm):
    sm.create_model_package_group(ModelPackageGroupName="settle")
    arn = sm.create_model_package(ModelPackageGroupName="settle", InferenceSpecification=inference_spec(0))["ModelPackageArn"]
    status = None
    for _ in range(200):  # bounded by attempts; the fast profile settles in a fraction of a second
        status = sm.describe_model_package(ModelPackageName=arn)["ModelPackageStatus"]
        if status == "Completed":
            break
        time.sleep(0.05)
    assert status == "Completed"

    plain = sm.create_model_package(ModelPackageName="plain-package", InferenceSpecification=inference_spec(9))
    assert plain["ModelPackageArn"].endswith(":model-package/plain-package")
    # The same unversioned name again: a ValidationException with "ModelPackage already exists", the
    # phrase the SageMaker Python SDK's Session.create_model_package matches to reuse the package.
    with pytest.raises(ClientError) as e:
        sm.create_model_package(ModelPackageName="plain-package", InferenceSpecification=inference_spec(9))
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["Error"]["Message"] == f"ModelPackage already exists: {plain['ModelPackageArn']}"
    # Unversioned packages by default; a group's versions when it is named.
    assert [p["ModelPackageName"] for p in sm.list_model_packages()["ModelPackageSummaryList"]] == ["plain-package"]
    both = sm.list_model_packages(ModelPackageType="Both")["ModelPackageSummaryList"]
    assert {p["ModelPackageArn"] for p in both} >= {arn, plain["ModelPackageArn"]}
    with pytest.raises(ClientError) as e:
        sm.update_model_package(ModelPackageArn=plain["ModelPackageArn"], ModelApprovalStatus="Approved")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as e:
        sm.create_model_package(ModelPackageGroupName="no-such-group", InferenceSpecification=inference_spec(0))
    assert e.value.response["Error"]["Code"] == "ValidationException"
