"""Studio through sagemaker-core (SDK v3): its Domain, UserProfile and App resources parse every
answer into strict pydantic shapes and wait on the statuses, so this checks the keyed families'
outputs and lifecycles the way SDK v3 users meet them. (sagemaker-core's ImageVersion.get builds
its object from DescribeImageVersion's answer, which has no ImageName, so it cannot read an image
version on AWS either; image versions are checked through boto3 and the JS SDK instead.)"""
import pytest

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


@pytest.fixture(scope="module")
def boto_session(aws_env):
    import boto3

    return boto3.Session(region_name="us-east-1")


def test_domain_profile_and_app(boto_session):
    from sagemaker.core.resources import App, Domain, UserProfile
    from sagemaker.core.shapes import UserSettings

    domain = Domain.create(
        domain_name="core-studio",
        auth_mode="IAM",
        default_user_settings=UserSettings(execution_role=ROLE),
        subnet_ids=["subnet-0abc"],
        vpc_id="vpc-0abc",
        session=boto_session,
    )
    domain.wait_for_status(target_status="InService", poll=1, timeout=60)
    assert domain.domain_id.startswith("d-")
    assert domain.default_user_settings.execution_role == ROLE

    profile = UserProfile.create(domain_id=domain.domain_id, user_profile_name="core-user", session=boto_session)
    profile.wait_for_status(target_status="InService", poll=1, timeout=60)
    # App.create reads the new app back without its UserProfileName, which DescribeApp refuses
    # on AWS ("Either UserProfileName or SpaceName must be passed for DescribeApp operation."), and
    # here: create through boto3, read through sagemaker-core.
    boto_session.client("sagemaker").create_app(DomainId=domain.domain_id, UserProfileName="core-user", AppType="JupyterServer", AppName="default")
    app = App.get(domain_id=domain.domain_id, user_profile_name="core-user", app_type="JupyterServer", app_name="default", session=boto_session)
    app.wait_for_status(target_status="InService", poll=1, timeout=60)
    assert [a.app_name for a in App.get_all(domain_id_equals=domain.domain_id, session=boto_session)] == ["default"]

    app.delete()
    app.wait_for_status(target_status="Deleted", poll=1, timeout=60)
    profile.delete()
    profile.wait_for_delete(poll=1, timeout=60)
    domain.delete()
    domain.wait_for_delete(poll=1, timeout=60)
    with pytest.raises(Exception):
        Domain.get(domain_id=domain.domain_id, session=boto_session)


def test_assigned_id_families(boto_session):
    from sagemaker.core.resources import ComputeQuota, MlflowApp, PartnerApp
    from sagemaker.core.shapes import ComputeQuotaConfig, ComputeQuotaResourceConfig, ComputeQuotaTarget

    quota = ComputeQuota.create(
        name="core-quota",
        cluster_arn="arn:aws:sagemaker:us-east-1:000000000000:cluster/abcdef123456",
        compute_quota_config=ComputeQuotaConfig(compute_quota_resources=[ComputeQuotaResourceConfig(instance_type="ml.p5.48xlarge", count=1)]),
        compute_quota_target=ComputeQuotaTarget(team_name="core-team"),
        session=boto_session,
    )
    quota.wait_for_status(target_status="Created", poll=1, timeout=60)
    assert quota.compute_quota_version == 1
    assert "core-quota" in [q.name for q in ComputeQuota.get_all(session=boto_session)]
    quota.delete()
    quota.wait_for_delete(poll=1, timeout=60)

    mlflow = MlflowApp.create(name="core-mlflow", artifact_store_uri="s3://bucket/mlflow", role_arn=ROLE, session=boto_session)
    mlflow.wait_for_status(target_status="Created", poll=1, timeout=60)
    assert mlflow.arn.split("/")[-1].startswith("app-")
    assert mlflow.arn in [a.arn for a in MlflowApp.get_all(session=boto_session)]
    mlflow.delete()
    mlflow.wait_for_delete(poll=1, timeout=60)

    partner = PartnerApp.create(name="corepartner", type="comet", execution_role_arn=ROLE, tier="small", auth_type="IAM", session=boto_session)
    partner.wait_for_status(target_status="Available", poll=1, timeout=60)
    assert (partner.name, partner.type) == ("corepartner", "comet")
    partner.delete()
    partner.wait_for_delete(poll=1, timeout=60)

