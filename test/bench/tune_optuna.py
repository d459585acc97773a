"""Optuna's samplers on the tuning benchmark's functions, for npm run bench:tune:search.

Usage: tune_optuna.py <evaluations> <seeds> <functions comma-separated> <samplers comma-separated>
Prints one JSON line: {"results": [{"function", "method", "seed", "best", "seconds"}...], "optuna": version}.
The functions are the same formulas as test/bench/tune-search.ts (kept side by side on purpose).
Sequential protocol: one trial at a time, each sees every earlier result.
"""
import json
import math
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(trial):
    x1 = trial.suggest_float("x1", -5.0, 10.0)
    x2 = trial.suggest_float("x2", 0.0, 15.0)
    b = 5.1 / (4 * math.pi ** 2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


HARTMANN6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
HARTMANN6_P = [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]
HARTMANN6_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(trial):
    x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)]
    total = 0.0
    for i in range(4):
        inner = sum(HARTMANN6_A[i][j] * (x[j] - HARTMANN6_P[i][j] * 1e-4) ** 2 for j in range(6))
        total += HARTMANN6_ALPHA[i] * math.exp(-inner)
    return -total


MIXED_CENTER = {"sgd": -1.5, "adam": -3.0, "rmsprop": -4.0}
MIXED_OFFSET = {"sgd": 0.0, "adam": 0.3, "rmsprop": 0.6}


def mixed(trial):
    lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 1.0)
    layers = trial.suggest_int("layers", 1, 8)
    opt = trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"])
    return (math.log10(lr) - MIXED_CENTER[opt]) ** 2 / 4 + 2 * (dropout - 0.3) ** 2 + 0.05 * (layers - 3) ** 2 + MIXED_OFFSET[opt]


FUNCTIONS = {"branin": branin, "hartmann6": hartmann6, "mixed": mixed}


def sampler(name, seed):
    if name == "optuna-tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "optuna-gp":
        return optuna.samplers.GPSampler(seed=seed)
    if name == "optuna-random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(name)


def main():
    evaluations = int(sys.argv[1])
    seeds = int(sys.argv[2])
    functions = sys.argv[3].split(",")
    samplers = sys.argv[4].split(",")
    results = []
    for fname in functions:
        for sname in samplers:
            for seed in range(1, seeds + 1):
                start = time.perf_counter()
                study = optuna.create_study(direction="minimize", sampler=sampler(sname, seed))
                study.optimize(FUNCTIONS[fname], n_trials=evaluations)
                results.append({"function": fname, "method": sname, "seed": seed, "best": study.best_value,
                                 "seconds": time.perf_counter() - start})
            print(f"{fname} {sname} done", file=sys.stderr, flush=True)
    print(json.dumps({"results": results, "optuna": optuna.__version__}))


if __name__ == "__main__":
    main()
