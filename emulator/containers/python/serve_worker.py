"""One serving worker of a framework image (scikit-learn or XGBoost), run by localsage.

It follows the contract of the SageMaker inference toolkit and of the scikit-learn / XGBoost
containers: GET /ping, POST /invocations, the user's module (SAGEMAKER_PROGRAM) may define
model_fn, input_fn, predict_fn, output_fn or transform_fn, and the toolkit's defaults apply to
whatever it leaves out. Listens on a loopback port and prints `LOCALSAGE_WORKER_READY <port>`.
Only the standard library, numpy and the framework itself are needed.
"""
import argparse
import http.server
import importlib.util
import io
import json
import os
import sys
import traceback


class HandlerError(Exception):
    """An error with the HTTP status the real container answers with."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------ encoders (sagemaker_containers)
def decode(body, content_type):
    import numpy as np

    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("application/json",):
        return np.array(json.loads(body.decode("utf-8")))
    if ct in ("text/csv",):
        text = body.decode("utf-8").strip()
        rows = [[float(x) for x in line.split(",")] for line in text.splitlines() if line.strip()]
        return np.array(rows)
    if ct in ("application/x-npy",):
        return np.load(io.BytesIO(body), allow_pickle=False)
    raise HandlerError(415, "Content type %s is not supported by this framework." % content_type)


def encode(prediction, accept):
    import numpy as np

    a = (accept or "").split(",")[0].split(";")[0].strip().lower()
    if a in ("", "*/*"):
        a = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "application/json")
    arr = np.asarray(prediction)
    if a == "application/json":
        return json.dumps(arr.tolist()), "application/json"
    if a == "text/csv":
        if arr.ndim <= 1:
            return "\n".join(str(x) for x in arr.reshape(-1).tolist()) + "\n", "text/csv"
        return "\n".join(",".join(str(x) for x in row) for row in arr.tolist()) + "\n", "text/csv"
    if a == "application/x-npy":
        buf = io.BytesIO()
        np.save(buf, arr)
        return buf.getvalue(), "application/x-npy"
    raise HandlerError(406, "Accept type %s is not supported by this framework." % accept)


# ------------------------------------------------------------------ handlers
class ScriptHandlers:
    """model_fn / input_fn / predict_fn / output_fn from the user's module, else the defaults."""

    def __init__(self, module, model_dir):
        self.module = module
        model_fn = getattr(module, "model_fn", None) if module else None
        if model_fn is None:
            raise RuntimeError(
                "No 'model_fn' function found in the user module (%s): a scikit-learn or XGBoost script "
                "must define model_fn(model_dir) to load the model." % os.environ.get("SAGEMAKER_PROGRAM", "none")
            )
        self.model = model_fn(model_dir)

    def _fn(self, name):
        return getattr(self.module, name, None) if self.module else None

    def transform(self, body, content_type, accept):
        transform_fn = self._fn("transform_fn")
        if transform_fn:
            out = transform_fn(self.model, body, content_type, accept)
            if isinstance(out, tuple):
                return out[0], out[1]
            return out, accept
        input_fn = self._fn("input_fn") or decode
        predict_fn = self._fn("predict_fn") or (lambda data, model: model.predict(data))
        output_fn = self._fn("output_fn") or encode
        data = input_fn(body, content_type)
        prediction = predict_fn(data, self.model)
        out = output_fn(prediction, accept)
        if isinstance(out, tuple):
            return out[0], out[1]
        return out, accept


class XGBoostAlgorithmHandlers:
    """The XGBoost image in algorithm mode: a booster file in the model dir; text/csv or libsvm in."""

    def __init__(self, model_dir):
        import xgboost as xgb

        self.xgb = xgb
        names = [n for n in os.listdir(model_dir) if not n.startswith(".")]
        if not names:
            raise RuntimeError("The model directory is empty: the XGBoost algorithm needs a model file (xgboost-model).")
        path = os.path.join(model_dir, "xgboost-model" if "xgboost-model" in names else sorted(names)[0])
        self.booster = xgb.Booster()
        try:
            self.booster.load_model(path)
        except Exception as e:  # a pickled Booster, as the 0.90 images wrote
            import pickle

            try:
                with open(path, "rb") as f:
                    self.booster = pickle.load(f)
            except Exception:
                raise RuntimeError("Unable to load the XGBoost model %s: %s" % (os.path.basename(path), e))

    def transform(self, body, content_type, accept):
        import numpy as np

        ct = (content_type or "text/csv").split(";")[0].strip().lower()
        text = body.decode("utf-8")
        if ct == "text/csv":
            try:
                rows = [[float(x) if x != "" else np.nan for x in line.split(",")] for line in text.strip().splitlines() if line.strip()]
                dmat = self.xgb.DMatrix(np.array(rows, dtype=np.float32))
            except ValueError as e:
                raise HandlerError(415, "Loading csv data failed with Exception, please ensure data is in csv format: %s" % e)
        elif ct in ("text/libsvm", "text/x-libsvm"):
            dmat = self._libsvm(text)
        else:
            raise HandlerError(415, "Content type %s is not supported by the XGBoost algorithm (text/csv, text/libsvm)." % content_type)
        preds = self.booster.predict(dmat)
        a = (accept or "text/csv").split(",")[0].split(";")[0].strip().lower()
        if a in ("", "*/*", "text/csv"):
            return ",".join(repr(float(p)) if np.ndim(p) == 0 else ",".join(repr(float(x)) for x in p) for p in preds), "text/csv"
        if a == "application/json":
            return json.dumps({"predictions": [{"score": float(p)} if np.ndim(p) == 0 else {"score": [float(x) for x in p]} for p in preds]}), "application/json"
        raise HandlerError(406, "Accept type %s is not supported by the XGBoost algorithm." % accept)

    def _libsvm(self, text):
        import numpy as np
        from scipy.sparse import csr_matrix

        data, indices, indptr = [], [], [0]
        for line in text.strip().splitlines():
            parts = line.split()
            # A leading label (no colon) is allowed and ignored, as the real container does.
            for tok in parts:
                if ":" not in tok:
                    continue
                k, v = tok.split(":", 1)
                indices.append(int(k))
                data.append(float(v))
            indptr.append(len(indices))
        width = max(indices) + 1 if indices else 0
        width = max(width, self.booster.num_features())
        return self.xgb.DMatrix(csr_matrix((np.array(data, dtype=np.float32), indices, indptr), shape=(len(indptr) - 1, width)))


def load_user_module(code_dir, program):
    if not program:
        return None
    path = os.path.join(code_dir, program)
    if not os.path.exists(path):
        raise RuntimeError("The entry point %s was not found in the source directory %s." % (program, code_dir))
    sys.path.insert(0, code_dir)
    name = os.path.splitext(os.path.basename(program))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model-dir", required=True)
    p.add_argument("--code-dir", default="")
    p.add_argument("--program", default="")
    p.add_argument("--mode", choices=["script", "xgboost-algorithm"], default="script")
    args = p.parse_args()

    module = load_user_module(args.code_dir, args.program)
    if args.mode == "xgboost-algorithm" and (module is None or not hasattr(module, "model_fn")):
        # The XGBoost container's defaults: load the booster from the model dir, text/csv or
        # libsvm in (a script may leave model_fn out there, unlike with scikit-learn).
        handlers = XGBoostAlgorithmHandlers(args.model_dir)
    else:
        handlers = ScriptHandlers(module, args.model_dir)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # the access log would drown the user's own lines
            pass

        def _send(self, status, body, content_type):
            if isinstance(body, str):
                body = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type or "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.split("?")[0] == "/ping":
                self._send(200, b"", "text/plain")
            else:
                self._send(404, "not found", "text/plain")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path.split("?")[0] != "/invocations":
                self._send(404, "not found", "text/plain")
                return
            try:
                out, ct = handlers.transform(body, self.headers.get("Content-Type"), self.headers.get("Accept"))
                self._send(200, out, ct)
            except HandlerError as e:
                self._send(e.status, str(e), "text/plain")
            except Exception as e:  # the user's code failed: the containers answer 500 with the message
                traceback.print_exc()
                self._send(500, "%s: %s" % (type(e).__name__, e), "text/plain")

    # localsage keeps our stdin open; when it goes away (even killed), so do we.
    import threading

    def watch_parent():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("LOCALSAGE_WORKER_READY %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
