"""TripletMarginWithDistanceLoss / F.triplet_margin_with_distance_loss and NLLLoss2d, as torch's."""
import numpy as np
import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from tinygrad_ext import nn

rng = np.random.default_rng(0)
A, P, N = (rng.standard_normal((5, 4)) for _ in range(3))


def _reference(a, p, n, distance, margin, swap, reduction):
    d_an = distance(a, n)
    if swap:
        d_an = np.minimum(d_an, distance(p, n))
    loss = np.maximum(margin + distance(a, p) - d_an, 0)
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


def _euclid(x, y):
    return np.sqrt(((x - y + 1e-6) ** 2).sum(-1))


def _cosine_distance(x, y):
    return 1 - (x * y).sum(-1) / (np.linalg.norm(x, axis=-1) * np.linalg.norm(y, axis=-1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("swap", [False, True])
def test_default_distance_is_pairwise_distance(reduction, swap):
    a, p, n = (torch.tensor(v) for v in (A, P, N))
    got = F.triplet_margin_with_distance_loss(a, p, n, margin=0.5, swap=swap, reduction=reduction)
    np.testing.assert_allclose(got.numpy(), _reference(A, P, N, _euclid, 0.5, swap, reduction), rtol=1e-12)


def test_custom_distance_value_and_gradient():
    a, p, n = (torch.tensor(v, requires_grad=True) for v in (A, P, N))
    loss_fn = nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: 1.0 - F.cosine_similarity(x, y),
                                               margin=2.0)
    np.testing.assert_allclose(loss_fn(a, p, n).item(), _reference(A, P, N, _cosine_distance, 2.0, False, "mean"),
                               rtol=1e-10)
    assert torch.autograd.gradcheck(lambda x, y, z: loss_fn(x, y, z), (a, p, n))


def test_the_same_as_triplet_margin_loss_with_its_distance():
    a, p, n = (torch.tensor(v) for v in (A, P, N))
    torch.testing.assert_close(nn.TripletMarginWithDistanceLoss(swap=True)(a, p, n),
                               nn.TripletMarginLoss(swap=True)(a, p, n))


def test_bad_arguments_raise_torchs_errors():
    a = torch.ones(2, 3)
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_with_distance_loss(a, a, a, margin=0)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin to be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError, match="bogus is not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(a, a, a, reduction="bogus")
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D"):
        F.triplet_margin_with_distance_loss(a, torch.ones(3), a)


def test_nll_loss_2d_is_nll_loss():
    x = torch.tensor(rng.standard_normal((2, 3, 4, 4))).log_softmax(1)
    t = torch.tensor(rng.integers(0, 3, (2, 4, 4)))
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        loss_2d = nn.NLLLoss2d(reduction="sum")
    assert isinstance(loss_2d, nn.NLLLoss)
    torch.testing.assert_close(loss_2d(x, t), nn.NLLLoss(reduction="sum")(x, t))
