-- wrk script of bench:invoke: a POST of one CSV row with the headers an SDK sends.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "text/csv"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"
wrk.headers["X-Amz-Date"] = "20260101T000000Z"
