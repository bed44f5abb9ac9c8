"""tinygrad_ext.onnx: torch.onnx.export for tinygrad_ext models (needs the `onnx` package).

Built on the compiler's graph: the model's forward is recorded by the recorder `tinygrad_ext.compile` makes its
plans from (_plan.Recorder: the core `_C` calls with their tensor arguments, see _record.py), and each recorded
core call is lowered to ONNX nodes (_lower.py, one lowering per core call kind). Parameters and buffers become
initializers named by their state_dict keys, the arguments graph inputs, calls on constants alone are folded.
With dynamic_axes the forward is recorded a second time with those axes one size larger (and other input
values): the sizes that change become symbolic dims, computed from the inputs' shapes in the graph.
"""
import contextlib
import enum
import inspect
import warnings

import numpy as np

try:
    import onnx
except ImportError as e:
    raise ModuleNotFoundError("tinygrad_ext.onnx needs the onnx package: pip install onnx") from e
from onnx import helper

from ..nn.modules.module import Module
from ..tensor import Tensor, cat
from ..version import __version__
from . import errors
from ._graph import GraphBuilder, onnx_dtype, value_of
from ._lower import DYNAMIC_ARGS, lower
from ._record import Call, Ref, record, refs
from .errors import OnnxExporterError, UnsupportedOperatorError

producer_name = "tinygrad_ext"
producer_version = __version__
_DEFAULT_OPSET = 17
_MIN_OPSET = 13
_exporting = [False]


class TrainingMode(enum.IntEnum):
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


def is_in_onnx_export():
    """True while export() is tracing a model."""
    return _exporting[0]


class ONNXProgram:
    """What export(dynamo=True) returns: the ModelProto, and save()."""

    def __init__(self, model_proto):
        self.model_proto = model_proto

    def save(self, destination):
        _write(self.model_proto, destination)

    def __repr__(self):
        return f"ONNXProgram(model_proto=<ModelProto with {len(self.model_proto.graph.node)} nodes>)"


def _write(model, f):
    if hasattr(f, "write"):
        f.write(model.SerializeToString())
    else:
        onnx.save(model, f)


@contextlib.contextmanager
def _mode(model, training):
    was = model.training if isinstance(model, Module) else None
    if was is not None and training != TrainingMode.PRESERVE:
        model.train(training == TrainingMode.TRAINING)
    _exporting[0] = True
    try:
        yield
    finally:
        _exporting[0] = False
        if was is not None:
            model.train(was)


def _names(given, count, default):
    names = list(given or ())[:count]
    return names + [default(i) for i in range(len(names), count)]


def _dynamic_axes(dynamic_axes, input_names, output_names):
    """{name: {axis: symbol}} from torch's two forms ({name: {axis: symbol}} or {name: [axes]})."""
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in input_names and name not in output_names:
            warnings.warn(f"Provided key {name} for dynamic axes is not a valid input/output name", stacklevel=3)
            continue
        if isinstance(axes, dict):
            out[name] = {int(a): str(s) for a, s in axes.items()}
        else:
            out[name] = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    return out


def _varied(args, inputs, dyn):
    """args (nested, in the order the recording numbered the inputs) for the second recording: each input's values
    in reverse order (still valid indices, probabilities, ...), each dynamic axis one entry longer (its first
    entry repeated)."""
    varied = []
    for i, t in enumerate(inputs):
        t = t.detach().flatten().flip(0).reshape(t.shape) if t.dim() else t.detach()
        for axis in dyn.get(i, {}):
            t = cat([t, t.narrow(axis, 0, 1)], axis)
        varied.append(t)
    position = iter(range(len(inputs)))

    def replace(obj):
        if isinstance(obj, Tensor):
            return varied[next(position)]
        if isinstance(obj, (tuple, list)):
            return type(obj)(replace(o) for o in obj)
        if isinstance(obj, dict):
            return {k: replace(v) for k, v in obj.items()}
        return obj
    return replace(args)


def _value_info(name, dtype_id, shape, axes):
    dims = [axes.get(i, d) for i, d in enumerate(shape)]
    return helper.make_tensor_value_info(name, onnx_dtype(dtype_id), dims)


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None, output_names=None,
           opset_version=None, dynamo=True, external_data=True, dynamic_shapes=None, custom_translation_table=None,
           report=False, optimize=True, verify=False, profile=False, dump_exported_program=False, artifacts_dir=".",
           export_params=True, keep_initializers_as_inputs=False, dynamic_axes=None, training=TrainingMode.EVAL,
           operator_export_type=OperatorExportTypes.ONNX, do_constant_folding=True, custom_opsets=None,
           export_modules_as_functions=False, autograd_inlining=True):
    """torch.onnx.export: traces model(*args, **kwargs) and writes the ONNX model to f (a path or a binary
    file object). Returns an ONNXProgram when dynamo=True (the default, as torch 2.9+), else None.

    Both `dynamo` paths use the same recording; `optimize` and `autograd_inlining` have nothing to change (the
    graph is built without the redundant nodes torch's passes remove), and the weights are always stored
    inside the model (`external_data` matters only beyond protobuf's 2 GB)."""
    opset = _DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not _MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"Unsupported ONNX opset version: {opset}. Supported versions: {_MIN_OPSET} to "
                         f"{onnx.defs.onnx_opset_version()} (the installed onnx package's newest).")
    unsupported = {"dynamic_shapes": dynamic_shapes, "custom_translation_table": custom_translation_table,
                   "custom_opsets": custom_opsets or None, "report": report or None, "verify": verify or None,
                   "profile": profile or None, "dump_exported_program": dump_exported_program or None,
                   "export_modules_as_functions": export_modules_as_functions or None,
                   "operator_export_type": None if operator_export_type == OperatorExportTypes.ONNX
                   else operator_export_type}
    for what, value in unsupported.items():
        if value is not None:
            raise NotImplementedError(f"export(): {what}={value!r} is not supported by tinygrad_ext.onnx"
                                      + (" (use dynamic_axes)" if what == "dynamic_shapes" else ""))
    if not callable(model):
        raise TypeError(f"export(): model must be a Module or a callable, got {type(model).__name__}")
    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):  # torch's form: a trailing dict holds the keyword arguments
        args, kwargs = args[:-1], {**args[-1], **kwargs}

    state = {}
    if isinstance(model, Module):
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            state.setdefault(id(t), name)
    fold = bool(do_constant_folding) and training != TrainingMode.TRAINING

    with _mode(model, training):
        first = record(model, args, kwargs, state, opset)
        inputs, outs = first.inputs, first.outputs
        input_names = _names(input_names, len(inputs), lambda i: _default_input_name(model, i, len(inputs)))
        output_names = _names(output_names, len(outs), lambda i: "output" if len(outs) == 1 else f"output_{i}")
        axes = _dynamic_axes(dynamic_axes, input_names, output_names)
        dyn = {i: axes[n] for i, n in enumerate(input_names) if n in axes}
        # A second recording, on other values (and sizes of the dynamic axes): the graph must not change, and the
        # sizes that change are computed from the inputs' shapes in the graph.
        second = record(model, *_varied((args, kwargs), inputs, dyn), state, opset)
    if len(first.calls) != len(second.calls) or len(outs) != len(second.outputs) or any(
            a.name is not b.name and a.name != b.name for a, b in zip(first.calls, second.calls)):
        raise OnnxExporterError("export(): the model runs different ops for other input values or sizes (control "
                                "flow on tensor values or sizes); the exported graph would only hold one of them.")
    dynamic = [(input_names[i], a, inputs[i].shape[a], inputs[i].shape[a] + 1) for i in dyn for a in dyn[i]]

    g = GraphBuilder(opset, input_names, dynamic, export_params)
    for index in sorted(_live(first.calls, outs)):
        _lower_call(g, first.calls[index], second.calls[index], fold)
    output_infos = []
    for ref, ref_b, name in zip(outs, second.outputs, output_names):
        g.name_output(g.value(ref), name)
        out_axes = {i: axes.get(name, {}).get(i) for i, (a, b) in enumerate(zip(ref.shape, ref_b.shape)) if a != b}
        output_infos.append(_value_info(name, ref.dtype, ref.shape, {**out_axes, **axes.get(name, {})}))
    input_infos = [_value_info(n, t._impl.dtype, tuple(t.shape), dyn.get(i, {})) for i, (n, t) in
                   enumerate(zip(input_names, inputs))]
    g.prune(output_names)
    used = {x for n in g.nodes for x in n.input} | set(output_names)
    for name in input_names:
        if name not in used:
            warnings.warn(f"export(): the input '{name}' is not used by the exported graph.", stacklevel=2)
    proto = g.model(input_infos, output_infos, producer_name, keep_initializers_as_inputs)
    proto.producer_version = producer_version
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    if f is not None:
        _write(proto, f)
    return ONNXProgram(proto) if dynamo else None


_RANDOM = frozenset(("bernoulli_", "normal_", "uniform_", "random_", "randperm"))


def _leaves(obj):
    """The plain (non-tensor) arguments of a call, flattened."""
    if isinstance(obj, (tuple, list)):
        return [x for o in obj for x in _leaves(o)]
    return [None] if isinstance(obj, (Ref, Call)) else [obj]


def _lower_call(g, c, cb, fold):
    """Folds the call into a constant or lowers it to ONNX nodes (g.names[its outputs]). cb: the same call of the
    second recording: a number that differs is a warning (a value read from a tensor), a size that differs must
    follow the dynamic axes (only calls whose lowering builds the size from the inputs' shapes accept one)."""
    sizes_differ = False
    for a, b in zip(_leaves(c.args), _leaves(cb.args)):
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):  # (from_numpy's array: its shape is a size)
            a, b = np.asarray(a), np.asarray(b)
            a, b = (a.shape, b.shape) if a.shape != b.shape else (0.0, 0.0) if np_equal(a, b) else (0.0, 1.0)
        if a == b or (isinstance(a, float) and a != a and b != b):
            continue
        if c.name not in DYNAMIC_ARGS and (isinstance(a, float) or isinstance(b, float)):
            g.changed(c.label())
        else:
            sizes_differ = True
    if sizes_differ and c.name not in DYNAMIC_ARGS:
        raise UnsupportedOperatorError(c.label(), g.opset, detail="One of its arguments (a size, or a number read from "
                                       "a tensor) depends on a dynamic axis or on the input values.")
    args = refs(c.args)
    same_shapes = all(o is None or o.shape == ob.shape for o, ob in zip(c.outs, cb.outs))
    if isinstance(c.name, str) and c.name not in _RANDOM and (fold or not args) and not sizes_differ and same_shapes \
            and all(g.is_const(r) for r in args) and all(o is None or o.final for o in c.outs):
        g.folded.update(o.key for o in c.outs if o is not None)
        return
    for ra, rb in zip(args, refs(cb.args)):
        if g.is_const(ra) and ra.shape == rb.shape and ra.impl is not rb.impl:
            va, vb = value_of(ra), value_of(rb)
            if not np_equal(va, vb):
                warnings.warn(f"export(): a tensor that {c.label()} uses changed with the input values but is exported "
                              "as a constant (computed from a number read from a tensor, or randomly); the graph holds "
                              "its recorded value.", stacklevel=4)
    for o, name in zip(c.outs, lower(g, c, cb)):
        if o is not None and name is not None:
            g.names[o.key] = name


def np_equal(a, b):
    return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def _live(calls, outs):
    """The indices of the calls the outputs depend on."""
    live = {r.key[0] for r in outs if r.kind == "call"}
    for index in range(len(calls) - 1, -1, -1):
        if index in live:
            live.update(r.key[0] for r in refs(calls[index].args) if r.kind == "call")
    return live


def _default_input_name(model, i, n):
    """The forward's first parameter name (x, input, ...) for one input; name_i for several."""
    fwd = model.forward if isinstance(model, Module) else model
    try:
        params = [p for p in inspect.signature(fwd).parameters if p != "self"]
    except (TypeError, ValueError):
        params = []
    base = params[0] if params else "input"
    return base if n == 1 else f"{base}_{i}"


__all__ = ["export", "errors", "is_in_onnx_export", "TrainingMode", "OperatorExportTypes", "ONNXProgram",
           "OnnxExporterError", "UnsupportedOperatorError"]
