"""tf.Session: runs parts of a graph, keeps the Variables' values, caches one plan per (fetches, feeds)."""
import contextlib
import numbers

import numpy as np

import tinygrad_ext as _torch
from ._graph import Node, default_session_stack, get_default_graph
from ._passes import Plan, resolve_device

_INT_LIMITS = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1), "uint8": (0, 255)}


class ConfigProto:
    """The Session options this implementation reads: allow_soft_placement (a '/gpu:0' node runs on the CPU
    when no GPU is present, instead of raising). Other options are accepted and have no effect."""

    def __init__(self, allow_soft_placement=False, log_device_placement=False, **kwargs):
        self.allow_soft_placement, self.log_device_placement = bool(allow_soft_placement), log_device_placement
        self.__dict__.update(kwargs)


class Session:
    """tf.Session(target='', graph=None, config=None)."""

    def __init__(self, target="", graph=None, config=None):
        self._graph = graph if graph is not None else get_default_graph()
        self._soft = bool(getattr(config, "allow_soft_placement", False))
        self._variables, self._plans, self._rng_draws = {}, {}, {}
        self._closed, self._last, self._entered = False, None, []

    @property
    def graph(self):
        return self._graph

    @property
    def stats(self):
        """The passes' counts for the plan of the last run() (constant folding, CSE, dead nodes, kernels, runs)."""
        return self._last.stats if self._last is not None else None

    @property
    def plans_built(self):
        return len(self._plans)

    def __enter__(self):
        for cm in (self._graph.as_default(), self.as_default()):
            cm.__enter__()
            self._entered.append(cm)
        return self

    def __exit__(self, *exc):
        while self._entered:
            self._entered.pop().__exit__(*exc)
        self.close()

    @contextlib.contextmanager
    def as_default(self):
        stack = default_session_stack()
        stack.append(self)
        try:
            yield self
        finally:
            stack.remove(self)

    def close(self):
        self._closed = True
        self._variables.clear()
        self._plans.clear()

    def _resolve_device(self, node):
        return resolve_device(node, self._soft)

    # ------------------------------------------------------------------------------------- run
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """The values of `fetches` (a node, its name, or a list/tuple/dict of them) as numpy arrays, after
        binding each `feed_dict` key (a placeholder or any tensor) to its value."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        flat = []
        structure = self._flatten(fetches, flat)
        feeds = {self._feed_key(k): v for k, v in feed_dict.items()} if feed_dict else {}
        key = (tuple(flat), tuple(feeds))
        plan = self._plans.get(key)
        if plan is None:
            for node, value in feeds.items():  # a bad feed is reported before any other error
                self._feed_value(node, value, "cpu")
            plan = self._plans[key] = Plan(flat, set(feeds), self)
        self._last = plan
        values = plan.run([self._feed_value(node, feeds[node], device) for node, _, device in plan.feeds])
        return _unflatten(structure, [_to_numpy(v, p) for v, p in zip(values, plan.persistent)])

    def _as_fetch(self, fetch):
        if isinstance(fetch, str):
            return self._by_name(fetch)
        if not isinstance(fetch, Node):
            raise TypeError(f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a string or Tensor. "
                            f"(Can not convert a {type(fetch).__name__} into a Tensor or Operation.)")
        if fetch.graph is not self._graph:
            raise ValueError(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. (Tensor {fetch} is not an "
                             "element of this graph.)")
        return fetch

    def _by_name(self, name):
        try:
            return self._graph.as_graph_element(name)
        except KeyError as e:
            raise ValueError(f"Fetch argument {name!r} cannot be interpreted as a Tensor. ({e.args[0]})") from None

    def _flatten(self, fetches, flat):
        if isinstance(fetches, (list, tuple)):
            return type(fetches), [self._flatten(f, flat) for f in fetches]
        if isinstance(fetches, dict):
            return dict, {k: self._flatten(v, flat) for k, v in fetches.items()}
        flat.append(self._as_fetch(fetches))
        return len(flat) - 1

    def _feed_key(self, key):
        node = self._by_name(key) if isinstance(key, str) else key
        if not isinstance(node, Node) or node.is_operation:
            raise TypeError(f"Cannot interpret feed_dict key as Tensor: Can not convert a {type(node).__name__} into a "
                            "Tensor.")
        if node.graph is not self._graph:
            raise TypeError(f"Cannot interpret feed_dict key as Tensor: Tensor {node} is not an element of this graph.")
        return node

    @staticmethod
    def _feed_value(node, value, device):
        """The fed value as a Tensor of the node's dtype on `device`: numpy values are cast as TensorFlow casts
        them (float64 data fed to a float32 placeholder becomes float32); the shape must fit the node's."""
        dtype = node.dtype.name
        if isinstance(value, Node):
            raise TypeError("The value of a feed cannot be a tf.Tensor object. Acceptable feed values include Python "
                            f"scalars, strings, lists, numpy ndarrays, or TensorHandles. For reference, the tensor "
                            f"object was {value} which was passed to the feed with key {node}.")
        if isinstance(value, _torch.Tensor):
            value = value.detach().cpu().numpy()
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) and dtype in _INT_LIMITS and not (
                _INT_LIMITS[dtype][0] <= value <= _INT_LIMITS[dtype][1]):
            raise TypeError(f"Type of feed value {value} with type {type(value)} is not compatible with Tensor type "
                            f"{dtype}. Try explicitly setting the type of the feed tensor to a larger type (e.g. "
                            "int64).")
        try:
            arr = np.array(value, dtype=dtype)  # a copy the run owns (an assignment may keep it)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Cannot feed value of type {type(value).__name__} to Tensor '{node.name}:0' of dtype "
                             f"{dtype}: {e}") from e
        if not node.shape.is_compatible_with(arr.shape):
            raise ValueError(f"Cannot feed value of shape {arr.shape} for Tensor '{node.name}:0', which has shape "
                             f"'{node.shape}'")
        t = _torch.from_numpy(arr)
        return t if device == "cpu" else t.to(device)

    def _load(self, var, value):
        self._variables[var] = self._feed_value(var, value, self._resolve_device(var) or "cpu")


class InteractiveSession(Session):
    """A Session that makes itself the default one (for `tensor.eval()`) until it is closed."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        default_session_stack().append(self)

    def close(self):
        stack = default_session_stack()
        if self in stack:
            stack.remove(self)
        super().close()


def get_default_session():
    stack = default_session_stack()
    return stack[-1] if stack else None


def _to_numpy(value, persistent):
    if value is None:
        return None
    arr = (value.cpu() if value.is_cuda else value).numpy()
    if arr.ndim == 0:
        return arr[()]  # a numpy scalar, as TensorFlow returns for 0-d tensors
    return arr.copy() if persistent else arr  # a kept value (variable, constant) must not be aliased


def _unflatten(structure, values):
    if isinstance(structure, int):
        return values[structure]
    kind, items = structure
    if kind is dict:
        return {k: _unflatten(v, values) for k, v in items.items()}
    items = [_unflatten(v, values) for v in items]
    return kind(*items) if hasattr(kind, "_fields") else kind(items)
