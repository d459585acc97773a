"""A processing script for the SDK v3 pipeline test: counts the rows of each class of the CSV
(label first) and writes summary.json, which the pipeline reads as a property file."""
import json
import os

import numpy as np

data = np.loadtxt("/opt/ml/processing/input/data/data.csv", delimiter=",", ndmin=2)
os.makedirs("/opt/ml/processing/summary", exist_ok=True)
with open("/opt/ml/processing/summary/summary.json", "w") as f:
    json.dump({"rows": int(len(data)), "positive": int(data[:, 0].sum())}, f)
