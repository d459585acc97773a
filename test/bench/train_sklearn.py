"""scikit-learn side of `npm run bench:train`: one scenario per call, JSON on stdout.

Timed, like the localsage side: reading the CSV file(s) with pandas' C parser, fitting, and (for the
classifier) scoring the test file. K-means' mean squared distance is inertia_ / n (sklearn computes
it inside fit, so that pass is timed on this side only).
"""
import json, resource, sys, time

try:
    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
except ImportError as e:  # pragma: no cover
    print(json.dumps({"error": f"missing Python package: {e.name}"}))
    sys.exit(3)

scenario, train_csv, test_csv, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.perf_counter()
cpu0 = time.process_time()  # CPU of every thread of this process, like process.cpuUsage()
data = pd.read_csv(train_csv, header=None, dtype=np.float32, engine="c").values
y, X = data[:, 0], data[:, 1:]
loaded = time.perf_counter()
out = {"scenario": scenario}
if scenario == "ll1":
    # linear-learner normalizes features itself; SGD on raw KDD99 columns needs the same.
    model = make_pipeline(StandardScaler(), SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=seed))
    model.fit(X, y)
    fitted = time.perf_counter()
    test = pd.read_csv(test_csv, header=None, dtype=np.float32, engine="c").values
    out["accuracy"] = float(model.score(test[:, 1:], test[:, 0]))
elif scenario in ("km-minibatch", "km-full"):
    if scenario == "km-minibatch":
        model = MiniBatchKMeans(23, batch_size=5000, random_state=seed)
    else:
        model = KMeans(23, n_init=1, random_state=seed)
    model.fit(X)
    fitted = time.perf_counter()
    out["msd"] = float(model.inertia_ / X.shape[0])
else:
    raise SystemExit(f"unknown scenario {scenario}")
end = time.perf_counter()
out.update(
    wall_s=end - t0,
    cpu_s=time.process_time() - cpu0,
    load_s=loaded - t0,
    fit_s=fitted - loaded,
    peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    sklearn=__import__("sklearn").__version__,
)
print(json.dumps(out))
