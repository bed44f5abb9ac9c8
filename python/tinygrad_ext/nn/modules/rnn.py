"""RNN, LSTM, GRU and their cells, with torch's parameters (names, shapes, gate order i,f,g,o and r,z,n,
U(-1/sqrt(H), 1/sqrt(H)) initialisation), so a torch state_dict loads 1:1.

The input projections of a whole sequence are one GEMM (x @ W_ih^T + b_ih for every time step); only the
recurrent part h @ W_hh^T runs step by step. An LSTM layer without projections on an unpacked float32/float64
sequence runs as one autograd node, torch's (the registry's mkldnn_rnn_layer row, _ops.py: the fused cell
kernels, one weight-gradient GEMM); the other cases run the Tensor-op steps below. Shapes: L sequence length,
N batch, D directions, H hidden."""
import math
import numbers
import warnings

from ... import _dtype, _ops
from ..._autocast import ACTIVE as _AMP
from ..._autocast import cast_inputs as _amp_cast
from ...tensor import cat, empty, stack, zeros
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module


# --------------------------------------------------- one time step of each cell
# gi is the input projection x @ W_ih^T + b_ih (computed for all steps at once by the layers).
def _rnn_tanh_step(gi, h, w_hh, b_hh):
    return (gi + F.linear(h, w_hh, b_hh)).tanh()


def _rnn_relu_step(gi, h, w_hh, b_hh):
    return (gi + F.linear(h, w_hh, b_hh)).relu()


def _gru_step(gi, h, w_hh, b_hh):
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r, z = (i_r + h_r).sigmoid(), (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return n + z * (h - n)  # (1 - z) * n + z * h


def _lstm_step(gi, state, w_hh, b_hh, w_hr=None):
    h, c = state
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


_PROJ_WARNED = [False]
_STEPS = {"RNN_TANH": _rnn_tanh_step, "RNN_RELU": _rnn_relu_step, "GRU": _gru_step, "LSTM": _lstm_step}


def _fused_lstm(x, h0, c0, w_hh):
    """Whether the fused LSTM layer (the registry's mkldnn_rnn_layer row, torch's CPU LSTM op) applies: float32 /
    float64, every tensor of one dtype."""
    return x.dtype in (_dtype.float32, _dtype.float64) and h0.dtype is c0.dtype is w_hh.dtype is x.dtype


def _packed_step(step, gi, states, *weights):
    """One step of a packed batch: the first len(gi) sequences (the running ones, longest first) advance, the
    others keep their states (their last ones, or, running backwards, the initial ones until they start).
    states: a list of (N, *) tensors; returns the new list."""
    b = gi.shape[0]
    if b == states[0].shape[0]:
        new = step(gi, states if len(states) == 2 else states[0], *weights)
        return list(new) if len(states) == 2 else [new]
    new = step(gi, [s[:b] for s in states] if len(states) == 2 else states[0][:b], *weights)
    return [cat([n, s[b:]]) for n, s in zip(list(new) if len(states) == 2 else [new], states)]
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


def _check_positive_int(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


def _reset_uniform(module):
    """torch's initialisation of every recurrent weight and bias: U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


# ------------------------------------------------------------------ the layers
class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _STEPS:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          UserWarning, stacklevel=3)
        _check_positive_int(hidden_size, "hidden_size")
        _check_positive_int(num_layers, "num_layers")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (gate_size, layer_input_size), "weight_hh": (gate_size, real_hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = [name + suffix for name in shapes]
                for name, shape in zip(names, shapes.values()):
                    setattr(self, name, Parameter(empty(*shape, device=device, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [self._parameters[name] for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[self._parameters[name] for name in names] for names in self._all_weights]

    def reset_parameters(self):
        _reset_uniform(self)

    def flatten_parameters(self):
        """cuDNN's compaction of the weights into one buffer: nothing to do here (as torch's on the CPU)."""

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -------------------------------------------------------------- forward
    def _check_forward(self, input, hx):
        """Validates input and the initial states (a list: [h0] or [h0, c0], or None) as torch's; returns
        (input as (L, N, input_size), the states as 3-D tensors, whether the input was batched)."""
        name = "LSTM" if self.mode == "LSTM" else ("GRU" if self.mode == "GRU" else "RNN")
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        self._check_dtype(input)
        want = 3 if batched else 2
        what = "batched 3-D" if batched else "unbatched 2-D"
        if hx is not None and any(h.dim() != want for h in hx):
            if len(hx) == 2:
                raise RuntimeError(f"For {what} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            raise RuntimeError(f"For {what} input, hx should also be {want}-D but got {hx[0].dim()}-D tensor")
        if not batched:
            input = input.unsqueeze(1)
            hx = None if hx is None else [h.unsqueeze(1) for h in hx]
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")
        if input.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        return input, self._initial_states(hx, input.shape[1], input), batched

    def _initial_states(self, hx, N, input):
        """hx checked against the shapes (layers*D, N, H_out) [and (layers*D, N, H) for an LSTM], or zeros."""
        D = 2 if self.bidirectional else 1
        sizes = [(self.num_layers * D, N, self.proj_size or self.hidden_size)]
        if self.mode == "LSTM":
            sizes.append((self.num_layers * D, N, self.hidden_size))
        if hx is None:
            return [zeros(*s, dtype=input.dtype, device=input.device) for s in sizes]
        for k, (h, s) in enumerate(zip(hx, sizes)):
            if tuple(h.shape) != s:
                what = f"hidden[{k}]" if self.mode == "LSTM" else "hidden"
                raise RuntimeError(f"Expected {what} size {s}, got {list(h.shape)}")
        return hx

    def _check_dtype(self, input):
        w = self._parameters[self._flat_weights_names[0]]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")

    def _run(self, input, hx, batch_sizes=None):
        """The stacked (bidirectional) recurrence on input (L, N, C) from states hx (each (layers*D, N, *));
        returns the last layer's output (L, N, D*H_out) and the final states, ordered as hx. With batch_sizes
        (a list of ints), input is a PackedSequence's data (sum(batch_sizes), C) and so is the output."""
        step = _STEPS[self.mode]
        D = 2 if self.bidirectional else 1
        finals = [[] for _ in hx]
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(D):
                p = [self._parameters[n] for n in self._all_weights[layer * D + direction]]
                w_ih, w_hh = p[0], p[1]
                b_ih, b_hh = (p[2], p[3]) if self.bias else (None, None)
                extra = (p[-1],) if self.proj_size > 0 else ()
                state = [h[layer * D + direction] for h in hx]
                if _AMP[0] and self.mode == "LSTM" and not extra:  # (torch's CPU autocast runs the layer low)
                    layer_input, *state, w_ih, w_hh, b_ih = _amp_cast("mkldnn_rnn_layer", layer_input, *state, w_ih,
                                                                      w_hh, b_ih)
                if extra and self.mode == "LSTM" and batch_sizes is None and not _PROJ_WARNED[0] and \
                        layer_input.dtype is _dtype.float32 and layer_input.is_cpu and layer_input.numel():
                    _PROJ_WARNED[0] = True  # (torch's TORCH_WARN_ONCE where its CPU LSTM would use oneDNN)
                    warnings.warn("LSTM with projections is not supported with oneDNN. Using default implementation.",
                                  UserWarning, stacklevel=2)
                if self.mode == "LSTM" and not extra and batch_sizes is None and _fused_lstm(layer_input, *state, w_hh):
                    out, h_n, c_n = _ops.NN_OPS["mkldnn_rnn_layer"].apply(layer_input, w_ih, w_hh, b_ih, b_hh, *state,
                                                                          direction == 1)
                    finals[0].append(h_n)
                    finals[1].append(c_n)
                    outputs.append(out)
                    continue
                gi = F.linear(layer_input, w_ih, b_ih)
                gi = gi.unbind(0) if batch_sizes is None else gi.split(batch_sizes)  # (one node each)
                order = range(len(gi)) if direction == 0 else range(len(gi) - 1, -1, -1)
                out = [None] * len(gi)
                for t in order:
                    if batch_sizes is None:
                        new = step(gi[t], state if self.mode == "LSTM" else state[0], w_hh, b_hh, *extra)
                        state = list(new) if self.mode == "LSTM" else [new]
                        out[t] = state[0]
                    else:
                        state = _packed_step(step, gi[t], state, w_hh, b_hh, *extra)
                        out[t] = state[0][:gi[t].shape[0]]
                for k, s in enumerate(state):
                    finals[k].append(s)
                outputs.append(stack(out) if batch_sizes is None else cat(out))
            layer_input = outputs[0] if D == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, [stack(f) for f in finals]

    def _forward_packed(self, packed, hx):
        """A PackedSequence through the layers: its sequences run in sorted order (longest first), hx given and
        the final states returned in the batch's original order; the output is a PackedSequence like the input."""
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        if data.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.dim()}")
        self._check_dtype(data)
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{data.shape[-1]}")
        sizes = [int(b) for b in batch_sizes.tolist()]
        hx = self._initial_states(hx, sizes[0], data)
        if sorted_indices is not None:
            hx = [h.index_select(1, sorted_indices) for h in hx]
        output, h_n = self._run(data, hx, sizes)
        if unsorted_indices is not None:
            h_n = [h.index_select(1, unsorted_indices) for h in h_n]
        return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), h_n

    def _forward(self, input, hx):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        input, hx, batched = self._check_forward(input, hx)
        output, h_n = self._run(input, hx)
        if not batched:
            return output.squeeze(1), [h.squeeze(1) for h in h_n]
        if self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n


class RNN(RNNBase):
    """RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None): h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(modes[self.nonlinearity], *args, **kwargs)

    def forward(self, input, hx=None):
        output, (h_n,) = self._forward(input, None if hx is None else [hx])
        return output, h_n


class GRU(RNNBase):
    """GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None); gates r, z, n in that order."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        output, (h_n,) = self._forward(input, None if hx is None else [hx])
        return output, h_n


class LSTM(RNNBase):
    """LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None); gates i, f, g, o in that order. Returns
    (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        output, (h_n, c_n) = self._forward(input, None if hx is None else [hx[0], hx[1]])
        return output, (h_n, c_n)


# ------------------------------------------------------------------ the cells
class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _cell(self, input, hx, name):
        """Checks input (1-D or 2-D) and the states hx (a list, or None for zeros) as torch's, runs one step and
        returns the new states, unbatched again if the input was."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for h in hx or ():
            if h.dim() not in (1, 2):
                raise ValueError(f"{type(self).__name__}: Expected hidden to be 1D or 2D, got {h.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            hx = None if hx is None else [h.unsqueeze(0) for h in hx]
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}")
        n_states = 2 if name == "lstm_cell" else 1
        if hx is None:
            hx = [zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)] * n_states
        elif len(hx) != n_states:
            raise RuntimeError(f"{name} expects two hidden states")
        for k, h in enumerate(hx):
            if h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} batch size "
                                   f"{h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {h.shape[1]}, expected "
                                   f"{self.hidden_size}")
        p = self._parameters
        gi = F.linear(input, p["weight_ih"], p["bias_ih"])
        step = _STEPS[self._mode()]
        out = step(gi, hx if n_states == 2 else hx[0], p["weight_hh"], p["bias_hh"])
        out = list(out) if n_states == 2 else [out]
        return out if batched else [h.squeeze(0) for h in out]


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _mode(self):
        if self.nonlinearity == "tanh":
            return "RNN_TANH"
        if self.nonlinearity == "relu":
            return "RNN_RELU"
        raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")

    def forward(self, input, hx=None):
        return self._cell(input, None if hx is None else [hx], "rnn_cell")[0]


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def _mode(self):
        return "GRU"

    def forward(self, input, hx=None):
        return self._cell(input, None if hx is None else [hx], "gru_cell")[0]


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def _mode(self):
        return "LSTM"

    def forward(self, input, hx=None):
        h, c = self._cell(input, None if hx is None else list(hx), "lstm_cell")
        return h, c
