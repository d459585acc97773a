"""The SageMaker Python SDK v2's model registry calls: Model.register into a package group, then
approval through ModelPackage, as a CI pipeline's register step does."""
from sdk_v2_helpers import ROLE

BUCKET = "sdk-v2"
IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"


def test_register_and_approve(session):
    from sagemaker.model import Model

    sm = session.sagemaker_client
    sm.create_model_package_group(ModelPackageGroupName="sdk-registry")
    model = Model(image_uri=IMAGE, model_data="s3://sdk-v2/model.tar.gz", role=ROLE, sagemaker_session=session)
    package = model.register(
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=["ml.m5.large"],
        transform_instances=["ml.m5.large"],
        model_package_group_name="sdk-registry",
        approval_status="PendingManualApproval",
    )
    assert package.model_package_arn.endswith(":model-package/sdk-registry/1")
    package.update_approval_status(approval_status="Approved", approval_description="ok")
    d = sm.describe_model_package(ModelPackageName=package.model_package_arn)
    assert d["ModelApprovalStatus"] == "Approved"
    assert d["InferenceSpecification"]["SupportedRealtimeInferenceInstanceTypes"] == ["ml.m5.large"]


def test_an_existing_unversioned_package_is_reused(session, caplog):
    """Session.create_model_package_from_algorithm names an unversioned package; called again with
    the same name, the service refuses it with "ModelPackage already exists" and the SDK reuses it."""
    import logging

    sm = session.sagemaker_client
    algorithm = sm.create_algorithm(
        AlgorithmName="sdk-registry-algo",
        TrainingSpecification={
            "TrainingImage": IMAGE,
            "SupportedTrainingInstanceTypes": ["ml.m5.large"],
            "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"], "SupportedInputModes": ["File"]}],
        },
    )["AlgorithmArn"]
    session.create_model_package_from_algorithm("sdk-reused", "first", algorithm, "s3://sdk-v2/model.tar.gz")
    with caplog.at_level(logging.WARNING):
        session.create_model_package_from_algorithm("sdk-reused", "second", algorithm, "s3://sdk-v2/model.tar.gz")
    assert "Using already existing model package: sdk-reused" in caplog.text
    assert sm.describe_model_package(ModelPackageName="sdk-reused")["ModelPackageDescription"] == "first"
