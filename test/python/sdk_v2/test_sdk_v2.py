"""The SageMaker Python SDK v2 (sagemaker<3): LinearLearner and KMeans with record_set, fit with
its log streaming, deploy, and the Predictor's RecordIO-protobuf round trip."""
import numpy as np
from sdk_v2_helpers import ROLE, separable

BUCKET = "sdk-v2"


def test_linear_learner_record_set_fit_deploy_predict(session):
    from sagemaker import LinearLearner

    x, y = separable(1500, 6, 3)
    ll = LinearLearner(
        role=ROLE,
        instance_count=1,
        instance_type="ml.m5.large",
        predictor_type="binary_classifier",
        epochs=8,
        sagemaker_session=session,
    )
    train = ll.record_set(x[:1200], labels=y[:1200], channel="train")
    ll.fit(train, job_name="sdk-v2-ll")
    job = session.sagemaker_client.describe_training_job(TrainingJobName="sdk-v2-ll")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    # record_set wrote a manifest and RecordIO shards; the channel is a ShardedByS3Key manifest.
    channel = job["InputDataConfig"][0]["DataSource"]["S3DataSource"]
    assert channel["S3DataType"] == "ManifestFile"
    assert channel["S3Uri"].endswith(".amazon.manifest")

    predictor = ll.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-v2-ll")
    try:
        results = predictor.predict(x[1200:])
        labels = np.array([r.label["predicted_label"].float32_tensor.values[0] for r in results])
        scores = np.array([r.label["score"].float32_tensor.values[0] for r in results])
        assert len(labels) == 300
        assert (labels == y[1200:]).mean() > 0.95
        assert ((scores >= 0) & (scores <= 1)).all()
    finally:
        predictor.delete_endpoint()


def test_kmeans_record_set_recovers_clusters(session):
    from sagemaker import KMeans

    rng = np.random.default_rng(5)
    centers = np.array([[0, 0, 0], [20, 0, 0], [0, 20, 0], [0, 0, 20]], dtype="float32")
    planted = np.repeat(np.arange(4), 250)
    x = (centers[planted] + rng.normal(scale=0.5, size=(1000, 3))).astype("float32")
    km = KMeans(role=ROLE, instance_count=1, instance_type="ml.m5.large", k=4, sagemaker_session=session)
    km.fit(km.record_set(x), job_name="sdk-v2-km")
    predictor = km.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-v2-km")
    try:
        results = predictor.predict(x[::10])
        clusters = np.array([r.label["closest_cluster"].float32_tensor.values[0] for r in results])
        # Each planted cluster maps to one predicted cluster, one-to-one.
        mapping = {p: set(clusters[planted[::10] == p]) for p in range(4)}
        assert all(len(s) == 1 for s in mapping.values())
        assert len({next(iter(s)) for s in mapping.values()}) == 4
    finally:
        predictor.delete_endpoint()


def test_recordio_round_trip_with_the_sdk_codec(session):
    """Our RecordIO reader trains on what the SDK's writer wrote; the SDK's reader parses what our
    endpoint writes."""
    import io

    from sagemaker.amazon.common import read_records, write_numpy_to_dense_tensor

    x, y = separable(600, 4, 9)
    buf = io.BytesIO()
    write_numpy_to_dense_tensor(buf, x[:500], y[:500])
    s3 = session.boto_session.client("s3")
    session.default_bucket()  # creates the bucket when this test runs alone
    s3.put_object(Bucket="sdk-v2", Key="roundtrip/train.pbr", Body=buf.getvalue())
    sm = session.sagemaker_client
    from sagemaker import image_uris

    image = image_uris.retrieve("linear-learner", "us-east-1")
    sm.create_training_job(
        TrainingJobName="sdk-v2-roundtrip",
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "Pipe"},
        RoleArn=ROLE,
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://sdk-v2/roundtrip/"}}}],
        OutputDataConfig={"S3OutputPath": "s3://sdk-v2/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters={"predictor_type": "binary_classifier", "feature_dim": "4", "epochs": "5", "mini_batch_size": "50"},
    )
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName="sdk-v2-roundtrip", WaiterConfig={"Delay": 1})
    job = sm.describe_training_job(TrainingJobName="sdk-v2-roundtrip")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(ModelName="sdk-v2-roundtrip", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image, "ModelDataUrl": artifact})
    sm.create_endpoint_config(EndpointConfigName="sdk-v2-roundtrip", ProductionVariants=[{"VariantName": "v", "ModelName": "sdk-v2-roundtrip", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="sdk-v2-roundtrip", EndpointConfigName="sdk-v2-roundtrip")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="sdk-v2-roundtrip", WaiterConfig={"Delay": 1})
    req = io.BytesIO()
    write_numpy_to_dense_tensor(req, x[500:])
    out = session.sagemaker_runtime_client.invoke_endpoint(
        EndpointName="sdk-v2-roundtrip", ContentType="application/x-recordio-protobuf", Accept="application/x-recordio-protobuf", Body=req.getvalue()
    )
    records = read_records(io.BytesIO(out["Body"].read()))
    assert len(records) == 100
    labels = np.array([r.label["predicted_label"].float32_tensor.values[0] for r in records])
    assert (labels == y[500:]).mean() > 0.95
