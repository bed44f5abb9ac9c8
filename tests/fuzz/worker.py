"""Fuzz worker: runs generated calls in this (disposable) process and streams the outcomes back.

Started by runner.py as `python worker.py '<json config>'`; reads one pickled list of calls from stdin;
writes length-prefixed pickles on its original stdout (fd 1 is pointed at /dev/null, so stray prints from
Python or C++ cannot corrupt the stream):

    ("ready",)                      after the imports
    ("start", index, backend)       before each call on each backend ("ours" first, then "torch")
    ("done", index, backend, out)   its outcome (plain Python / numpy objects only)

A crash (signal) or hang shows up in the runner as a missing "done" after a "start". This file imports
nothing from the test tree: it is a standalone script, so a repro never depends on the harness.
"""
import builtins
import json
import os
import pickle
import struct
import sys
import warnings

PRELUDE = {"nan": float("nan"), "inf": float("inf")}
MAX_MSG = 300


def _send(stream, obj):
    data = pickle.dumps(obj, protocol=4)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _exc(e):
    mro = type(e).__mro__
    return {"cls": type(e).__name__, "module": type(e).__module__,
            "builtins": [c.__name__ for c in mro if c.__module__ == "builtins"],
            "msg": str(e)[:MAX_MSG]}


class Backend:
    def __init__(self, name, np):
        self.name, self.np = name, np
        if name == "ours":
            import tinygrad_ext as mod
            import tinygrad_ext.nn.functional as F
        else:
            import torch as mod
            import torch.nn.functional as F
        self.mod, self.F, self.Tensor = mod, F, mod.Tensor

    def ser(self, x, depth=0):
        """An outcome as plain data: tensors become ("T", dtype, shape, ndarray)."""
        np = self.np
        if isinstance(x, self.Tensor):
            dt = str(x.dtype).replace("torch.", "")
            a = np.array(x.detach().cpu().numpy(), copy=True)
            if a.dtype == np.bool_:
                a = a.view(np.uint8)  # compare the stored bytes: a non-0/1 bool byte is visible
            return ("T", dt, tuple(int(s) for s in x.shape), a, bool(x.requires_grad))
        if isinstance(x, (tuple, list)) and depth < 8:
            return ("L", "list" if isinstance(x, list) else "tuple", [self.ser(v, depth + 1) for v in x])
        if x is None:
            return ("N",)
        if isinstance(x, (bool, int, float)):
            return ("S", type(x).__name__, x)
        if isinstance(x, self.mod.dtype):
            return ("D", str(x).replace("torch.", ""))
        return ("O", type(x).__module__ + "." + type(x).__name__, repr(x)[:MAX_MSG])

    def run(self, call):
        np = self.np
        ns = {"torch": self.mod, "F": self.F, "np": np, "__builtins__": builtins}
        ns.update(PRELUDE)
        res = {}
        try:
            exec(call["setup"], ns)  # noqa: S102 (the fuzzer's generated programs)
        except Exception as e:  # noqa: BLE001 (any failure is data)
            res["setup_exc"] = _exc(e)
            return res
        names = [k for k, v in ns.items() if isinstance(v, self.Tensor)]
        try:
            exec(call["body"], ns)  # noqa: S102
            res["out"] = self.ser(ns.get("out"))
        except Exception as e:  # noqa: BLE001
            res["exc"] = _exc(e)
        res["after"] = {}
        for k in names:
            try:
                res["after"][k] = self.ser(ns[k])
            except Exception as e:  # noqa: BLE001
                res["after"][k] = ("E", _exc(e))
        if call.get("grad") and "exc" not in res:
            try:
                exec(call["grad_code"], ns)  # noqa: S102
                res["grads"] = {k: self.ser(ns[k].grad) for k in call["grad_leaves"]}
            except Exception as e:  # noqa: BLE001
                res["grad_exc"] = _exc(e)
        return res


def main():
    cfg = json.loads(sys.argv[1])
    proto = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")
    if cfg.get("mem_limit") and not os.environ.get("TG_SANITIZED"):  # (ASan's shadow memory needs the address space)
        import resource
        lim = int(cfg["mem_limit"])
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    warnings.simplefilter("ignore")
    import numpy as np
    backends = [Backend("ours", np)]
    if cfg.get("torch"):
        backends.append(Backend("torch", np))
    for b in backends:
        if cfg.get("threads"):
            b.mod.set_num_threads(int(cfg["threads"]))
    calls = pickle.load(sys.stdin.buffer)
    _send(proto, ("ready",))
    for call in calls:
        for b in reversed(backends):  # torch first: when ours crashes, torch's outcome is already known
            _send(proto, ("start", call["index"], b.name))
            out = b.run(call)
            try:
                _send(proto, ("done", call["index"], b.name, out))
            except Exception as e:  # noqa: BLE001 (an unpicklable outcome)
                _send(proto, ("done", call["index"], b.name, {"exc": _exc(e), "unpicklable": True}))
    _send(proto, ("end",))


if __name__ == "__main__":
    main()
