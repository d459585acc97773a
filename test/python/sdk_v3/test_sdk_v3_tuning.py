"""The SageMaker Python SDK v3's tuning API, unchanged: sagemaker.train.tuner.HyperparameterTuner on
a ModelTrainer with the built-in linear-learner, and sagemaker-core's HyperParameterTuningJob."""
import pytest
from sdk_v3_helpers import IMAGE, ROLE, csv_body, separable_rows


@pytest.fixture(scope="module")
def boto_session(aws_env):
    import boto3

    session = boto3.Session(region_name="us-east-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="sdk-v3-tuning")
    rows = separable_rows(500, seed=8)
    s3.put_object(Bucket="sdk-v3-tuning", Key="train/data.csv", Body=csv_body(rows[:400]))
    s3.put_object(Bucket="sdk-v3-tuning", Key="validation/data.csv", Body=csv_body(rows[400:]))
    return session


def test_tuner_on_model_trainer(boto_session):
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.parameter import ContinuousParameter, IntegerParameter
    from sagemaker.core.resources import HyperParameterTuningJob, TrainingJob
    from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig, StoppingCondition
    from sagemaker.train.model_trainer import ModelTrainer
    from sagemaker.train.tuner import HyperparameterTuner

    session = Session(boto_session=boto_session, default_bucket="sdk-v3-tuning")
    trainer = ModelTrainer(
        training_image=IMAGE,
        role=ROLE,
        sagemaker_session=session,
        compute=Compute(instance_type="ml.m5.large", instance_count=1),
        hyperparameters={"predictor_type": "binary_classifier", "feature_dim": "4", "epochs": "3"},
        output_data_config=OutputDataConfig(s3_output_path="s3://sdk-v3-tuning/output"),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=600),
    )
    tuner = HyperparameterTuner(
        trainer,
        "validation:objective_loss",
        {"learning_rate": ContinuousParameter(0.01, 0.3, scaling_type="Logarithmic"), "mini_batch_size": IntegerParameter(20, 100)},
        objective_type="Minimize",
        strategy="Bayesian",
        max_jobs=3,
        max_parallel_jobs=2,
        random_seed=5,
    )
    tuner.tune(
        inputs=[
            InputData(channel_name="train", data_source="s3://sdk-v3-tuning/train/", content_type="text/csv"),
            InputData(channel_name="validation", data_source="s3://sdk-v3-tuning/validation/", content_type="text/csv"),
        ],
        job_name="sdk-v3-tune",
        wait=True,
    )
    job = tuner.describe()
    assert job.hyper_parameter_tuning_job_status == "Completed", job.failure_reason
    assert job.training_job_status_counters.completed == 3
    assert job.objective_status_counters.succeeded == 3
    best = tuner.best_training_job()
    assert best.startswith("sdk-v3-tune-")

    # sagemaker-core directly: the resource, and the best child as a TrainingJob.
    core = HyperParameterTuningJob.get("sdk-v3-tune", session=boto_session, region="us-east-1")
    assert core.best_training_job.training_job_name == best
    assert core.hyper_parameter_tuning_job_config.strategy == "Bayesian"
    child = TrainingJob.get(best, session=boto_session, region="us-east-1")
    assert child.tuning_job_arn == core.hyper_parameter_tuning_job_arn
    assert child.hyper_parameters["_tuning_objective_metric"] == "validation:objective_loss"
    value = core.best_training_job.final_hyper_parameter_tuning_job_objective_metric.value
    assert value == min(m.value for m in child.final_metric_data_list if m.metric_name == "validation:objective_loss")
