"""SageMaker Studio through boto3, the way an infrastructure test or a clean-up script drives it:
create a domain with a user profile, a space and apps, page through them with boto3's paginators,
then tear everything down in the order AWS enforces (apps, then spaces and profiles, then the
domain), and custom image versions with the ImageVersionCreated waiter."""
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


@pytest.fixture(scope="module")
def sm(session_kwargs):
    return boto3.client("sagemaker", config=Config(retries={"max_attempts": 1}), **session_kwargs)


def wait_for(read, done, attempts=400):
    """Bounded by attempts, not by time: the fast timing profile settles in a fraction of a second."""
    last = read()
    for _ in range(attempts):
        if done(last):
            return last
        time.sleep(0.05)
        last = read()
    raise AssertionError(f"never settled: {last}")


def wait_gone(read, attempts=400):
    for _ in range(attempts):
        try:
            read()
        except ClientError as e:
            return e
        time.sleep(0.05)
    raise AssertionError("never gone")


def test_domain_members_and_teardown_order(sm):
    created = sm.create_domain(
        DomainName="boto3-studio",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE},
        SubnetIds=["subnet-0abc"],
        VpcId="vpc-0abc",
    )
    domain_id = created["DomainId"]
    assert domain_id.startswith("d-") and len(domain_id) == 14
    assert created["DomainArn"].endswith(f":domain/{domain_id}")
    wait_for(lambda: sm.describe_domain(DomainId=domain_id), lambda d: d["Status"] == "InService")

    for n in range(5):
        sm.create_user_profile(DomainId=domain_id, UserProfileName=f"user-{n}")
    sm.create_space(DomainId=domain_id, SpaceName="team")
    sm.create_app(DomainId=domain_id, UserProfileName="user-0", AppType="JupyterServer", AppName="default")
    sm.create_app(DomainId=domain_id, SpaceName="team", AppType="CodeEditor", AppName="default")

    # boto3's paginators follow NextToken through every page.
    pages = list(sm.get_paginator("list_user_profiles").paginate(DomainIdEquals=domain_id, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert [p["UserProfileName"] for page in pages for p in page["UserProfiles"]] == [f"user-{n}" for n in range(5)]
    apps = [a for page in sm.get_paginator("list_apps").paginate(DomainIdEquals=domain_id) for a in page["Apps"]]
    assert sorted((a.get("UserProfileName", ""), a.get("SpaceName", ""), a["AppType"]) for a in apps) == [
        ("", "team", "CodeEditor"),
        ("user-0", "", "JupyterServer"),
    ]

    # AWS's order: the domain cannot go while it has members, nor a member while it has apps.
    with pytest.raises(ClientError) as e:
        sm.delete_domain(DomainId=domain_id)
    assert e.value.response["Error"]["Code"] == "ResourceInUse"
    assert "because UserProfile(s) are associated with it" in e.value.response["Error"]["Message"]
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.delete_user_profile(DomainId=domain_id, UserProfileName="user-0")

    for a in apps:
        owner = {"UserProfileName": a["UserProfileName"]} if a.get("UserProfileName") else {"SpaceName": a["SpaceName"]}
        sm.delete_app(DomainId=domain_id, AppType=a["AppType"], AppName=a["AppName"], **owner)
    wait_for(
        lambda: sm.list_apps(DomainIdEquals=domain_id)["Apps"],
        lambda listed: [x["Status"] for x in listed] == ["Deleted", "Deleted"],
    )
    sm.delete_space(DomainId=domain_id, SpaceName="team")
    for n in range(5):
        sm.delete_user_profile(DomainId=domain_id, UserProfileName=f"user-{n}")
    wait_for(lambda: sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"], lambda p: p == [])
    wait_for(lambda: sm.list_spaces(DomainIdEquals=domain_id)["Spaces"], lambda s: s == [])

    sm.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
    gone = wait_gone(lambda: sm.describe_domain(DomainId=domain_id))
    assert gone.response["Error"]["Code"] == "ResourceNotFound"
    assert isinstance(gone, sm.exceptions.ResourceNotFound)


def test_image_versions_with_the_waiter(sm):
    sm.create_image(ImageName="boto3-image", RoleArn=ROLE)
    base = "123456789012.dkr.ecr.us-east-1.amazonaws.com/custom:"
    arn = sm.create_image_version(ImageName="boto3-image", BaseImage=base + "1", ClientToken="a", Aliases=["prod"])["ImageVersionArn"]
    assert arn.endswith(":image-version/boto3-image/1")
    sm.get_waiter("image_version_created").wait(ImageName="boto3-image", Version=1, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    d = sm.describe_image_version(ImageName="boto3-image", Alias="prod")
    assert (d["Version"], d["ImageVersionStatus"], d["BaseImage"]) == (1, "CREATED", base + "1")
    sm.create_image_version(ImageName="boto3-image", BaseImage=base + "2", ClientToken="b")
    sm.update_image_version(ImageName="boto3-image", Version=2, AliasesToAdd=["canary"])
    assert sm.list_aliases(ImageName="boto3-image")["SageMakerImageVersionAliases"] == ["prod", "canary"]
    versions = sm.list_image_versions(ImageName="boto3-image", SortBy="VERSION", SortOrder="DESCENDING")["ImageVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_image_version(ImageName="boto3-image", Alias="missing")
