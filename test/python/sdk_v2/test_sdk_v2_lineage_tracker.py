"""The SageMaker Python SDK v2's lineage artifact manager (sagemaker.experiments._helper, what
Run.log_artifact uses) links an artifact to a trial component and, when the link exists already,
skips it on the emulator's ValidationException "... already exists" instead of failing."""
import logging

BUCKET = "sdk-v2-lineage"


def test_adding_an_existing_association_is_skipped_by_the_sdk(session, caplog):
    from sagemaker.experiments._helper import _LineageArtifactManager

    sm = session.sagemaker_client
    tc = sm.create_trial_component(TrialComponentName="sdk-v2-lineage-tc")["TrialComponentArn"]
    manager = _LineageArtifactManager(name="data", source_uri="s3://sdk-v2-lineage/data.csv", etag="etag-1", dest_arn=tc, artifact_type="DataSet")
    manager.create_artifact(session)
    manager.add_association(session)
    with caplog.at_level(logging.WARNING):
        manager.add_association(session)  # the same edge: refused by the service, skipped by the SDK
    assert "Skip associating since the association already exists" in caplog.text

    edges = sm.list_associations(DestinationArn=tc)["AssociationSummaries"]
    assert [(e["SourceArn"], e["AssociationType"]) for e in edges] == [(manager.artifact_arn, "ContributedTo")]
