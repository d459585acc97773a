"""The lineage SageMaker records by itself, read with the SageMaker Python SDK v2's lineage module
unchanged, after a LinearLearner fit and deploy: the endpoint's EndpointContext finds the dataset
and the training job behind it, the ModelArtifact finds the endpoint context and the dataset, a
LineageQuery from the endpoint finds the training job, and LineageTableVisualizer shows the job's
inputs and output."""
from sdk_v2_helpers import ROLE, separable

BUCKET = "sdk-v2-lineage-auto"


def test_endpoint_context_finds_the_data_and_job_behind_an_estimator_deploy(session):
    from sagemaker import LinearLearner
    from sagemaker.lineage.artifact import ModelArtifact
    from sagemaker.lineage.context import Context, EndpointContext
    from sagemaker.lineage.query import LineageEntityEnum, LineageFilter, LineageQuery, LineageQueryDirectionEnum, LineageSourceEnum
    from sagemaker.lineage.visualizer import LineageTableVisualizer

    x, y = separable(400, 4, 11)
    ll = LinearLearner(role=ROLE, instance_count=1, instance_type="ml.m5.large", predictor_type="binary_classifier", epochs=2, sagemaker_session=session)
    ll.fit(ll.record_set(x, labels=y, channel="train"), job_name="sdk-v2-lineage-auto")
    sm = session.sagemaker_client
    job = sm.describe_training_job(TrainingJobName="sdk-v2-lineage-auto")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    data_uri = job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    model_uri = job["ModelArtifacts"]["S3ModelArtifacts"]

    predictor = ll.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-v2-lineage-auto")
    try:
        endpoint_arn = sm.describe_endpoint(EndpointName="sdk-v2-lineage-auto")["EndpointArn"]
        contexts = list(Context.list(source_uri=endpoint_arn, sagemaker_session=session))
        assert len(contexts) == 1
        endpoint = EndpointContext.load(context_name=contexts[0].context_name, sagemaker_session=session)
        assert endpoint.context_type == "Endpoint"

        datasets = endpoint.dataset_artifacts()
        assert [(d.source.source_uri, d.artifact_type) for d in datasets] == [(data_uri, "DataSet")]
        assert endpoint.training_job_arns() == [job["TrainingJobArn"]]
        # Not trained by a pipeline: the job has no sagemaker:pipeline-execution-arn tag.
        assert endpoint.pipeline_execution_arn() is None
        assert [a.action_type for a in endpoint.actions(direction=LineageQueryDirectionEnum.ASCENDANTS)] == ["ModelDeployment"]

        models = [a for a in ModelArtifact.list(source_uri=model_uri, sagemaker_session=session)]
        assert len(models) == 1 and models[0].artifact_type == "Model"
        model = ModelArtifact.load(artifact_arn=models[0].artifact_arn, sagemaker_session=session)
        assert [c.context_arn for c in model.endpoint_contexts()] == [endpoint.context_arn]
        assert [d.source.source_uri for d in model.dataset_artifacts()] == [data_uri]

        result = LineageQuery(session).query(
            start_arns=[endpoint.context_arn],
            direction=LineageQueryDirectionEnum.ASCENDANTS,
            query_filter=LineageFilter(entities=[LineageEntityEnum.TRIAL_COMPONENT], sources=[LineageSourceEnum.TRAINING_JOB]),
            include_edges=False,
        )
        assert [v.arn.split("/")[-1] for v in result.vertices] == ["sdk-v2-lineage-auto-aws-training-job"]

        table = LineageTableVisualizer(session).show(training_job_name="sdk-v2-lineage-auto")
        rows = {(r["Direction"], r["Type"], r["Association Type"]) for _, r in table.iterrows()}
        assert rows == {("Input", "DataSet", "ContributedTo"), ("Input", "Image", "ContributedTo"), ("Output", "Model", "Produced")}
        assert data_uri in set(table["Name/Source"]) or any(n.endswith(data_uri[-40:]) for n in table["Name/Source"])
    finally:
        predictor.delete_endpoint()
