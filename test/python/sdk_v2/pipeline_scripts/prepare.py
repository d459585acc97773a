"""Pipeline step 1 (SKLearnProcessor): split the raw CSV (label first) into train and test, and
write a small statistics report that the pipeline reads as a property file."""
import argparse
import json
import os

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--train-fraction", type=float, default=0.7)
args = parser.parse_args()

data = np.loadtxt("/opt/ml/processing/input/raw/data.csv", delimiter=",")
cut = int(len(data) * args.train_fraction)
for name, part in (("train", data[:cut]), ("test", data[cut:])):
    os.makedirs("/opt/ml/processing/%s" % name, exist_ok=True)
    np.savetxt("/opt/ml/processing/%s/%s.csv" % (name, name), part, delimiter=",", fmt="%.6f")
os.makedirs("/opt/ml/processing/stats", exist_ok=True)
with open("/opt/ml/processing/stats/stats.json", "w") as f:
    json.dump({"rows": {"train": cut, "test": len(data) - cut}, "positive_fraction": float(data[:, 0].mean())}, f)
