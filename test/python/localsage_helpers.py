"""What the boto3 tests share: the emulator as a child process, and the built-in
linear-learner that several of them train a small model with before the part they test."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


FRAMEWORK_HOME = os.environ.get("LOCALSAGE_FRAMEWORK_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "localsage", "frameworks")


def framework_python(name, probe):
    """The Python of a framework environment (`localsage frameworks install <name>`) that can run
    `probe`; a missing one skips the test, or fails it where LOCALSAGE_REQUIRE_PYTHON=1 (CI)."""
    import pytest

    python = os.path.join(FRAMEWORK_HOME, name, "bin", "python")
    ok = os.path.exists(python) and subprocess.run([python, "-c", probe], capture_output=True).returncode == 0
    if not ok:
        message = "the %s environment is missing (%s): run `localsage frameworks install %s`" % (name, python, name)
        if os.environ.get("LOCALSAGE_REQUIRE_PYTHON") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return python


def run_emulator(command, prefix):
    """Starts `node <command> --port 0 --data-dir <a new folder> --quiet` (command: the node
    arguments up to the serve options, extra options after them) in a process group of its own,
    yields its URL once it says it is listening, then kills the whole group and removes the
    folder. For a pytest fixture: `yield from run_emulator(...)`."""
    data_dir = tempfile.mkdtemp(prefix=prefix)
    entry, extra = command
    proc = subprocess.Popen(
        ["node", *entry, "serve", "--port", "0", "--data-dir", data_dir, "--quiet", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            url = m.group(1)
            break
    if url is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
        shutil.rmtree(data_dir, ignore_errors=True)
        raise RuntimeError("emulator did not start:\n" + "".join(lines))
    # Keep draining its output so the pipe never fills.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    try:
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        shutil.rmtree(data_dir, ignore_errors=True)


def train_linear_learner(sm, name, bucket, hyper_parameters, waiter_config):
    """Trains the built-in linear-learner on the CSV under s3://<bucket>/train/ and waits for the
    job to end; returns DescribeTrainingJob's answer."""
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/train/"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        HyperParameters=hyper_parameters,
    )
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name, WaiterConfig=waiter_config)
    return sm.describe_training_job(TrainingJobName=name)


def until(what, f, pred, timeout=180):
    """Polls f() until pred holds of its answer; fails naming what it waited for and the last answer."""
    start = time.time()
    while True:
        v = f()
        if pred(v):
            return v
        if time.time() - start > timeout:
            raise AssertionError(f"gave up waiting for {what}: {v}")
        time.sleep(0.1)
