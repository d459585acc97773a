"""sagemaker-core resources the generic engine serves: their pydantic shapes parse every
Describe/List answer strictly, so this checks the engine's outputs the way SDK v3 users meet them."""
import pytest

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


@pytest.fixture(scope="module")
def boto_session(aws_env):
    import boto3

    return boto3.Session(region_name="us-east-1")


def test_notebook_instance_lifecycle(boto_session):
    from sagemaker.core.resources import NotebookInstance

    nb = NotebookInstance.create(notebook_instance_name="core-nb", instance_type="ml.t3.medium", role_arn=ROLE, session=boto_session)
    nb.wait_for_status(target_status="InService", poll=1, timeout=60)
    assert nb.volume_size_in_gb == 5
    nb.stop()
    nb.wait_for_status(target_status="Stopped", poll=1, timeout=60)
    names = [n.notebook_instance_name for n in NotebookInstance.get_all(session=boto_session)]
    assert "core-nb" in names
    nb.delete()
    nb.wait_for_delete(poll=1, timeout=60)
    with pytest.raises(Exception):
        NotebookInstance.get(notebook_instance_name="core-nb", session=boto_session)


def test_model_package_group_and_version(boto_session):
    from sagemaker.core.resources import ModelPackage, ModelPackageGroup

    group = ModelPackageGroup.create(model_package_group_name="core-registry", session=boto_session)
    group.wait_for_status(target_status="Completed", poll=1, timeout=60)
    # ModelPackage.create reads ModelPackageName from CreateModelPackage's answer, which the
    # service model's output shape does not have (only ModelPackageArn): create through boto3.
    arn = boto_session.client("sagemaker").create_model_package(ModelPackageGroupName="core-registry")["ModelPackageArn"]
    version = ModelPackage.get(model_package_name=arn, session=boto_session)
    assert version.model_package_version == 1
    assert version.model_approval_status == "PendingManualApproval"
    version.update(model_approval_status="Approved")
    assert ModelPackage.get(model_package_name=version.model_package_arn, session=boto_session).model_approval_status == "Approved"
