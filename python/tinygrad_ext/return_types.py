"""torch.return_types: the named tuples of the ops with several results (max/min with a dim, sort,
topk, ...). Each is a tuple with named fields whose repr is torch's structseq one:

    torch.return_types.max(
    values=tensor([1.5000, 5.0000]),
    indices=tensor([1, 2]))
"""
import collections

from . import _registry


def _return_type(name, fields):
    """torch.return_types.<name>: a tuple with named fields, printed as torch prints it (made here or by the module
    of the op returning it, and an attribute of this module either way)."""
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "torch.return_types"
    cls.__repr__ = _structseq_repr
    globals().setdefault(name, cls)
    return cls


def _structseq_repr(self):
    items = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{items})"


# max, min, kthvalue, median, nanmedian, mode, sort, topk, cummax, cummin (max and min shadow the builtins only here)
for _name in [e.name for e in _registry.SELECTIONS] + [e.name for e in _registry.SCANS if e.kind == "indices"]:
    globals()[_name] = _return_type(_name, ("values", "indices"))
for _name in [e.name for e in _registry.SELECTIONS]:  # torch.<name>(..., out=(values, indices))'s result
    globals()[_name + "_out"] = _return_type(_name + "_out", ("values", "indices"))
del _name
for _e in _registry.LINALG:  # torch.linalg's ops with several results: linalg_svd(U, S, Vh), linalg_qr(Q, R), ...
    if len(_e.outputs) > 1:
        globals()[_e.name] = _return_type(_e.name, _e.outputs)
del _e
