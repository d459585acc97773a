"""The SageMaker Python SDK v2 deploying to an inference component: Model.deploy with
endpoint_type=INFERENCE_COMPONENT_BASED and ResourceRequirements makes an endpoint that hosts
components and one component for the model; the predictor invokes it by name."""
import numpy as np
from sdk_v2_helpers import ROLE, separable

BUCKET = "sdk-v2-components"


def test_model_deploy_as_inference_component(session):
    from sagemaker import LinearLearner
    from sagemaker.compute_resource_requirements.resource_requirements import ResourceRequirements
    from sagemaker.enums import EndpointType

    x, y = separable(900, 4, 8)
    ll = LinearLearner(role=ROLE, instance_count=1, instance_type="ml.m5.large", predictor_type="binary_classifier",
                       epochs=6, sagemaker_session=session)
    ll.fit(ll.record_set(x[:700], labels=y[:700]), job_name="sdk-v2-ic-train", logs=False)
    model = ll.create_model(name="sdk-v2-ic-model")
    predictor = model.deploy(
        initial_instance_count=1,
        instance_type="ml.m5.xlarge",
        endpoint_name="sdk-v2-ic",
        endpoint_type=EndpointType.INFERENCE_COMPONENT_BASED,
        resources=ResourceRequirements(requests={"num_cpus": 1, "memory": 1024, "copies": 2}),
        managed_instance_scaling={"MinInstanceCount": 1, "MaxInstanceCount": 2},
    )
    try:
        assert session.is_inference_component_based_endpoint("sdk-v2-ic")
        assert predictor.component_name
        ic = session.sagemaker_client.describe_inference_component(InferenceComponentName=predictor.component_name)
        assert ic["InferenceComponentStatus"] == "InService"
        assert ic["Specification"]["ModelName"] == "sdk-v2-ic-model"
        assert ic["Specification"]["ComputeResourceRequirements"] == {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}
        assert ic["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}

        results = predictor.predict(x[700:])
        labels = np.array([r.label["predicted_label"].float32_tensor.values[0] for r in results])
        assert len(labels) == 200
        assert (labels == y[700:]).mean() >= 0.9
        assert [c["InferenceComponentName"] for c in session.list_inference_components(endpoint_name_equals="sdk-v2-ic")["InferenceComponents"]] == [predictor.component_name]
    finally:
        predictor.delete_predictor()
        predictor.delete_endpoint()
