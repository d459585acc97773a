"""Constants and data shared by the SageMaker Python SDK v3 test modules."""
import random

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"


def separable_rows(n, seed):
    """n (label, features) pairs, 4 features, linearly separable with a margin of 0.3."""
    rnd = random.Random(seed)
    rows = []
    while len(rows) < n:
        x = [rnd.gauss(0, 2) for _ in range(4)]
        s = x[0] - 2 * x[1] + 0.5 * x[2] + 0.3
        if abs(s) > 0.3:
            rows.append((int(s > 0), x))
    return rows


def csv_body(rows):
    """The rows as CSV, label first, as the built-in algorithms read it."""
    return "".join(f"{y},{','.join(map(str, x))}\n" for y, x in rows).encode()
