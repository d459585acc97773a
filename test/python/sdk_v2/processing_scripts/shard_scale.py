"""A processing script for a job on several instances: each instance scales the CSV shard it was
given (ShardedByS3Key) with the statistics of the whole data set (the replicated `stats` input)
and writes its part under its own host name, as users write them: /opt/ml paths named literally."""
import glob
import json
import os

import numpy as np

with open("/opt/ml/config/resourceconfig.json") as f:
    resources = json.load(f)
host = resources["current_host"]
stats = np.loadtxt("/opt/ml/processing/input/stats/stats.csv", delimiter=",", ndmin=2)
mean, std = stats[0], stats[1]
files = sorted(glob.glob("/opt/ml/processing/input/shards/*.csv"))
rows = [np.loadtxt(f, delimiter=",", ndmin=2) for f in files]
part = (np.vstack(rows) - mean) / std if rows else np.zeros((0, len(mean)))
os.makedirs("/opt/ml/processing/output", exist_ok=True)
np.savetxt("/opt/ml/processing/output/part-%s.csv" % host, part, delimiter=",", fmt="%.6f")
with open("/opt/ml/processing/output/%s.json" % host, "w") as f:
    json.dump({"host": host, "hosts": resources["hosts"], "files": [os.path.basename(p) for p in files]}, f)
