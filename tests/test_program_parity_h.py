"""Recipe-style programs (checkpoints, warm-starting, optimizers' and schedulers' state, hooks, deepcopy, data
loading, reproducibility) that differed from torch 2.13, each pinned here with the value torch gives: copy.deepcopy
of an nn.Parameter (a model) leaves its .grad behind; in-place writes to inference tensors outside inference_mode
raise; one RemovableHandle class (torch.utils.hooks') with ids from one counter (next_id) for module, tensor and
graph-node hooks; a Module's hook tables are OrderedDicts; multinomial's messages on the with-replacement path;
random_split's slicing of unchecked integer lengths; manual_seed's and set_rng_state's argument errors;
deterministic mode's filling of uninitialized tensors (torch.utils.deterministic) and empty(out=). Expected values
written down from torch."""
import math
import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import nn
from tinygrad_ext.utils.data import random_split
from tinygrad_ext.utils.hooks import RemovableHandle


# ------------------------------------------------------------------ copy.deepcopy
def test_deepcopy_of_a_parameter_drops_its_grad_as_torchs():
    lin = nn.Linear(2, 1)
    lin(torch.ones(1, 2)).sum().backward()
    twin = copy.deepcopy(lin)
    assert lin.weight.grad is not None
    assert twin.weight.grad is None and twin.bias.grad is None  # torch: None (Parameter.__deepcopy__)
    assert type(twin.weight) is nn.Parameter and twin.weight.requires_grad and twin.weight.is_leaf
    assert torch.equal(twin.weight, lin.weight) and twin.weight is not lin.weight
    t = torch.ones(2, requires_grad=True)
    t.sum().backward()
    assert copy.deepcopy(t).grad.tolist() == [1.0, 1.0]  # a plain tensor keeps it


# ------------------------------------------------------------------ inference_mode
_INPLACE_INFERENCE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to "
                      "get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for "
                      "more details.")


def _raises_runtime(fn):
    try:
        fn()
    except RuntimeError as e:
        return str(e)
    return None


def test_inplace_write_to_an_inference_tensor_outside_the_mode_raises_before_writing():
    w = torch.ones(2, requires_grad=True)
    with torch.inference_mode():
        z = w * 2
        a = torch.ones(3)
    assert _raises_runtime(lambda: z.add_(1)) == _INPLACE_INFERENCE
    # (torch writes first, then refuses to bump the version; ours writes nothing on an error: RELIABILITY.md)
    assert z.tolist() == [2.0, 2.0]
    with torch.no_grad():
        assert _raises_runtime(lambda: z.add_(1)) == _INPLACE_INFERENCE
    assert _raises_runtime(lambda: z.__setitem__(0, 5.0)) == _INPLACE_INFERENCE
    assert z.tolist() == [2.0, 2.0]
    for write in (lambda: a.zero_(), lambda: a.fill_(3), lambda: a.copy_(torch.zeros(3)), lambda: a[1:].add_(3),
                  lambda: a.exp_(), lambda: a.uniform_(), lambda: torch.add(a, 1, out=a), lambda: torch.relu_(a),
                  lambda: a.index_put_((torch.tensor([0]),), torch.tensor(9.0)),
                  lambda: a.scatter_(0, torch.tensor([1]), 7.0), lambda: a.masked_fill_(a > 0, 3.0)):
        assert _raises_runtime(write) == _INPLACE_INFERENCE
        assert a.tolist() == [1.0, 1.0, 1.0]
    with torch.inference_mode():
        a.zero_()
        a.add_(1)  # inside the mode: allowed
    assert a.tolist() == [1.0, 1.0, 1.0]
    a.detach().add_(1)  # torch: a detached alias and .data take writes
    a.data.add_(1)
    assert a.tolist() == [3.0, 3.0, 3.0]
    b = torch.ones(2)
    b.add_(1)  # a normal tensor, made outside the mode
    with torch.inference_mode():
        b.add_(1)
    assert b.tolist() == [3.0, 3.0]


def test_requires_grad_on_an_inference_tensor_outside_the_mode_raises():
    with torch.inference_mode():
        a = torch.ones(2)
    msg = "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
    assert _raises_runtime(lambda: a.requires_grad_()) == msg
    assert _raises_runtime(lambda: nn.Parameter(a)) == msg
    assert a.requires_grad_(False).requires_grad is False
    with torch.inference_mode():
        assert a.requires_grad_().requires_grad


# ------------------------------------------------------------------ hook handles
def test_every_hook_handle_is_torchs_removable_handle_with_a_counted_id():
    lin = nn.Linear(2, 1)
    start = RemovableHandle.next_id
    h_mod = lin.register_forward_hook(lambda m, i, o: None)
    x = torch.ones(2, requires_grad=True)
    calls = []
    h_t = x.register_hook(lambda g: calls.append("t"))
    y = x * 2
    h_node = y.grad_fn.register_hook(lambda gi, go: calls.append("node"))
    h_pre = y.grad_fn.register_prehook(lambda go: calls.append("pre"))
    h_acc = x.register_post_accumulate_grad_hook(lambda t: calls.append("acc"))
    handles = (h_mod, h_t, h_node, h_pre, h_acc)
    assert all(type(h) is RemovableHandle for h in handles)
    assert [h.id for h in handles] == list(range(start, start + 5)) and RemovableHandle.next_id == start + 5
    y.sum().backward(retain_graph=True)
    assert calls == ["pre", "node", "t", "acc"]
    for h in handles:
        h.remove()
    h_t.remove()  # (twice: nothing left to remove)
    calls.clear()
    y.sum().backward()
    assert calls == [] and len(lin._forward_hooks) == 0


def test_module_hook_tables_are_ordered_dicts():
    k = nn.Identity()
    h = k.register_forward_pre_hook(lambda m, a, kw: None, with_kwargs=True)
    k.register_forward_hook(lambda m, i, o: None, always_call=True)
    for name in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs"):
        assert type(getattr(k, name)) is OrderedDict
    assert k._forward_pre_hooks_with_kwargs == OrderedDict([(h.id, True)])


def test_detach_data_and_parameters_of_inference_tensors_are_inference_tensors():
    with torch.inference_mode():
        a = torch.ones(4)
        lin = nn.Linear(2, 2)
        out = lin(torch.ones(1, 2))
    d = a.detach()
    assert (d.is_inference(), a.data.is_inference(), d[1:].is_inference(), a.view(2, 2).is_inference()) == \
        (True, True, True, True)
    assert not a.clone().is_inference() and not (a + 1).is_inference()
    d.add_(1)  # torch: the detached alias itself takes the write ...
    assert _raises_runtime(lambda: d[1:].add_(1)) == _INPLACE_INFERENCE  # ... its views do not
    assert _raises_runtime(lambda: a.detach().view(2, 2).add_(1)) == _INPLACE_INFERENCE
    assert lin.weight.is_inference() and out.is_inference() and not out.requires_grad
    lin.weight.data.add_(1)


def test_resize_counts_as_an_inplace_write():
    b = torch.ones(3)
    v = b._version
    b.resize_(2)
    assert b._version - v == 1
    b.resize_(8)  # (a new, larger storage: the version goes on)
    assert b._version - v == 2
    with torch.inference_mode():
        a = torch.ones(4)
    assert _raises_runtime(lambda: a.resize_(6)) == _INPLACE_INFERENCE
    assert a.shape == (6,)  # torch resizes, then refuses


# ------------------------------------------------------------------ sampling
_NAN, _INF = float("nan"), float("inf")


def test_multinomial_messages_follow_torchs_two_paths():
    fast = "probability tensor contains either `inf`, `nan` or element < 0"
    cases = [  # (weights, replacement, num_samples, torch's message)
        ([-1.0, 2.0], True, 1, fast), ([-1.0, 2.0], False, 2, fast), ([_INF, 1.0], False, 1, fast),
        ([-1.0, 2.0], True, 2, "invalid multinomial distribution (encountering probability entry < 0)"),
        ([_NAN, 1.0], True, 2, "invalid multinomial distribution (encountering probability entry < 0)"),
        ([_INF, 1.0], True, 2, "invalid multinomial distribution (encountering probability entry = infinity or NaN)"),
        ([[_INF, -1.0]], True, 3,
         "invalid multinomial distribution (encountering probability entry = infinity or NaN)"),
        ([[0.0, 0.0], [1.0, -1.0]], True, 3, "invalid multinomial distribution (sum of probabilities <= 0)"),
        ([[1.0, -1.0], [0.0, 0.0]], True, 3, "invalid multinomial distribution (encountering probability entry < 0)"),
        ([[1.0, 2.0], [3.0, _INF]], True, 3,
         "invalid multinomial distribution (encountering probability entry = infinity or NaN)"),
        ([[1.0, 2.0], [0.0, 0.0]], True, 3, "invalid multinomial distribution (sum of probabilities <= 0)"),
        ([0.0, 0.0], True, 2, "invalid multinomial distribution (sum of probabilities <= 0)"),
    ]
    for w, rep, n, msg in cases:
        assert _raises_runtime(lambda w=w, rep=rep, n=n: torch.multinomial(torch.tensor(w), n, replacement=rep)) \
            == msg, (w, rep, n)


def test_random_split_slices_integer_lengths_as_torch():
    def split(lengths):
        return [p.indices for p in random_split(range(3), lengths, generator=torch.Generator().manual_seed(0))]
    assert split([3, 0, 0]) == [[2, 0, 1], [], []]
    assert split([-1, 4]) == [[2, 0], [1]]  # torch checks only the sum
    assert split([4, -1]) == [[2, 0, 1], []]
    assert split([True, 2]) == [[2], [0, 1]]


# ------------------------------------------------------------------ seeds and generator states
def test_manual_seed_takes_int_of_its_argument_and_generator_manual_seed_a_python_int():
    assert torch.manual_seed(True).initial_seed() == 1
    assert torch.manual_seed(np.int64(5)).initial_seed() == 5
    assert torch.manual_seed(torch.tensor(3)).initial_seed() == 3
    assert torch.manual_seed("12").initial_seed() == 12
    assert torch.random.manual_seed(2.9).initial_seed() == 2
    assert torch.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1
    assert torch.Generator().manual_seed(-2 ** 63).initial_seed() == 2 ** 63
    for bad, name in ((1.5, "float"), ("a", "str"), (True, "bool"), (torch.tensor(3), "Tensor"), (None, "NoneType")):
        with pytest.raises(RuntimeError) as e:
            torch.Generator().manual_seed(bad)
        assert str(e.value) == f"manual_seed expected a long, but got {name}"
    with pytest.raises(TypeError, match="^an integer is required$"):
        torch.Generator().manual_seed(np.int64(7))
    for big in (2 ** 64, -2 ** 63 - 1):
        with pytest.raises(ValueError, match="^Overflow when unpacking long long$"):
            torch.manual_seed(big)
    with pytest.raises(ValueError, match="invalid literal for int"):
        torch.manual_seed("a")
    torch.manual_seed(0)


def test_set_rng_state_errors_are_torchs():
    with pytest.raises(TypeError, match="^RNG state must be a torch.ByteTensor$"):
        torch.set_rng_state(torch.zeros(3))
    with pytest.raises(TypeError, match="^expected a torch.ByteTensor, but got list$"):
        torch.Generator().set_state([1])
    for n in (3, 5048):  # (torch 2.13 refuses the legacy 5048-byte state too)
        with pytest.raises(RuntimeError) as e:
            torch.set_rng_state(torch.zeros(n, dtype=torch.uint8))
        assert str(e.value) == \
            f"Expected a CPUGeneratorImplState of size 5056 but found the input RNG state size to be {n}"


# ------------------------------------------------------------------ deterministic mode
@pytest.fixture
def deterministic():
    torch.use_deterministic_algorithms(True)
    yield
    torch.use_deterministic_algorithms(False)
    torch.utils.deterministic.fill_uninitialized_memory = True


def test_deterministic_mode_fills_uninitialized_tensors(deterministic):
    assert all(math.isnan(v) for v in torch.empty(3).tolist())
    assert all(math.isnan(v) for v in torch.empty(2, dtype=torch.float16).tolist())
    assert torch.empty(2, dtype=torch.int64).tolist() == [9223372036854775807] * 2
    assert torch.empty(2, dtype=torch.int32).tolist() == [2147483647] * 2
    assert torch.empty(2, dtype=torch.uint8).tolist() == [255] * 2
    assert torch.empty(2, dtype=torch.int8).tolist() == [127] * 2
    assert torch.empty(2, dtype=torch.bool).tolist() == [True, True]
    for t in (torch.empty_like(torch.ones(2)), torch.ones(1).new_empty(3), torch.empty_strided((2, 2), (1, 2)),
              torch.Tensor(2, 2), torch.ones(1).new(2), torch.empty(size=(2,))):
        assert all(math.isnan(v) for v in t.flatten().tolist())
    a = torch.ones(2)
    a.resize_(4)  # a new storage: its new part filled
    assert a.tolist()[:2] == [1.0, 1.0] and all(math.isnan(v) for v in a.tolist()[2:])
    b = torch.zeros(4)
    b.resize_(2)
    b.resize_(4)  # within the storage: nothing uninitialized
    assert b.tolist() == [0.0] * 4
    o = torch.zeros(2)
    r = torch.empty(3, out=o)
    assert r is o and o.shape == (3,) and all(math.isnan(v) for v in o.tolist())
    assert torch.utils.deterministic.fill_uninitialized_memory is True
    torch.utils.deterministic.fill_uninitialized_memory = False
    assert torch.empty(0).shape == (0,)
    with pytest.raises(RuntimeError, match="^expected a bool, but got int$"):
        torch.utils.deterministic.fill_uninitialized_memory = 1


def test_empty_out_resizes_out():
    o = torch.zeros(2)
    assert torch.empty(2, 3, out=o) is o and o.shape == (2, 3)
