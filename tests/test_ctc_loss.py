"""nn.functional.ctc_loss and nn.CTCLoss against a float64 numpy reference that sums over every alignment
(brute force, independent of the kernel's alpha-beta recursion), its gradient by central differences, and
torch's errors for bad inputs."""
import itertools

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from oracle import central_difference


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


def ref_nll(lp, target, blank):
    """-log sum over the paths of lp (T, C) that collapse to target of exp(sum of their log-probabilities)."""
    T, C = lp.shape
    scores = [sum(lp[t, c] for t, c in enumerate(path)) for path in itertools.product(range(C), repeat=T)
              if collapse(path, blank) == list(target)]
    if not scores:
        return np.inf
    m = max(scores)
    return -(m + np.log(np.sum(np.exp(np.array(scores) - m))))


def ref_loss(lp, targets, input_lengths, target_lengths, blank, reduction, zero_infinity=False):
    """lp (T, N, C); targets padded (N, S)."""
    nll = np.array([ref_nll(lp[:input_lengths[n], n], targets[n][:target_lengths[n]], blank)
                    for n in range(lp.shape[1])])
    if zero_infinity:
        nll = np.where(np.isinf(nll), 0.0, nll)
    if reduction == "mean":
        return (nll / np.maximum(np.array(target_lengths), 1)).mean()
    return nll.sum() if reduction == "sum" else nll


T, N, C = 5, 3, 3
TARGETS = np.array([[1, 2, 0], [2, 2, 0], [1, 0, 0]])  # padded; sample 1 needs a blank between its 2s
TARGET_LENGTHS = [2, 2, 1]
INPUT_LENGTHS = [5, 4, 3]


def logits(seed=0, shape=(T, N, C)):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("blank", [0, 2])
def test_value_and_gradient_through_log_softmax(reduction, blank):
    x = logits(1)
    targets = np.where(TARGETS == blank, (blank + 1) % C, TARGETS)
    expect = ref_loss(log_softmax(x), targets, INPUT_LENGTHS, TARGET_LENGTHS, blank, reduction)
    xt = torch.tensor(x, requires_grad=True)
    loss = F.ctc_loss(xt.log_softmax(2), torch.tensor(targets), torch.tensor(INPUT_LENGTHS),
                      torch.tensor(TARGET_LENGTHS), blank=blank, reduction=reduction)
    np.testing.assert_allclose(loss.detach().numpy(), expect, rtol=1e-10)
    loss.sum().backward()
    numeric = central_difference(lambda v: ref_loss(log_softmax(v), targets, INPUT_LENGTHS, TARGET_LENGTHS, blank,
                                              reduction).sum(), x)
    np.testing.assert_allclose(xt.grad.numpy(), numeric, rtol=1e-5, atol=1e-7)


def test_log_probs_grad_is_torchs_form():
    """torch's gradient with respect to log_probs: exp(lp) + d nll / d lp inside each sample's length, 0 after."""
    lp = log_softmax(logits(2))
    lpt = torch.tensor(lp, requires_grad=True)
    F.ctc_loss(lpt, torch.tensor(TARGETS), INPUT_LENGTHS, TARGET_LENGTHS, reduction="sum").backward()
    expect = (central_difference(lambda v: ref_loss(v, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, 0, "sum"), lp)
              + np.exp(lp))
    for n, length in enumerate(INPUT_LENGTHS):
        expect[length:, n] = 0
    np.testing.assert_allclose(lpt.grad.numpy(), expect, rtol=1e-5, atol=1e-7)


def test_float32_concatenated_targets_and_tuple_lengths():
    x = logits(3)
    lp = log_softmax(x)
    flat = np.concatenate([TARGETS[n, :TARGET_LENGTHS[n]] for n in range(N)])
    loss = F.ctc_loss(torch.tensor(lp, dtype=torch.float32), torch.tensor(flat), tuple(INPUT_LENGTHS),
                      tuple(TARGET_LENGTHS), reduction="none")
    assert loss.dtype == torch.float32 and loss.shape == (N,)
    np.testing.assert_allclose(loss.numpy(), ref_loss(lp, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, 0, "none"),
                               rtol=1e-5)
    int32 = F.ctc_loss(torch.tensor(lp), torch.tensor(TARGETS, dtype=torch.int32),
                       torch.tensor(INPUT_LENGTHS, dtype=torch.int32), list(TARGET_LENGTHS), reduction="none")
    np.testing.assert_allclose(int32.numpy(), loss.numpy(), rtol=1e-5)


def test_unbatched():
    lp = log_softmax(logits(4, (T, C)))
    loss = F.ctc_loss(torch.tensor(lp), torch.tensor([1, 2]), torch.tensor(T), torch.tensor(2), reduction="none")
    assert loss.shape == ()
    np.testing.assert_allclose(loss.item(), ref_nll(lp, [1, 2], 0), rtol=1e-10)
    mean = F.ctc_loss(torch.tensor(lp), torch.tensor([1, 2]), (T,), (2,))
    np.testing.assert_allclose(mean.item(), ref_nll(lp, [1, 2], 0) / 2, rtol=1e-10)


def test_impossible_alignment_and_zero_infinity():
    lp = log_softmax(logits(5))
    short = [5, 2, 3]  # sample 1 needs 3 steps for "2 blank 2"
    none = F.ctc_loss(torch.tensor(lp), torch.tensor(TARGETS), short, TARGET_LENGTHS, reduction="none")
    assert np.isinf(none.numpy()[1]) and np.isfinite(none.numpy()[[0, 2]]).all()
    x = torch.tensor(lp, requires_grad=True)
    loss = F.ctc_loss(x, torch.tensor(TARGETS), short, TARGET_LENGTHS, reduction="sum", zero_infinity=True)
    np.testing.assert_allclose(loss.item(), ref_loss(lp, TARGETS, short, TARGET_LENGTHS, 0, "sum", True),
                               rtol=1e-10)
    loss.backward()
    assert (x.grad.numpy()[:, 1] == 0).all() and np.abs(x.grad.numpy()[:, 0]).sum() > 0


def test_empty_target_and_zero_length_input():
    lp = log_softmax(logits(6))
    loss = F.ctc_loss(torch.tensor(lp), torch.tensor(TARGETS), [5, 0, 0], [0, 0, 1], reduction="none").numpy()
    np.testing.assert_allclose(loss[0], -lp[:, 0, 0].sum(), rtol=1e-10)  # all blanks
    assert loss[1] == 0 and np.isinf(loss[2])


def test_module():
    lp = log_softmax(logits(7))
    m = torch.nn.CTCLoss(blank=0, reduction="sum")
    got = m(torch.tensor(lp), torch.tensor(TARGETS), torch.tensor(INPUT_LENGTHS), torch.tensor(TARGET_LENGTHS))
    np.testing.assert_allclose(got.item(), ref_loss(lp, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, 0, "sum"),
                               rtol=1e-10)
    assert repr(torch.nn.CTCLoss()) == "CTCLoss()"
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        torch.nn.CTCLoss(reduction="avg")


def test_matches_torch_when_installed():
    real = pytest.importorskip("torch")
    if real is torch:
        pytest.skip("torch is tinygrad_ext here")
    x = logits(8, (12, 4, 6))
    targets = np.random.default_rng(8).integers(1, 6, (4, 5))
    il, tl = [12, 10, 7, 3], [5, 3, 4, 2]
    for reduction in ("none", "mean"):
        xr = real.tensor(x, requires_grad=True)
        a = real.nn.functional.ctc_loss(xr.log_softmax(2), real.tensor(targets), il, tl, reduction=reduction,
                                        zero_infinity=True)
        xt = torch.tensor(x, requires_grad=True)
        b = F.ctc_loss(xt.log_softmax(2), torch.tensor(targets), il, tl, reduction=reduction, zero_infinity=True)
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), rtol=1e-8, atol=1e-12)


def call(**changes):
    args = dict(log_probs=torch.tensor(log_softmax(logits(9))), targets=torch.tensor(TARGETS),
                input_lengths=torch.tensor(INPUT_LENGTHS), target_lengths=torch.tensor(TARGET_LENGTHS))
    args.update(changes)
    return F.ctc_loss(**args)


@pytest.mark.parametrize("changes, exc, match", [
    (dict(blank=3), RuntimeError, "blank must be in label range"),
    (dict(blank=-1), RuntimeError, "blank must be in label range"),
    (dict(reduction="foo"), ValueError, "foo is not a valid value for reduction"),
    (dict(input_lengths=torch.tensor([5, 4])), RuntimeError, "input_lengths must be of size batch_size"),
    (dict(target_lengths=(2, 2)), RuntimeError, "target_lengths must be of size batch_size"),
    (dict(input_lengths=torch.tensor([6, 4, 3])), RuntimeError, "input_lengths to have value at most 5"),
    (dict(input_lengths=torch.tensor([-1, 4, 3])), RuntimeError, "input_lengths to have value at least 0"),
    (dict(target_lengths=torch.tensor([2, -1, 1])), RuntimeError, "target_lengths to have value at least 0"),
    (dict(target_lengths=torch.tensor([4, 2, 1])), RuntimeError, "to have size at least 4 at dimension 1"),
    (dict(targets=torch.tensor([1, 2, 2, 2])), RuntimeError, "to have size 5 at dimension 0"),
    (dict(input_lengths=torch.tensor([5.0, 4, 3])), RuntimeError, "input_lengths must be integral"),
    (dict(input_lengths=5), TypeError, "input_lengths"),
    (dict(targets=torch.tensor([[1, 3, 0], [2, 2, 0], [1, 0, 0]])), IndexError, "target 3 of sample 0"),
    (dict(log_probs=torch.zeros(T, N, C, dtype=torch.int32)), NotImplementedError, "ctc_loss_cpu"),
])
def test_bad_inputs(changes, exc, match):
    with pytest.raises(exc, match=match):
        call(**changes)
