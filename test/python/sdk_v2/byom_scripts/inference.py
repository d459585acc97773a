"""Serving handlers for a model trained elsewhere: JSON in, JSON out, and a crash switch."""
import json
import os

import joblib
import numpy as np


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    if content_type != "application/json":
        raise ValueError("expected application/json, got %s" % content_type)
    payload = json.loads(body)
    if payload == "crash":
        os._exit(7)  # a worker that dies: the supervisor restarts it
    return np.array(payload["instances"], dtype=float)


def predict_fn(data, model):
    return model.predict_proba(data)[:, 1]


def output_fn(prediction, accept):
    return json.dumps({"probabilities": prediction.tolist()}), "application/json"
