"""Re-roots /opt/ml for a processing script run without a container.

Processing scripts name their paths literally (/opt/ml/processing/input, ...). localsage runs the
framework images' scripts with a local interpreter, each job in its own tree (LOCALSAGE_OPT_ML), so
the file functions scripts and libraries use (open, os, os.path, shutil, glob, pathlib through
them) map a path under /opt/ml into that tree. Paths outside /opt/ml are untouched.
"""
import builtins
import io
import os

_ROOT = os.environ.get("LOCALSAGE_OPT_ML")


def _map(path):
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if isinstance(path, str) and (path == "/opt/ml" or path.startswith("/opt/ml/")):
        return _ROOT + path[len("/opt/ml"):]
    return path


def _wrap(fn, nargs=1):
    def wrapped(*args, **kwargs):
        args = tuple(_map(a) if i < nargs else a for i, a in enumerate(args))
        return fn(*args, **kwargs)

    wrapped.__wrapped__ = fn
    wrapped.__name__ = getattr(fn, "__name__", "wrapped")
    return wrapped


if _ROOT:
    builtins.open = io.open = _wrap(io.open)
    for _name in ("open", "stat", "lstat", "listdir", "scandir", "mkdir", "makedirs", "remove", "unlink", "rmdir", "access", "chdir", "utime", "chmod"):
        if hasattr(os, _name):
            setattr(os, _name, _wrap(getattr(os, _name)))
    for _name in ("rename", "replace", "link", "symlink"):
        setattr(os, _name, _wrap(getattr(os, _name), 2))
