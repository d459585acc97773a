"""Constants and data shared by the SageMaker Python SDK v2 test modules."""
import numpy as np

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


def separable(n, d, seed):
    """n float32 rows of d features, linearly separable with a margin, and their 0/1 labels."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    x = rng.normal(scale=2.0, size=(n * 2, d)).astype("float32")
    s = x @ w + 0.3
    keep = np.abs(s) > 0.3
    x, s = x[keep][:n], s[keep][:n]
    return x, (s > 0).astype("float32")
