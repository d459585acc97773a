"""The same M/M/c model as test/bench/simulate.ts, in SimPy: Poisson arrivals at `rate` per second,
one FIFO queue in front of `c` workers, exponential service with mean `mean_ms`. Prints one JSON
line: requests, model events (arrivals + completions), SimPy's own scheduled events, wall seconds.

Usage: python3 simulate_simpy.py <horizon_s> <rate> <mean_ms> <c> <seed>
"""
import json
import random
import sys
import time

try:
    import simpy
except ImportError:
    print("SimPy is not installed: python3 -m pip install simpy", file=sys.stderr)
    sys.exit(3)


def main():
    horizon, rate, mean_ms, c, seed = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rnd = random.Random(seed)
    mean_s = mean_ms / 1000.0
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=c)
    stats = {"arrivals": 0, "done": 0, "resp": 0.0}

    def request(env):
        t0 = env.now
        with server.request() as req:
            yield req
            yield env.timeout(rnd.expovariate(1.0 / mean_s))
        stats["done"] += 1
        stats["resp"] += env.now - t0

    def source(env):
        while True:
            yield env.timeout(rnd.expovariate(rate))
            stats["arrivals"] += 1
            env.process(request(env))

    env.process(source(env))
    t = time.perf_counter()
    env.run(until=horizon)
    wall = time.perf_counter() - t
    print(json.dumps({
        "simpy": simpy.__version__,
        "python": sys.version.split()[0],
        "horizon_s": horizon,
        "arrivals": stats["arrivals"],
        "completed": stats["done"],
        "model_events": stats["arrivals"] + stats["done"],
        "simpy_events": next(env._eid),  # SimPy numbers every event it schedules
        "mean_response_ms": 1000.0 * stats["resp"] / max(1, stats["done"]),
        "wall_s": wall,
    }))


if __name__ == "__main__":
    main()
