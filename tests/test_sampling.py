"""bernoulli and multinomial: the drawn frequencies against the distributions (fixed seeds, bounds of about
five standard errors), shapes and dtypes, and torch's errors."""
import numpy as np
import pytest
import tinygrad_ext as torch

from oracle import check_raises


def _freq(samples, n):
    return np.bincount(samples.numpy().ravel(), minlength=n) / samples.numel()


def test_bernoulli_frequencies_dtype_and_zero_gradient():
    torch.manual_seed(0)
    p = torch.tensor([0.0, 0.25, 0.5, 1.0], dtype=torch.float64).repeat(20000).reshape(20000, 4)
    p.requires_grad_()
    b = torch.bernoulli(p)
    assert b.dtype == torch.float64 and b.shape == p.shape and b.requires_grad
    np.testing.assert_allclose(b.detach().numpy().mean(0), [0, 0.25, 0.5, 1], atol=0.02)
    assert set(np.unique(b.detach().numpy())) <= {0.0, 1.0}
    b.sum().backward()
    assert p.grad.abs().sum().item() == 0  # torch's: differentiable with a zero gradient
    q = torch.full((40000,), 0.3).bernoulli(0.8)  # the overload with one p
    assert q.dtype == torch.float32 and abs(q.mean().item() - 0.8) < 0.02
    assert abs(torch.full((40000,), 0.3).bernoulli().mean().item() - 0.3) < 0.02


def test_bernoulli_errors():
    check_raises(lambda: torch.bernoulli(torch.tensor([0, 1])), NotImplementedError,
                 "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'")
    check_raises(lambda: torch.bernoulli(torch.tensor([0.0, 1.5])), RuntimeError, "p_in >= 0 && p_in <= 1")


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_one_draw_per_row_follows_the_weights(replacement):
    torch.manual_seed(1)
    w = torch.tensor([0.0, 2.0, 1.0, 5.0])  # unnormalized; a zero weight is never drawn first
    rows = w.expand(30000, 4).contiguous()
    s = torch.multinomial(rows, 1, replacement)
    assert s.shape == (30000, 1) and s.dtype == torch.int64
    np.testing.assert_allclose(_freq(s, 4), w.numpy() / 8, atol=0.015)


def test_multinomial_with_replacement_many_draws():
    torch.manual_seed(2)
    p = torch.tensor([0.1, 0.0, 0.6, 0.3], dtype=torch.float64)
    s = torch.multinomial(p, 50000, replacement=True)
    assert s.shape == (50000,)
    np.testing.assert_allclose(_freq(s, 4), p.numpy(), atol=0.01)
    assert p.multinomial(3, True).shape == (3,)


def test_multinomial_without_replacement_is_sequential_drawing():
    torch.manual_seed(3)
    p = np.array([0.1, 0.5, 0.4])
    s = torch.multinomial(torch.tensor(p).expand(30000, 3).contiguous(), 3)
    assert all(sorted(r) == [0, 1, 2] for r in s.numpy()[:100])  # each row a permutation
    # the second pick: P(j) = sum_i p_i p_j / (1 - p_i) over i != j
    second = [sum(p[i] * p[j] / (1 - p[i]) for i in range(3) if i != j) for j in range(3)]
    np.testing.assert_allclose(_freq(s[:, 1], 3), second, atol=0.015)
    assert torch.multinomial(torch.tensor([0.0, 1.0, 2.0]), 3)[2].item() == 0  # zero weights come last


def test_multinomial_shapes_and_errors():
    assert torch.multinomial(torch.ones(0, 3), 2).shape == (0, 2)
    check_raises(lambda: torch.multinomial(torch.tensor([1, 2]), 1), RuntimeError,
                 "multinomial only supports floating-point dtypes for input, got: Long")
    check_raises(lambda: torch.multinomial(torch.tensor(1.0), 1), RuntimeError, "prob_dist must be 1 or 2 dim")
    check_raises(lambda: torch.multinomial(torch.ones(3), 0), RuntimeError, "cannot sample n_sample <= 0 samples")
    check_raises(lambda: torch.multinomial(torch.ones(3), 4), RuntimeError,
                 "cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    for bad in ([-1.0, 1.0], [0.0, float("nan")], [1.0, float("inf")]):
        check_raises(lambda: torch.multinomial(torch.tensor(bad), 1), RuntimeError,
                     "probability tensor contains either `inf`, `nan` or element < 0")
    check_raises(lambda: torch.multinomial(torch.zeros(2, 3), 1), RuntimeError,
                 "invalid multinomial distribution (sum of probabilities <= 0)")
