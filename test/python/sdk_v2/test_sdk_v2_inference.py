"""The SageMaker Python SDK v2 beyond one synchronous call: Transformer (transform, wait, its
log streaming) and an asynchronous endpoint's predict_async, unchanged, against the emulator."""
import json

import numpy as np
import pytest
from sdk_v2_helpers import ROLE

BUCKET = "sdk-v2-inference"


@pytest.fixture(scope="module")
def trained(session):
    from sagemaker import LinearLearner

    rng = np.random.default_rng(11)
    w = rng.normal(size=4)
    x = rng.normal(scale=2.0, size=(1400, 4)).astype("float32")
    s = x @ w + 0.3
    keep = np.abs(s) > 0.3
    x, y = x[keep][:700], (s[keep][:700] > 0).astype("float32")
    ll = LinearLearner(role=ROLE, instance_count=1, instance_type="ml.m5.large", predictor_type="binary_classifier",
                       epochs=6, sagemaker_session=session)
    ll.fit(ll.record_set(x[:600], labels=y[:600]), job_name="sdk-v2-inf-train", logs=False)
    return ll, x[600:], y[600:]


def test_transformer_transform_wait_and_logs(session, trained, capsys):
    ll, x, y = trained
    body = "".join(",".join(repr(float(v)) for v in row) + "\n" for row in x)
    data = session.upload_string_as_file_body(body, bucket="sdk-v2-inference", key="transform/in/rows.csv")
    transformer = ll.transformer(instance_count=1, instance_type="ml.m5.large", strategy="MultiRecord",
                                 assemble_with="Line", accept="application/jsonlines",
                                 output_path="s3://sdk-v2-inference/transform/out")
    transformer.transform(data, content_type="text/csv", split_type="Line", job_name="sdk-v2-transform", wait=True, logs=True)
    transformer.wait()
    printed = capsys.readouterr().out
    assert "[sagemaker logs]: MaxConcurrentTransforms=1, MaxPayloadInMB=6, BatchStrategy=MULTI_RECORD" in printed

    job = session.sagemaker_client.describe_transform_job(TransformJobName="sdk-v2-transform")
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    out = session.read_s3_file("sdk-v2-inference", "transform/out/rows.csv.out")
    predictions = [json.loads(line) for line in out.splitlines() if line]
    assert len(predictions) == len(x)
    labels = np.array([p["predicted_label"] for p in predictions])
    assert (labels == y).mean() > 0.95


def test_async_endpoint_predict_async(session, trained):
    from sagemaker.async_inference import AsyncInferenceConfig, WaiterConfig
    from sagemaker.deserializers import StringDeserializer
    from sagemaker.exceptions import AsyncInferenceModelError

    ll, x, y = trained
    predictor = ll.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-v2-async",
                          async_inference_config=AsyncInferenceConfig(output_path="s3://sdk-v2-inference/async/out",
                                                                      failure_path="s3://sdk-v2-inference/async/fail"))
    try:
        response = predictor.predict_async(data=x[:40])
        assert response.output_path.startswith("s3://sdk-v2-inference/async/out/")
        result = response.get_result(WaiterConfig(max_attempts=120, delay=1))
        labels = np.array([r.label["predicted_label"].float32_tensor.values[0] for r in result])
        assert len(labels) == 40
        assert (labels == y[:40]).mean() > 0.95

        # The SDK reads the failure file with the predictor's deserializer: the model's error
        # message is text, so read it as text.
        predictor.predictor.deserializer = StringDeserializer()
        bad = session.upload_string_as_file_body("not,a,number,row\n", bucket="sdk-v2-inference", key="async/in/bad.csv")
        failing = predictor.predict_async(input_path=bad, initial_args={"ContentType": "text/csv"})
        with pytest.raises(AsyncInferenceModelError, match="could not convert"):
            failing.get_result(WaiterConfig(max_attempts=20, delay=1))
    finally:
        predictor.delete_endpoint()
