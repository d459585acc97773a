"""The SageMaker Python SDK v2's experiments Run, opened twice with the same experiment and run
names: the second time CreateExperiment and CreateTrialComponent are refused as already existing
(a ValidationException saying it "already exists"), and the SDK loads the existing ones instead."""

BUCKET = "sdk-v2-experiments"


def test_a_run_reopened_by_name_loads_the_existing_experiment(session):
    from sagemaker.experiments import Run

    with Run(experiment_name="sdk-v2-exp", run_name="first-run", sagemaker_session=session) as run:
        run.log_parameter("learning_rate", 0.1)
    with Run(experiment_name="sdk-v2-exp", run_name="first-run", sagemaker_session=session) as run:
        run.log_parameter("epochs", 3)

    sm = session.sagemaker_client
    assert [e["ExperimentName"] for e in sm.list_experiments()["ExperimentSummaries"] if e["ExperimentName"] == "sdk-v2-exp"] == ["sdk-v2-exp"]
    component = sm.describe_trial_component(TrialComponentName=run._trial_component.trial_component_name)
    assert {k: v["NumberValue"] for k, v in component["Parameters"].items()} == {"learning_rate": 0.1, "epochs": 3}
