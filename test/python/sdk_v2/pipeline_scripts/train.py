"""Pipeline step 2 (SKLearn estimator, script mode): a logistic regression on the train split;
model_fn serves it (the repacked model carries this file as its inference code)."""
import argparse
import os

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"))
    p.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    args = p.parse_args()
    data = np.vstack([np.loadtxt(os.path.join(args.train, f), delimiter=",", ndmin=2) for f in sorted(os.listdir(args.train))])
    y, x = data[:, 0], data[:, 1:]
    clf = LogisticRegression(C=args.C).fit(x, y)
    print("train_accuracy=%.4f" % clf.score(x, y))
    joblib.dump(clf, os.path.join(args.model_dir, "model.joblib"))
