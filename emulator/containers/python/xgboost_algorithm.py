"""The SageMaker XGBoost image in algorithm mode (no sagemaker_program), run by localsage.

Reads the /opt/ml tree the way the real container does (SAGEMAKER_BASE_DIR points at it here):
input/config/hyperparameters.json, the `train` and optional `validation` channels in text/csv
(label in the first column, no header) or text/libsvm, and writes model/xgboost-model. Evaluation
lines are printed like the container's, with tabs shown as #011, so the documented metric regexes
match them.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

BASE = os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml")

# The documented hyperparameters and how each is parsed; anything else is refused, as the real
# container does.
INT = {"num_round", "max_depth", "min_child_weight", "max_delta_step", "max_leaves", "max_bin", "num_parallel_tree",
       "early_stopping_rounds", "seed", "num_class", "nthread", "verbosity", "silent"}
FLOAT = {"eta", "gamma", "subsample", "colsample_bytree", "colsample_bylevel", "colsample_bynode", "lambda", "alpha",
         "sketch_eps", "scale_pos_weight", "base_score", "tweedie_variance_power", "rate_drop", "skip_drop", "lambda_bias",
         "max_cat_to_onehot"}
STR = {"objective", "booster", "tree_method", "grow_policy", "sample_type", "normalize_type", "updater", "process_type",
       "dsplit", "eval_metric", "csv_weights", "one_drop", "refresh_leaf", "interaction_constraints", "monotone_constraints",
       "single_precision_histogram", "deterministic_histogram", "use_dask_gpu_training", "_kfold", "_tuning_objective_metric"}


def fail(message):
    with open(os.path.join(BASE, "output", "failure"), "w") as f:
        f.write(message)
    print(message, file=sys.stderr)
    sys.exit(2)


def parse_hyperparameters():
    with open(os.path.join(BASE, "input", "config", "hyperparameters.json")) as f:
        raw = json.load(f)
    params = {}
    for k, v in raw.items():
        if k.startswith("sagemaker_"):
            continue
        try:
            if k in INT:
                params[k] = int(float(v))
            elif k in FLOAT:
                params[k] = float(v)
            elif k in STR:
                params[k] = str(v)
            else:
                fail("ClientError: Hyperparameter %s is not a valid hyperparameter of the XGBoost algorithm" % k)
        except ValueError:
            fail("ClientError: Hyperparameter %s: value %s is not valid" % (k, v))
    # Like the SageMaker XGBoost container, eval_metric may name several metrics, comma-separated.
    if "," in params.get("eval_metric", ""):
        params["eval_metric"] = [m.strip() for m in params["eval_metric"].split(",") if m.strip()]
    if "num_round" not in params:
        fail("ClientError: Missing required hyperparameter: num_round")
    return params


def content_type(channel):
    with open(os.path.join(BASE, "input", "config", "inputdataconfig.json")) as f:
        cfg = json.load(f)
    return (cfg.get(channel, {}).get("ContentType") or "text/libsvm").split(";")[0].strip().lower()


def load(channel):
    d = os.path.join(BASE, "input", "data", channel)
    if not os.path.isdir(d):
        return None
    files = sorted(os.path.join(d, n) for n in os.listdir(d) if not n.startswith("."))
    ct = content_type(channel)
    if ct == "text/csv":
        rows = []
        for path in files:
            with open(path) as f:
                for line in f:
                    if line.strip():
                        rows.append([float(x) if x != "" else np.nan for x in line.strip().split(",")])
        if not rows:
            fail("ClientError: No data in channel %s" % channel)
        arr = np.array(rows, dtype=np.float32)
        return xgb.DMatrix(arr[:, 1:], label=arr[:, 0])
    if ct in ("text/libsvm", "text/x-libsvm"):
        from scipy.sparse import csr_matrix

        labels, data, indices, indptr = [], [], [], [0]
        for path in files:
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if not parts:
                        continue
                    labels.append(float(parts[0]))
                    for tok in parts[1:]:
                        k, v = tok.split(":", 1)
                        indices.append(int(k))
                        data.append(float(v))
                    indptr.append(len(indices))
        width = max(indices) + 1 if indices else 0
        return xgb.DMatrix(csr_matrix((np.array(data, dtype=np.float32), indices, indptr), shape=(len(labels), width)), label=np.array(labels))
    fail("ClientError: Content type %s of channel %s is not supported by the XGBoost algorithm (text/csv, text/libsvm)" % (ct, channel))


class Logger(xgb.callback.TrainingCallback):
    """Prints the evaluation line of each round the way the container's log shows it."""

    def after_iteration(self, model, epoch, evals_log):
        parts = ["[%d]" % epoch]
        for data_name, metrics in evals_log.items():
            for metric_name, values in metrics.items():
                parts.append("%s-%s:%.5f" % (data_name, metric_name, values[-1]))
        print("#011".join(parts), flush=True)
        return False


def main():
    params = parse_hyperparameters()
    num_round = params.pop("num_round")
    early = params.pop("early_stopping_rounds", None)
    for k in ("_kfold", "_tuning_objective_metric"):
        params.pop(k, None)
    train = load("train")
    if train is None:
        fail("ClientError: Channel train is required by the XGBoost algorithm")
    evals = [(train, "train")]
    validation = load("validation")
    if validation is not None:
        evals.append((validation, "validation"))
    print("Train matrix has %d rows and %d columns" % (train.num_row(), train.num_col()), flush=True)
    booster = xgb.train(params, train, num_boost_round=num_round, evals=evals, callbacks=[Logger()],
                        early_stopping_rounds=early, verbose_eval=False)
    booster.save_model(os.path.join(BASE, "model", "xgboost-model.json"))
    os.replace(os.path.join(BASE, "model", "xgboost-model.json"), os.path.join(BASE, "model", "xgboost-model"))


if __name__ == "__main__":
    main()
