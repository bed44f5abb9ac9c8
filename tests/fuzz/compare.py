"""Judging one call: our outcome against PyTorch's (when present) or against the numpy reference.

Findings come in the categories of CATEGORIES, most severe first. A finding's `kind` is a short,
stable description (the grouping key in reports and what known_differences.py matches on); `detail`
carries the values.
"""
from dataclasses import dataclass, field

import numpy as np

from .gen import grad_weights
from .ref import Py, Raises, Shape, Tup, Val
from .values import FLOATS, INTS

CATEGORIES = ("crash", "hang", "value", "grad", "exception")
EXTRA_CATEGORIES = ("oracle", "ref_crash")  # the fuzzer's own reference disagreeing with torch; torch crashing

EPS = {"float32": 1.1920929e-07, "float64": 2.220446049250313e-16}
RTOL = {"float32": 3e-5, "float64": 1e-10}


@dataclass
class Finding:
    category: str
    kind: str
    detail: str
    call: object = None
    known: object = None          # the known_differences entry that allows it
    extra: dict = field(default_factory=dict)

    @property
    def family(self):
        return self.call.family

    @property
    def op(self):
        return self.call.op


def exc_str(e):
    return f"{e['cls']}({e['msg'][:120]!r})" if e else "-"


def exc_builtin(e):
    """The most derived builtin exception class of an outcome's exception (its PyTorch-visible class)."""
    return e["builtins"][0] if e["builtins"] else e["cls"]


# ---------------------------------------------------------------- serialised values
def expect_to_ser(x):
    """A numpy reference result in the worker's serialised form."""
    if isinstance(x, Val):
        arr = x.arr
        if x.dtype == "bool":
            arr = np.asarray(arr, dtype=np.bool_).view(np.uint8)
        return ("T", x.dtype, tuple(arr.shape), arr, None)
    if isinstance(x, Shape):
        return ("SHAPE", x.dtype, x.shape)
    if isinstance(x, Tup):
        return ("L", x.kind, [expect_to_ser(v) for v in x.items])
    if isinstance(x, Py):
        return ("S", type(x.value).__name__, x.value)
    raise TypeError(type(x))


def _tols(dtype, call, grad=False):
    mag = min(call.magnitude(), 1e75)
    eps = EPS.get(dtype, EPS["float64"])
    rtol = RTOL.get(dtype, 1e-10) * call.rtol_scale * (30 if grad else 1) * (call.grad_tol_scale if grad else 1)
    atol = eps * 16 * call.terms * min(mag ** min(call.order, 4), 1e300) * (30 if grad else 1)
    return rtol, atol


def diff_tensor(o, r, call, grad=False, exact_ref=False):
    """None, or (kind, detail) of the first difference between two serialised tensors."""
    _, odt, oshape, oarr, *_ = o
    if r[0] == "SHAPE":
        _, rdt, rshape = r
        if odt != rdt:
            return "dtype", f"dtype {odt}, expected {rdt}"
        if tuple(oshape) != tuple(rshape):
            return "shape", f"shape {tuple(oshape)}, expected {tuple(rshape)}"
        return None
    _, rdt, rshape, rarr, *_ = r
    if odt != rdt:
        return f"dtype {odt} vs {rdt}", f"dtype {odt}, expected {rdt}"
    if tuple(oshape) != tuple(rshape):
        return "shape", f"shape {tuple(oshape)}, expected {tuple(rshape)}"
    if odt == "bool":
        ob, rb = np.asarray(oarr).astype(np.uint8), np.asarray(rarr).astype(np.uint8)
        if not np.array_equal(ob != 0, rb != 0):
            return "value", _first_diff(ob != 0, rb != 0)
        if np.any(ob > 1) and not np.any(rb > 1):
            return "value(non-0/1 bool bytes)", f"stored bool bytes {ob.ravel()[:8].tolist()}"
        return None
    if odt in INTS or odt not in FLOATS:
        oi, ri = np.asarray(oarr).astype(np.int64), np.asarray(rarr).astype(np.int64)
        if not np.array_equal(oi, ri):
            return "value", _first_diff(oi, ri)
        return None
    of, rf = np.asarray(oarr, dtype=np.float64), np.asarray(rarr, dtype=np.float64)
    rtol, atol = _tols(odt, call, grad)
    with np.errstate(all="ignore"):
        on, rn = np.isnan(of), np.isnan(rf)
        bad = on != rn
        both = ~on & ~rn
        inf = (np.isinf(of) | np.isinf(rf)) & both
        bad |= inf & (of != rf)
        fin = both & ~inf
        bad |= fin & (np.abs(of - rf) > atol + rtol * np.abs(rf))
    if np.any(bad):
        kind = "value(nan)" if np.any(on != rn) else "value"
        return kind, _first_diff(of, rf, bad)
    return None


def _first_diff(a, b, bad=None):
    if bad is None:
        bad = a != b
    idx = tuple(int(i) for i in np.argwhere(bad)[0]) if np.ndim(bad) else ()
    n = int(np.sum(bad))
    av, bv = (a[idx], b[idx]) if idx or np.ndim(a) else (a, b)
    return f"{n} of {np.size(a)} elements differ; at {list(idx)}: got {av!r}, expected {bv!r}; " \
           f"got {np.asarray(a).ravel()[:6].tolist()} expected {np.asarray(b).ravel()[:6].tolist()}"


def diff_ser(o, r, call, grad=False, path="out"):
    """None or (kind, detail) for two serialised outcomes."""
    if r[0] == "SHAPE":
        if o[0] != "T":
            return "type", f"{path}: got {o[0]}, expected a tensor"
        return diff_tensor(o, r, call, grad)
    if o[0] != r[0]:
        return "type", f"{path}: got {_desc(o)}, expected {_desc(r)}"
    if o[0] == "T":
        d = diff_tensor(o, r, call, grad)
        return None if d is None else (d[0], f"{path}: {d[1]}")
    if o[0] == "L":
        if o[1] != r[1]:
            return "type", f"{path}: got a {o[1]}, expected a {r[1]}"
        if len(o[2]) != len(r[2]):
            return "length", f"{path}: {len(o[2])} items, expected {len(r[2])}"
        for i, (a, b) in enumerate(zip(o[2], r[2])):
            d = diff_ser(a, b, call, grad, f"{path}[{i}]")
            if d:
                return d
        return None
    if o[0] == "S":
        if o[1] != r[1]:
            return "type", f"{path}: got {o[1]} {o[2]!r}, expected {r[1]} {r[2]!r}"
        a, b = o[2], r[2]
        if isinstance(a, float):
            if (a != a) != (b != b) or (a == a and abs(a - b) > 1e-6 * max(1.0, abs(b))):
                return "value", f"{path}: got {a!r}, expected {b!r}"
            return None
        if a != b:
            return "value", f"{path}: got {a!r}, expected {b!r}"
        return None
    if o[0] == "D":
        return None if o[1] == r[1] else ("value", f"{path}: got {o[1]}, expected {r[1]}")
    if o[0] == "N":
        return None
    return None if o[1] == r[1] else ("type", f"{path}: got {o[1]}, expected {r[1]}")


def _desc(s):
    return {"T": "a tensor", "L": "a sequence", "S": "a Python scalar", "N": "None", "D": "a dtype"}.get(
        s[0], str(s[1]) if len(s) > 1 else s[0])


# ---------------------------------------------------------------- against torch
def judge_torch(call, ours, ref):
    """Findings for one call: our outcome vs PyTorch's."""
    out = []
    if "setup_exc" in ref:
        if "setup_exc" not in ours:
            out.append(Finding("exception", "setup: ours accepts what torch rejects",
                               f"torch: {exc_str(ref['setup_exc'])}", call))
        return out
    if "setup_exc" in ours:
        out.append(Finding("exception", f"setup: ours raised {ours['setup_exc']['cls']}",
                           f"ours: {exc_str(ours['setup_exc'])}", call))
        return out
    oe, re_ = ours.get("exc"), ref.get("exc")
    if oe and re_:
        tb = exc_builtin(re_)
        if tb not in oe["builtins"]:
            out.append(Finding("exception", f"ours {exc_builtin(oe)}, torch {tb}",
                               f"ours: {exc_str(oe)}; torch: {exc_str(re_)}", call))
    elif oe:
        out.append(Finding("exception", f"ours raised {exc_builtin(oe)}, torch succeeded",
                           f"ours: {exc_str(oe)}", call))
    elif re_:
        out.append(Finding("exception", f"ours succeeded, torch raised {exc_builtin(re_)}",
                           f"torch: {exc_str(re_)}", call))
    else:
        risky = call.float32_overflow_risk()  # float32 intermediates overflow: the result depends on the order
        d = diff_ser(ours["out"], _shape_only(ref["out"]) if risky else ref["out"], call)
        if d:
            out.append(Finding("value", d[0], d[1], call))
        elif call.grad and ours["out"][0] == "T" and ref["out"][0] == "T" and \
                bool(ours["out"][4]) != bool(ref["out"][4]):
            out.append(Finding("grad", "requires_grad of the result",
                               f"ours {ours['out'][4]}, torch {ref['out'][4]}", call))
    # the inputs afterwards: equal to torch's after a success (in-place results, untouched inputs); after an
    # error, unchanged (the contract: nothing half-written, whatever torch leaves behind)
    if not oe and not re_:
        for k, rv in ref.get("after", {}).items():
            ov = ours.get("after", {}).get(k)
            if ov is None or rv[0] == "E" or ov[0] == "E":
                continue
            d = diff_ser(ov, rv, call, path=k)
            if d:
                what = "input modified" if not call.inplace else "in-place result"
                out.append(Finding("value", f"{what}: {d[0]}", d[1], call))
                break
    elif oe:
        d = _changed_inputs(call, ours)
        if d:
            out.append(Finding("value", "input modified by a failing call", d, call))
    if call.grad and not oe and not re_ and not call.float32_overflow_risk():
        ge, rge = ours.get("grad_exc"), ref.get("grad_exc")
        if ge and not rge:
            out.append(Finding("grad", f"backward raised {exc_builtin(ge)}, torch's did not",
                               f"ours: {exc_str(ge)}", call))
        elif rge and not ge:
            out.append(Finding("grad", f"backward succeeded, torch raised {exc_builtin(rge)}",
                               f"torch: {exc_str(rge)}", call))
        elif not ge:
            for k in call.grad_leaves:
                og, rg = ours["grads"].get(k), ref["grads"].get(k)
                if og is None or rg is None:
                    continue
                if og[0] != rg[0]:
                    out.append(Finding("grad", "grad is None" if og[0] == "N" else "grad should be None",
                                       f"{k}.grad: ours {_desc(og)}, torch {_desc(rg)}", call))
                    break
                if og[0] == "T":
                    call.grad_checked = True
                    d = diff_tensor(og, rg, call, grad=True)
                    if d:
                        out.append(Finding("grad", f"grad {d[0]}", f"{k}.grad: {d[1]}", call))
                        break
    return out


def _shape_only(ser):
    if ser[0] == "T":
        return ("SHAPE", ser[1], ser[2])
    if ser[0] == "L":
        return ("L", ser[1], [_shape_only(v) for v in ser[2]])
    return ser


def _changed_inputs(call, ours):
    """A description of the first input whose values changed, or None."""
    after = ours.get("after", {})
    for name, t in call.inputs.items():
        pairs = [(name, t.arr)] + ([(t.leaf, t.leaf_arr)] if t.leaf != name else [])
        for k, arr in pairs:
            if k in after and after[k][0] == "T":
                d = diff_ser(after[k], expect_to_ser(_as_val(Val(arr, t.dtype))), call, path=k)
                if d:
                    return d[1]
    return None


# ---------------------------------------------------------------- against the numpy reference
def judge_numpy(call, ours, expect, category_override=None, check_grads=True):
    """Findings for one outcome (ours, or torch's when checking the oracle) against the numpy reference."""
    cat = (lambda c: category_override) if category_override else (lambda c: c)
    out = []
    if "setup_exc" in ours:
        return [Finding(cat("exception"), f"setup: raised {ours['setup_exc']['cls']}",
                        exc_str(ours["setup_exc"]), call)]
    if expect is None:
        return out
    oe = ours.get("exc")
    if isinstance(expect, Raises):
        names = [c.__name__ for c in expect.classes]
        if not oe:
            out.append(Finding(cat("exception"), f"succeeded, contract says {names[0]}", expect.why, call))
        elif not any(n in oe["builtins"] for n in names):
            out.append(Finding(cat("exception"), f"raised {exc_builtin(oe)}, contract says {names[0]}",
                               f"{exc_str(oe)}; {expect.why}", call))
        if oe and category_override is None:
            d = _changed_inputs(call, ours)
            if d:
                out.append(Finding("value", "input modified by a failing call", d, call))
        return out
    if oe:
        out.append(Finding(cat("exception"), f"raised {exc_builtin(oe)}, reference succeeds", exc_str(oe), call))
        return out
    d = diff_ser(ours["out"], expect_to_ser(expect), call)
    if d:
        out.append(Finding(cat("value"), d[0], d[1], call))
    # inputs afterwards
    after = ours.get("after", {})
    target_leaf = call.inputs[call.inplace].leaf if call.inplace else None
    for name, t in call.inputs.items():
        checks = []
        if name == call.inplace:
            if isinstance(expect, Val):
                checks.append((name, expect))
        else:
            checks.append((name, Val(t.arr, t.dtype)))
        if t.leaf != name and t.leaf != target_leaf:
            checks.append((t.leaf, Val(t.leaf_arr, t.dtype)))
        for k, v in checks:
            if k in after and after[k][0] == "T":
                dd = diff_ser(after[k], expect_to_ser(_as_val(v)), call, path=k)
                if dd:
                    what = "in-place result" if k == call.inplace else "input modified"
                    out.append(Finding(cat("value"), f"{what}: {dd[0]}", dd[1], call))
                    return out
    if check_grads and call.grad and isinstance(expect, Val):
        out.extend(_numeric_grad_findings(call, ours, expect))
    return out


def _as_val(v):
    if isinstance(v, Val) and v.dtype in FLOATS:
        return Val(np.asarray(v.arr, dtype=np.float64), v.dtype)
    if isinstance(v, Val) and v.dtype in INTS:
        return Val(np.asarray(v.arr).astype(np.int64), v.dtype)
    return v


MAX_NUMERIC = 48


def _numeric_grad_findings(call, ours, expect):
    if not call.smooth or call.inplace:
        return []
    leaves = [t for t in call.inputs.values() if t.requires_grad]
    if not leaves or any(t.dtype != "float64" for t in leaves) or sum(t.leaf_arr.size for t in leaves) > MAX_NUMERIC:
        return []
    if any(not np.all(np.isfinite(t.leaf_arr)) or (t.leaf_arr.size and np.max(np.abs(t.leaf_arr)) > 10)
           for t in leaves):
        return []
    if expect.dtype != "float64" or not np.all(np.isfinite(expect.arr)):
        return []
    if expect.arr.size and np.max(np.abs(expect.arr)) > 1e5:
        return []  # central differences lose the digits (huge Python scalars in the expression)
    if "grad_exc" in ours:
        return [Finding("grad", f"backward raised {exc_builtin(ours['grad_exc'])}", exc_str(ours["grad_exc"]), call)]
    w = grad_weights(expect.arr.shape)
    eps = 1e-6
    base = call.values()
    for t in leaves:
        g = np.zeros(t.leaf_arr.shape)
        for idx in np.ndindex(*t.leaf_arr.shape):
            vals = []
            for sgn in (1, -1):
                leaf = t.leaf_arr.astype(np.float64).copy()
                leaf[idx] += sgn * eps
                V = dict(base)
                V[t.name] = np.asarray(t.view_fn(leaf))
                try:
                    with np.errstate(all="ignore"):
                        r = call.ref(V)
                except Exception:  # noqa: BLE001 (a Raises or no opinion near this point: no verdict)
                    return []
                if isinstance(r, Tup):
                    r = r.items[0]
                if not isinstance(r, Val):
                    return []
                vals.append(np.asarray(r.arr, dtype=np.float64))
            g[idx] = np.sum((vals[0] - vals[1]) * w) / (2 * eps)
        got = ours.get("grads", {}).get(t.leaf)
        if got is None or got[0] != "T":
            if np.any(g != 0):
                return [Finding("grad", "grad is None", f"{t.leaf}.grad is None; numeric {g.ravel()[:6]}", call)]
            continue
        call.grad_checked = True
        ga = np.asarray(got[3], dtype=np.float64)
        if ga.shape != g.shape:
            return [Finding("grad", "grad shape", f"{t.leaf}.grad shape {ga.shape}, expected {g.shape}", call)]
        mag = min(call.magnitude(), 1e75)
        atol = 1e-6 * call.terms * mag ** min(call.order, 4)
        bad = np.abs(ga - g) > atol + 1e-5 * np.abs(g)
        if np.any(bad):
            return [Finding("grad", "grad value (numeric)", f"{t.leaf}.grad: " + _first_diff(ga, g, bad), call)]
    return []
