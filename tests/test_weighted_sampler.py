"""WeightedRandomSampler: index frequencies follow the weights (a chi-square bound), without replacement gives
distinct indices, zero weights are never drawn, works in a DataLoader; torch's argument errors."""
import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.utils.data import DataLoader, TensorDataset, WeightedRandomSampler


def test_frequencies_follow_the_weights():
    torch.manual_seed(0)
    w = np.array([1.0, 2.0, 3.0, 0.0, 4.0])
    n = 20000
    s = WeightedRandomSampler(w.tolist(), n)
    draws = list(s)
    assert len(s) == n and len(draws) == n and all(isinstance(i, int) for i in draws)
    counts = np.bincount(draws, minlength=5)
    assert counts[3] == 0
    expected = n * w / w.sum()
    chi2 = sum((counts[i] - expected[i]) ** 2 / expected[i] for i in (0, 1, 2, 4))
    assert chi2 < 16.3  # 3 degrees of freedom, p = 0.001


def test_without_replacement_and_tensor_weights():
    torch.manual_seed(1)
    s = WeightedRandomSampler(torch.tensor([1.0, 1.0, 5.0, 1.0]), 4, replacement=False)
    assert sorted(s) == [0, 1, 2, 3]
    assert s.weights.dtype == torch.float64 and s.weights.tolist() == [1.0, 1.0, 5.0, 1.0]
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size\\(-1\\) samples without"):
        list(WeightedRandomSampler([1, 2], 3, replacement=False))


def test_in_a_dataloader():
    torch.manual_seed(2)
    ds = TensorDataset(torch.arange(4))
    loader = DataLoader(ds, batch_size=5, sampler=WeightedRandomSampler([0, 0, 1, 0], 10))
    batches = [b[0].tolist() for b in loader]
    assert batches == [[2] * 5, [2] * 5]


@pytest.mark.parametrize("num_samples", [0, 2.0, True, -1])
def test_bad_num_samples(num_samples):
    with pytest.raises(ValueError, match=f"num_samples should be a positive integer value, but got "
                                         f"num_samples={num_samples}"):
        WeightedRandomSampler([1, 2], num_samples)


def test_bad_arguments():
    with pytest.raises(ValueError, match="replacement should be a boolean value, but got replacement=1"):
        WeightedRandomSampler([1, 2], 3, replacement=1)
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights have shape \(1, 2\)"):
        WeightedRandomSampler([[1, 2]], 3)
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None"):
        WeightedRandomSampler([1, 2], 3, generator=5)
