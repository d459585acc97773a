"""An independent reader and writer of the MXNet formats SageMaker's built-in algorithms use,
written from the format's specification (MXNet's NDArray::Save and the list file behind
mx.nd.save), sharing no code with localsage. numpy only.

List file: uint64 0x112, uint64 0, uint64 n, n arrays, uint64 m, m names (uint64 length + bytes).
Array:     uint32 magic (0xF993FAC9), int32 storage type (0 dense), uint32 ndim, ndim x int64,
           int32 dev_type, int32 dev_id, int32 type flag (0 = float32), the data.
"""
import io
import json
import struct
import zipfile

import numpy as np

_DTYPES = {0: np.float32, 1: np.float64, 2: np.float16, 3: np.uint8, 4: np.int32, 5: np.int8, 6: np.int64}


def load_ndarray_list(data):
    f = io.BytesIO(data)
    magic, reserved = struct.unpack("<QQ", f.read(16))
    assert magic == 0x112 and reserved == 0, "not an NDArray list"
    (count,) = struct.unpack("<Q", f.read(8))
    arrays = []
    for _ in range(count):
        (array_magic,) = struct.unpack("<I", f.read(4))
        assert array_magic in (0xF993FAC9, 0xF993FACA), hex(array_magic)
        (stype,) = struct.unpack("<i", f.read(4))
        assert stype == 0
        (ndim,) = struct.unpack("<I", f.read(4))
        shape = struct.unpack("<%dq" % ndim, f.read(8 * ndim))
        _dev_type, _dev_id, flag = struct.unpack("<iii", f.read(12))
        dtype = np.dtype(_DTYPES[flag])
        n = int(np.prod(shape))
        arrays.append(np.frombuffer(f.read(n * dtype.itemsize), dtype=dtype).reshape(shape))
    names = []
    rest = f.read(8)
    if rest:
        (m,) = struct.unpack("<Q", rest)
        for _ in range(m):
            (length,) = struct.unpack("<Q", f.read(8))
            names.append(f.read(length).decode())
    return arrays, names


def save_ndarray_list(arrays, names=()):
    out = io.BytesIO()
    out.write(struct.pack("<QQQ", 0x112, 0, len(arrays)))
    for a in arrays:
        a = np.ascontiguousarray(a, dtype=np.float32)
        out.write(struct.pack("<IiI", 0xF993FAC9, 0, a.ndim))
        out.write(struct.pack("<%dq" % a.ndim, *a.shape))
        out.write(struct.pack("<iii", 1, 0, 0))
        out.write(a.tobytes())
    out.write(struct.pack("<Q", len(names)))
    for n in names:
        b = n.encode()
        out.write(struct.pack("<Q", len(b)))
        out.write(b)
    return out.getvalue()


def read_linear_learner(model_algo_1):
    """(weights [outputs, features], bias [outputs], symbol) from a Linear Learner model_algo-1."""
    with zipfile.ZipFile(io.BytesIO(model_algo_1)) as z:
        names = z.namelist()
        symbol = json.loads(z.read(next(n for n in names if n.endswith("-symbol.json"))))
        arrays, keys = load_ndarray_list(z.read(next(n for n in names if n.endswith("-0000.params"))))
    params = dict(zip(keys, arrays))
    return params["arg:fc0_weight"], params["arg:fc0_bias"], symbol


def write_linear_learner(weight, bias, activation=None):
    """A model_algo-1 with one FullyConnected layer (weight [outputs, features]), as an MXNet
    Module checkpoint zipped the way SageMaker ships it."""
    outputs = weight.shape[0]
    attrs = {"num_hidden": str(outputs)}
    nodes = [
        {"op": "null", "name": "data", "inputs": []},
        {"op": "null", "name": "fc0_weight", "attrs": attrs, "inputs": []},
        {"op": "null", "name": "fc0_bias", "attrs": attrs, "inputs": []},
        {"op": "FullyConnected", "name": "fc0", "attrs": attrs, "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
    ]
    if activation:
        nodes.append({"op": activation, "name": activation + "0", "inputs": [[3, 0, 0]]})
    symbol = {"nodes": nodes, "arg_nodes": [0, 1, 2], "node_row_ptr": list(range(len(nodes) + 1)), "heads": [[len(nodes) - 1, 0, 0]], "attrs": {"mxnet_version": ["int", 10600]}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mx-mod-symbol.json", json.dumps(symbol))
        z.writestr("mx-mod-0000.params", save_ndarray_list([weight, bias], ["arg:fc0_weight", "arg:fc0_bias"]))
        z.writestr("manifest.json", json.dumps({"files": ["mx-mod-symbol.json", "mx-mod-0000.params"]}))
    return buf.getvalue()
