"""An XGBoost script-mode entry point with no serving functions: the container's default handlers
load xgboost-model and answer text/csv."""
import argparse
import os

import numpy as np
import xgboost as xgb

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--num_round", type=int, default=10)
    p.add_argument("--max_depth", type=int, default=3)
    args = p.parse_args()
    d = np.loadtxt(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv"), delimiter=",")
    booster = xgb.train({"max_depth": args.max_depth, "objective": "reg:squarederror"}, xgb.DMatrix(d[:, 1:], label=d[:, 0]), num_boost_round=args.num_round)
    print("rounds=%d" % args.num_round)
    booster.save_model(os.path.join(os.environ["SM_MODEL_DIR"], "xgboost-model"))
