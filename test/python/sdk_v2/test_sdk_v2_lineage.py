"""The SageMaker Python SDK v2's lineage module, unchanged: Artifact, Context and Association
objects, DatasetArtifact.endpoint_contexts() (a QueryLineage with entity and source filters),
LineageQuery with edges, and Artifact.delete(disassociate=True)."""
import pytest

BUCKET = "sdk-v2-lineage"


def test_lineage_objects_and_queries(session):
    from sagemaker.lineage.artifact import Artifact, DatasetArtifact
    from sagemaker.lineage.association import Association
    from sagemaker.lineage.context import Context
    from sagemaker.lineage.query import LineageEntityEnum, LineageFilter, LineageQuery, LineageQueryDirectionEnum

    data = Artifact.create(artifact_name="train-data", source_uri=f"s3://{BUCKET}/train.csv", artifact_type="DataSet", sagemaker_session=session)
    model = Artifact.create(source_uri=f"s3://{BUCKET}/model.tar.gz", artifact_type="Model", properties={"stage": "candidate"}, sagemaker_session=session)
    endpoint = Context.create(context_name="sdk-v2-endpoint", source_uri="arn:aws:sagemaker:us-east-1:000000000000:endpoint/e", context_type="Endpoint", sagemaker_session=session)
    Association.create(source_arn=data.artifact_arn, destination_arn=model.artifact_arn, association_type="ContributedTo", sagemaker_session=session)
    Association.create(source_arn=model.artifact_arn, destination_arn=endpoint.context_arn, association_type="AssociatedWith", sagemaker_session=session)

    loaded = Artifact.load(artifact_arn=data.artifact_arn, sagemaker_session=session)
    assert (loaded.artifact_name, loaded.artifact_type, loaded.source.source_uri) == ("train-data", "DataSet", f"s3://{BUCKET}/train.csv")

    # Two edges downstream of the dataset, an endpoint context.
    contexts = DatasetArtifact.load(artifact_arn=data.artifact_arn, sagemaker_session=session).endpoint_contexts()
    assert [c.context_arn for c in contexts] == [endpoint.context_arn]
    assert contexts[0].context_type == "Endpoint"

    result = LineageQuery(session).query(
        start_arns=[endpoint.context_arn],
        direction=LineageQueryDirectionEnum.ASCENDANTS,
        query_filter=LineageFilter(entities=[LineageEntityEnum.ARTIFACT]),
    )
    assert {v.arn for v in result.vertices if v.lineage_entity == "Artifact"} == {data.artifact_arn, model.artifact_arn}
    assert {(e.source_arn, e.destination_arn, e.association_type) for e in result.edges} == {
        (data.artifact_arn, model.artifact_arn, "ContributedTo"),
        (model.artifact_arn, endpoint.context_arn, "AssociatedWith"),
    }

    assert [a.artifact_arn for a in Artifact.list(source_uri=f"s3://{BUCKET}/model.tar.gz", sagemaker_session=session)] == [model.artifact_arn]
    model.delete(disassociate=True)
    assert list(Association.list(destination_arn=endpoint.context_arn, sagemaker_session=session)) == []
    assert list(Association.list(source_arn=data.artifact_arn, sagemaker_session=session)) == []
