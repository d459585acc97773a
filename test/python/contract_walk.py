"""The contract walk through boto3: runs the steps a JSON plan lists (made by
test/helpers/contract-plan.ts) against LOCALSAGE_ENDPOINT and prints one JSON outcome per step.
botocore parses every answer with its own copy of the service model; a parse failure is any
exception other than a ClientError (a modeled error answer)."""
import json
import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def main():
    steps = json.load(open(sys.argv[1]))
    client = boto3.client(
        "sagemaker",
        endpoint_url=os.environ["LOCALSAGE_ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    methods = {api: method for method, api in client.meta.method_to_api_mapping.items()}
    outcomes = []
    # Answers by operation, for the "$ref:<Operation>.<Member>" values of later steps.
    answers = {}

    def resolve(values):
        def one(v):
            if isinstance(v, str) and v.startswith("$ref:"):
                op, member = v[5:].split(".", 1)
                return answers.get(op, {}).get(member)
            return v
        return {k: one(v) for k, v in values.items()}

    for step in steps:
        method = methods.get(step["op"])
        if method is None:
            outcomes.append({"op": step["op"], "parsed": False, "error": "not in this botocore"})
            continue
        wait = step.get("waitFor")
        if wait:
            for _ in range(200):
                try:
                    d = getattr(client, methods[wait["describe"]])(**(resolve(wait["input"]) if wait.get("input") else {wait["key"]: wait["name"]}))
                except ClientError:
                    break
                if d.get(wait["member"]) in wait["values"]:
                    break
                time.sleep(0.05)
        try:
            answers[step["op"]] = getattr(client, method)(**resolve(step["input"]))
            outcomes.append({"op": step["op"], "parsed": True, "status": 200})
        except ClientError as e:
            outcomes.append({"op": step["op"], "parsed": True, "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "code": e.response["Error"]["Code"]})
        except Exception as e:  # a botocore parse or validation failure
            outcomes.append({"op": step["op"], "parsed": False, "error": f"{type(e).__name__}: {e}"})
    json.dump(outcomes, sys.stdout)


if __name__ == "__main__":
    main()
