"""Pipeline step 3 (SKLearnProcessor): load the trained model from its model.tar.gz, score it on
the test split, write evaluation.json (the property file the condition reads)."""
import json
import os
import tarfile

import joblib
import numpy as np

with tarfile.open("/opt/ml/processing/model/model.tar.gz") as tar:
    tar.extractall("/opt/ml/processing/model/unpacked")
model = joblib.load("/opt/ml/processing/model/unpacked/model.joblib")
data = np.loadtxt("/opt/ml/processing/test/test.csv", delimiter=",", ndmin=2)
y, x = data[:, 0], data[:, 1:]
accuracy = float((model.predict(x) == y).mean())
os.makedirs("/opt/ml/processing/evaluation", exist_ok=True)
with open("/opt/ml/processing/evaluation/evaluation.json", "w") as f:
    json.dump({"metrics": {"accuracy": {"value": accuracy}}, "rows": int(len(y))}, f)
