"""Variable-length sequences as torch.nn.utils.rnn: padding them into one tensor, and PackedSequence, the
time-major packing an RNN reads (at step t, the first batch_sizes[t] sequences, longest first)."""
from collections import namedtuple

from ... import _dtype
from ...tensor import Tensor, as_tensor, cat, stack, tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence", "unpack_sequence", "unpad_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def invert_permutation(permutation):
    """The permutation that undoes `permutation` (an int64 tensor), or None."""
    if permutation is None:
        return None
    order = permutation.tolist()
    inverse = [0] * len(order)
    for i, j in enumerate(order):
        inverse[j] = i
    return tensor(inverse, dtype=_dtype.int64, device=permutation.device)


class PackedSequence(_PackedSequenceBase):
    """data: the packed steps (sum(lengths), *); batch_sizes: int64 CPU tensor, how many sequences are still
    running at each step; sorted_indices / unsorted_indices: the batch order by decreasing length and its inverse
    (None when the batch was already sorted)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)), the old spelling
            data, batch_sizes = data
        if batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn. "
                             "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """data moved/cast with Tensor.to; the indices follow data's device; batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        def move(t):
            return None if t is None else t.to(data.device)
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cpu(self):
        return self.to("cpu")

    def cuda(self, *args, **kwargs):
        return self.to(self.data.cuda(*args, **kwargs).device)

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):
        return self.to(dtype=_dtype.float32)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):
        return self.to(dtype=_dtype.int32)

    def byte(self):
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks sequences of shape (L_i, *) into (max L, B, *) ((B, max L, *) if batch_first), filling the rest
    with padding_value on the padding_side (differentiable)."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        pad = s.new_full((max_len - s.shape[0],) + tuple(s.shape[1:]), padding_value)
        padded.append(cat([s, pad] if padding_side == "right" else [pad, s]))
    return stack(padded, 0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):  # torch's name
    """Packs a padded batch (T, B, *) ((B, T, *) if batch_first) of sequences with the given lengths. With
    enforce_sorted=False the batch is sorted by decreasing length first (sorted_indices records how)."""
    lengths = [int(n) for n in (lengths.tolist() if isinstance(lengths, Tensor) else lengths)]
    sorted_indices = None
    batch_dim = 0 if batch_first else 1
    if not enforce_sorted:
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # stable: equal lengths keep their order
        lengths = [lengths[i] for i in order]
        sorted_indices = tensor(order, dtype=_dtype.int64, device=input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={batch})")
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if any(a < b for a, b in zip(lengths, lengths[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                           "this requirement if you do not need ONNX exportability.")
    if lengths[0] > steps:  # NOTE: torch reads past the tensor here; we refuse
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths[0]} exceeds the {steps} time steps of the "
                           f"input of shape {list(input.shape)}; pass the lengths of the padded sequences")
    batch_sizes = [sum(n > t for n in lengths) for t in range(lengths[0])]
    data = cat([input[t, :bs] for t, bs in enumerate(batch_sizes)])
    return PackedSequence(data, tensor(batch_sizes, dtype=_dtype.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths as an int64 tensor), in the
    batch's original order. total_length pads to that many steps."""
    batch_sizes = sequence.batch_sizes.tolist()
    max_seq_length = len(batch_sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch, feature = batch_sizes[0], tuple(data.shape[1:])
    steps, offset = [], 0
    for bs in batch_sizes:
        rows = data[offset:offset + bs]
        steps.append(cat([rows, data.new_full((batch - bs,) + feature, padding_value)]) if bs < batch else rows)
        offset += bs
    steps += [data.new_full((batch,) + feature, padding_value)] * (max_seq_length - len(batch_sizes))
    padded = stack(steps, 1 if batch_first else 0)
    lengths = [sum(bs > b for bs in batch_sizes) for b in range(batch)]
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths = [lengths[i] for i in unsorted.tolist()]
    return padded, tensor(lengths, dtype=_dtype.int64)


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences (L_i, *) (by decreasing length unless enforce_sorted=False)."""
    lengths = as_tensor([v.shape[0] for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences padded_sequences[:, i][:lengths[i]] (inverse of pad_sequence)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence, in the original order (inverse of pack_sequence)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
