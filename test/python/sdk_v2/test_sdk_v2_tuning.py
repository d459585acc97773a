"""The SageMaker Python SDK v2's HyperparameterTuner, unchanged: LinearLearner and KMeans with
record_set, and the generic Estimator on a built-in image with CSV channels. fit, wait,
best_training_job, analytics().dataframe(), attach, and deploy + predict."""
import numpy as np
from sdk_v2_helpers import ROLE, separable

BUCKET = "sdk-v2-tuning"


def test_linear_learner_tuner_fit_analytics_attach_deploy(session):
    from sagemaker import LinearLearner
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, IntegerParameter

    x, y = separable(900, 5, 11)
    ll = LinearLearner(role=ROLE, instance_count=1, instance_type="ml.m5.large", predictor_type="binary_classifier", epochs=3, sagemaker_session=session)
    train = ll.record_set(x[:600], labels=y[:600], channel="train")
    validation = ll.record_set(x[600:800], labels=y[600:800], channel="validation")
    tuner = HyperparameterTuner(
        ll,
        "validation:binary_classification_accuracy",
        {"learning_rate": ContinuousParameter(0.01, 0.3, scaling_type="Logarithmic"), "mini_batch_size": IntegerParameter(50, 200)},
        objective_type="Maximize",
        max_jobs=3,
        max_parallel_jobs=2,
    )
    tuner.fit([train, validation], job_name="sdk-v2-tune-ll")
    tuner.wait()
    best = tuner.best_training_job()
    assert best.startswith("sdk-v2-tune-ll-")

    df = tuner.analytics().dataframe()
    assert len(df) == 3
    assert set(["learning_rate", "mini_batch_size", "FinalObjectiveValue", "TrainingJobName"]) <= set(df.columns)
    assert df["FinalObjectiveValue"].max() == df.loc[df["TrainingJobName"] == best, "FinalObjectiveValue"].iloc[0]

    attached = HyperparameterTuner.attach("sdk-v2-tune-ll", sagemaker_session=session)
    assert isinstance(attached.estimator, LinearLearner)
    assert attached.objective_metric_name == "validation:binary_classification_accuracy"
    assert attached.max_jobs == 3
    assert attached.best_training_job() == best

    predictor = tuner.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-v2-tune-ll")
    try:
        results = predictor.predict(x[800:])
        labels = np.array([r.label["predicted_label"].float32_tensor.values[0] for r in results])
        assert (labels == y[800:]).mean() > 0.9
    finally:
        predictor.delete_endpoint()


def test_kmeans_tuner(session):
    from sagemaker import KMeans
    from sagemaker.tuner import CategoricalParameter, HyperparameterTuner, IntegerParameter

    rng = np.random.default_rng(2)
    centers = np.array([[0, 0], [10, 0], [0, 10]], dtype="float32")
    x = (centers[np.repeat(np.arange(3), 100)] + rng.normal(scale=0.5, size=(300, 2))).astype("float32")
    km = KMeans(role=ROLE, instance_count=1, instance_type="ml.m5.large", k=3, sagemaker_session=session)
    tuner = HyperparameterTuner(
        km,
        "test:msd",
        {"extra_center_factor": IntegerParameter(1, 4), "init_method": CategoricalParameter(["random", "kmeans++"])},
        objective_type="Minimize",
        max_jobs=2,
        max_parallel_jobs=2,
    )
    tuner.fit([km.record_set(x), km.record_set(x[::3], channel="test")], job_name="sdk-v2-tune-km")
    tuner.wait()
    desc = tuner.describe()
    assert desc["HyperParameterTuningJobStatus"] == "Completed"
    assert desc["ObjectiveStatusCounters"]["Succeeded"] == 2
    assert desc["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == "test:msd"


def test_generic_estimator_tuner_on_builtin_image(session):
    from sagemaker import image_uris
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.serializers import CSVSerializer
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

    x, y = separable(500, 4, 21)
    rows = lambda a, b: "".join(",".join(str(v) for v in [int(l)] + list(r)) + "\n" for r, l in zip(a, b))
    s3 = session.boto_session.client("s3")
    session.default_bucket()  # creates it when this test runs alone
    s3.put_object(Bucket="sdk-v2-tuning", Key="csv/train/data.csv", Body=rows(x[:350], y[:350]).encode())
    s3.put_object(Bucket="sdk-v2-tuning", Key="csv/validation/data.csv", Body=rows(x[350:450], y[350:450]).encode())

    image = image_uris.retrieve("linear-learner", "us-east-1")
    est = Estimator(image_uri=image, role=ROLE, instance_count=1, instance_type="ml.m5.large", output_path="s3://sdk-v2-tuning/generic-out", sagemaker_session=session)
    est.set_hyperparameters(predictor_type="binary_classifier", feature_dim=4, epochs=10)
    tuner = HyperparameterTuner(
        est,
        "validation:objective_loss",
        {"learning_rate": ContinuousParameter(0.02, 0.3, scaling_type="Logarithmic"), "wd": ContinuousParameter(0.0001, 0.01)},
        objective_type="Minimize",
        max_jobs=2,
        max_parallel_jobs=2,
        early_stopping_type="Auto",
        strategy="Random",
        random_seed=4,
    )
    tuner.fit(
        {"train": TrainingInput("s3://sdk-v2-tuning/csv/train/", content_type="text/csv"), "validation": TrainingInput("s3://sdk-v2-tuning/csv/validation/", content_type="text/csv")},
        job_name="sdk-v2-tune-generic",
    )
    tuner.wait()
    assert tuner.describe()["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Auto"
    df = tuner.analytics().dataframe()
    assert len(df) == 2 and df["FinalObjectiveValue"].notna().all()

    attached = HyperparameterTuner.attach("sdk-v2-tune-generic", sagemaker_session=session)
    # The SDK recognises the built-in image and attaches its LinearLearner estimator.
    assert attached.estimator.training_image_uri() == image
    predictor = attached.deploy(
        initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-v2-tune-generic", serializer=CSVSerializer(), deserializer=JSONDeserializer()
    )
    try:
        out = predictor.predict(x[450:])
        labels = np.array([p["predicted_label"] for p in out["predictions"]])
        assert (labels == y[450:]).mean() > 0.85
    finally:
        predictor.delete_endpoint()


def test_tuner_create_with_two_estimators(session):
    """HyperparameterTuner.create: one TrainingJobDefinitions entry per estimator, and attach reads them back."""
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

    x, y = separable(300, 3, 31)
    rows = "".join(",".join(str(v) for v in [int(l)] + list(r)) + "\n" for r, l in zip(x, y))
    session.default_bucket()
    session.boto_session.client("s3").put_object(Bucket="sdk-v2-tuning", Key="multi/data.csv", Body=rows.encode())
    image = image_uris.retrieve("linear-learner", "us-east-1")

    def estimator():
        est = Estimator(image_uri=image, role=ROLE, instance_count=1, instance_type="ml.m5.large", output_path="s3://sdk-v2-tuning/multi-out", sagemaker_session=session)
        est.set_hyperparameters(predictor_type="binary_classifier", feature_dim=3, epochs=2)
        return est

    tuner = HyperparameterTuner.create(
        estimator_dict={"by-lr": estimator(), "by-wd": estimator()},
        objective_metric_name_dict={"by-lr": "validation:objective_loss", "by-wd": "validation:objective_loss"},
        hyperparameter_ranges_dict={"by-lr": {"learning_rate": ContinuousParameter(0.01, 0.2)}, "by-wd": {"wd": ContinuousParameter(0.0001, 0.1)}},
        objective_type="Minimize",
        max_jobs=2,
        max_parallel_jobs=2,
        strategy="Random",
    )
    channel = TrainingInput("s3://sdk-v2-tuning/multi/", content_type="text/csv")
    tuner.fit(inputs={"by-lr": {"train": channel, "validation": channel}, "by-wd": {"train": channel, "validation": channel}}, job_name="sdk-v2-tune-multi", include_cls_metadata={})
    tuner.wait()
    desc = tuner.describe()
    assert desc["HyperParameterTuningJobStatus"] == "Completed"
    assert sorted(d["DefinitionName"] for d in desc["TrainingJobDefinitions"]) == ["by-lr", "by-wd"]
    attached = HyperparameterTuner.attach("sdk-v2-tune-multi", sagemaker_session=session)
    assert sorted(attached.estimator_dict) == ["by-lr", "by-wd"]
    assert attached.best_training_job().startswith("sdk-v2-tune-multi-")
