"""A scikit-learn processing script as users write them: /opt/ml paths named literally."""
import argparse
import json
import os

import numpy as np
from sklearn.preprocessing import StandardScaler

parser = argparse.ArgumentParser()
parser.add_argument("--split", type=float, default=0.5)
args = parser.parse_args()

data = np.loadtxt("/opt/ml/processing/input/raw/data.csv", delimiter=",")
scaled = StandardScaler().fit_transform(data)
cut = int(len(scaled) * args.split)
os.makedirs("/opt/ml/processing/train", exist_ok=True)
np.savetxt("/opt/ml/processing/train/train.csv", scaled[:cut], delimiter=",", fmt="%.6f")
np.savetxt("/opt/ml/processing/test/test.csv", scaled[cut:], delimiter=",", fmt="%.6f")
with open("/opt/ml/config/processingjobconfig.json") as f:
    config = json.load(f)
with open("/opt/ml/processing/train/meta.json", "w") as f:
    json.dump({"job": config["ProcessingJobName"], "mode": os.environ.get("MODE"), "rows": len(scaled)}, f)
