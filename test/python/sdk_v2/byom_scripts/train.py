"""A scikit-learn script-mode entry point: trains with hyperparameters given as CLI args, loads
with model_fn for serving (the container's default input/predict/output handlers do the rest)."""
import argparse
import json
import os

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--max_iter", type=int, default=100)
    p.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"))
    p.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    args = p.parse_args()
    data = np.vstack([np.loadtxt(os.path.join(args.train, f), delimiter=",") for f in sorted(os.listdir(args.train))])
    y, x = data[:, 0], data[:, 1:]
    clf = LogisticRegression(C=args.C, max_iter=args.max_iter).fit(x, y)
    print("train_accuracy=%.4f" % clf.score(x, y))
    # What the toolkit promises the script: its environment and the /opt/ml tree.
    env = {k: os.environ[k] for k in ("SM_HPS", "SM_CHANNELS", "SM_CURRENT_HOST", "SM_HOSTS", "SM_HP_C", "SM_USER_ARGS")}
    with open(os.path.join(args.model_dir, "env.json"), "w") as f:
        json.dump(env, f)
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "note.txt"), "w") as f:
        f.write("output data")
    joblib.dump(clf, os.path.join(args.model_dir, "model.joblib"))
