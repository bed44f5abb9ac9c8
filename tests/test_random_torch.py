"""A seed gives torch's numbers on the CPU: the core's generator is torch's Mersenne Twister with torch's draws per
distribution (csrc/core/generator.h, csrc/cpu/random.cpp). Without PyTorch, numbers torch 2.13 printed for these
seeds; with PyTorch importable, a table of draws (factories, in-place samplers, nn.init, dropout, samplers, data
loading) compared value for value, and the generator state moved between the two libraries."""
import numpy as np
import pytest
import tinygrad_ext as torch

from oracle import needs_torch, real_torch


def test_known_torch_numbers():
    torch.manual_seed(0)
    np.testing.assert_array_equal(torch.randn(3).numpy(),
                                  np.float32([1.5409960746765137, -0.293428897857666, -2.1787893772125244]))
    np.testing.assert_array_equal(torch.rand(2).numpy(), np.float32([0.455627977848053, 0.6323062777519226]))
    assert torch.randint(0, 10, (3,)).tolist() == [1, 6, 6]
    assert torch.randperm(5).tolist() == [4, 3, 0, 1, 2]
    torch.manual_seed(0)
    np.testing.assert_array_equal(torch.nn.Linear(2, 1).weight.detach().numpy(),
                                  np.float32([[-0.005293981172144413, 0.37932288646698]]))
    torch.manual_seed(42)
    np.testing.assert_array_equal(torch.randn(2, 3, dtype=torch.float64).numpy(),
                                  [[0.33669035438385886, 0.1288094051365897, 0.23446236336153173],
                                   [0.2303330279146119, -1.1228563767381703, -0.18632829929177447]])
    torch.manual_seed(0)  # 16 and more: Box-Muller over blocks of 16 with torch's float log/sin/cos, the tail redrawn
    np.testing.assert_array_equal(torch.randn(20)[-3:].numpy(),
                                  np.float32([1.2590092420578003, 2.0049805641174316, 0.05373690277338028]))


def test_state_round_trip_and_errors():
    torch.manual_seed(3)
    state = torch.get_rng_state()
    assert state.dtype == torch.uint8 and state.shape == (5056,)
    a = torch.randn(3, dtype=torch.float64)  # leaves a cached second normal sample in the state
    mid = torch.get_rng_state()
    b = torch.randn(3, dtype=torch.float64)
    torch.set_rng_state(state)
    assert torch.equal(torch.randn(3, dtype=torch.float64), a)
    torch.set_rng_state(mid)
    assert torch.equal(torch.randn(3, dtype=torch.float64), b)
    assert torch.initial_seed() == 3
    bad = state.clone()
    bad[8] = 0  # 'left' 0 is no Mersenne Twister position
    with pytest.raises(RuntimeError, match="position"):
        torch.set_rng_state(bad)
    with pytest.raises(RuntimeError, match="5056"):
        torch.set_rng_state(torch.zeros(16, dtype=torch.uint8))


def test_generators_and_fork_rng_keep_streams_apart():
    torch.manual_seed(5)
    g = torch.Generator().manual_seed(5)
    assert torch.equal(torch.randn(7, generator=g), torch.randn(7))
    with torch.random.fork_rng():
        torch.rand(100)
    after = torch.rand(3)
    torch.manual_seed(5)
    torch.randn(7)
    assert torch.equal(torch.rand(3), after)
    assert g.initial_seed() == 5


_RATES = [0.0, 0.5, 1.0, 5.0, 9.99, 10.0, 30.0, 1e3, 1e-3]  # both of torch's Poisson methods
_ALPHAS = [0.0, 1e-5, 0.1, 0.5, 0.9999, 1.0, 2.0, 3.7, 10.0, 100.0]  # gamma: the alpha < 1 boost and without
# name -> draws made with library L after L.manual_seed(0)
CASES = {
    "randn small": lambda L: L.randn(3), "randn 17": lambda L: L.randn(17), "randn 100": lambda L: L.randn(100),
    "randn float64": lambda L: L.randn(37, dtype=L.float64), "rand float64": lambda L: L.rand(5, dtype=L.float64),
    "rand": lambda L: L.rand(50), "normal_ transposed": lambda L: L.empty(20, 3).t().normal_(),
    "uniform_ sliced": lambda L: L.empty(6, 8)[:, ::2].uniform_(),
    "rand float16": lambda L: L.rand(9, dtype=L.float16), "rand bfloat16": lambda L: L.rand(9, dtype=L.bfloat16),
    "randn float16": lambda L: L.randn(20, dtype=L.float16), "randn bfloat16": lambda L: L.randn(40, dtype=L.bfloat16),
    "randint": lambda L: L.randint(-5, 7, (20,)), "randint wide": lambda L: L.randint(0, 2 ** 40, (5,)),
    "randint int32": lambda L: L.randint(0, 100, (5,), dtype=L.int32),
    "randint float": lambda L: L.randint(0, 100, (5,), dtype=L.float32),
    "randperm": lambda L: L.randperm(30), "uniform_": lambda L: L.empty(30).uniform_(-2, 3),
    "uniform_ float64": lambda L: L.empty(30, dtype=L.float64).uniform_(-2, 3),
    "normal_": lambda L: L.empty(30).normal_(2, 0.5), "normal_ small": lambda L: L.empty(5).normal_(2, 0.5),
    "normal": lambda L: L.normal(1.0, 2.0, (5,)), "normal of tensors": lambda L: L.normal(L.zeros(20), L.ones(20)),
    "bernoulli": lambda L: L.bernoulli(L.full((30,), 0.3)),
    "bernoulli float64": lambda L: L.bernoulli(L.full((30,), 0.3, dtype=L.float64)),
    "bernoulli_": lambda L: L.empty(30).bernoulli_(0.3),
    "bernoulli_ tensor": lambda L: L.empty(30).bernoulli_(L.full((30,), 0.6)),
    "exponential_": lambda L: L.empty(10).exponential_(3), "cauchy_": lambda L: L.empty(10).cauchy_(),
    "log_normal_": lambda L: L.empty(10).log_normal_(), "geometric_": lambda L: L.empty(10).geometric_(0.2),
    "random_": lambda L: L.empty(5).random_(), "random_ int64": lambda L: L.empty(5, dtype=L.int64).random_(),
    "random_ to": lambda L: L.empty(5).random_(10),
    "random_ from to": lambda L: L.empty(5, dtype=L.int64).random_(3, 9),
    "random_ uint8": lambda L: L.empty(5, dtype=L.uint8).random_(),
    "random_ bool": lambda L: L.empty(5, dtype=L.bool).random_(),
    "multinomial 1": lambda L: L.multinomial(L.tensor([0.1, 0.2, 0.7]), 1),
    "multinomial": lambda L: L.multinomial(L.tensor([[0.1, 0.2, 0.3, 0.4], [1., 1., 1., 1.]]), 3),
    "multinomial replacement": lambda L: L.multinomial(L.tensor([0.1, 0.2, 0.7]), 10, replacement=True),
    "dropout": lambda L: L.nn.functional.dropout(L.ones(40), 0.4),
    "dropout2d": lambda L: L.nn.functional.dropout2d(L.ones(2, 6, 3, 3), 0.5),
    "Dropout": lambda L: L.nn.Dropout(0.2)(L.arange(30.)),
    "Linear": lambda L: L.cat([L.nn.Linear(5, 3).weight.flatten(), L.nn.Linear(5, 3).bias]),
    "Conv2d": lambda L: L.nn.Conv2d(3, 4, 3).weight.flatten()[:20],
    "LSTM": lambda L: L.nn.LSTM(4, 3).weight_hh_l0, "Embedding": lambda L: L.nn.Embedding(10, 3).weight,
    "xavier_uniform_": lambda L: L.nn.init.xavier_uniform_(L.empty(4, 5)),
    "kaiming_normal_": lambda L: L.nn.init.kaiming_normal_(L.empty(4, 5)),
    "trunc_normal_": lambda L: L.nn.init.trunc_normal_(L.empty(20)),
    "trunc_normal_ narrow": lambda L: L.nn.init.trunc_normal_(L.empty(20), a=1.0, b=3.0),
    "orthogonal_": lambda L: L.nn.init.orthogonal_(L.empty(3, 3)),
    "randn_like": lambda L: L.randn_like(L.zeros(4, 4)), "randint_like": lambda L: L.randint_like(L.zeros(4), 10),
    "a sequence": lambda L: L.cat([L.randn(3), L.rand(3), L.randn(5), L.randn(16)]),
    "Generator": lambda L: L.randn(5, generator=L.Generator().manual_seed(7)),
    "random_split": lambda L: L.tensor(L.utils.data.random_split(range(10), [7, 3])[0].indices),
    "RandomSampler": lambda L: L.tensor(list(L.utils.data.RandomSampler(range(10)))),
    "RandomSampler replacement": lambda L: L.tensor(list(L.utils.data.RandomSampler(range(10), True, 40))),
    "make_tensor": lambda L: L.testing.make_tensor((3, 4), device="cpu", dtype=L.float32, low=-1, high=1),
    "make_tensor int": lambda L: L.testing.make_tensor((5,), device="cpu", dtype=L.int64, exclude_zero=True),
    "make_tensor noncontiguous": lambda L: L.testing.make_tensor((2, 3), device="cpu", dtype=L.float64,
                                                                 noncontiguous=True),
    "DataLoader two epochs": lambda L: L.cat([b for _ in range(2) for b in
                                             L.utils.data.DataLoader(L.arange(10), batch_size=4, shuffle=True)]),
    "poisson": lambda L: L.poisson(L.tensor(_RATES * 4)),
    "poisson float64 then rand": lambda L: L.cat([L.poisson(L.tensor(_RATES, dtype=L.float64)), L.rand(3)]),
    "_standard_gamma": lambda L: L._standard_gamma(L.tensor(_ALPHAS * 4)),
    "_standard_gamma float64 strided": lambda L: L._standard_gamma(L.tensor([_ALPHAS] * 3, dtype=L.float64).t()),
    "_standard_gamma then randn": lambda L: L.cat([L._standard_gamma(L.tensor([0.3, 4.0])), L.randn(3)]),
    "_sample_dirichlet": lambda L: L._sample_dirichlet(L.tensor([[0.5, 1.0, 3.0], [0.01, 0.02, 0.03]])),
}
# orthogonal_: the same normal draws, then our QR (torch's is LAPACK's): equal to rounding
ULP_CASES = {"orthogonal_"}


@needs_torch
@pytest.mark.parametrize("name", list(CASES))
def test_same_numbers_as_torch(name):
    got = []
    for L in (real_torch, torch):
        L.manual_seed(0)
        with L.no_grad():
            got.append(np.asarray(CASES[name](L).detach().double().numpy()))
    want, ours = got
    assert ours.shape == want.shape
    if name in ULP_CASES:
        np.testing.assert_allclose(ours, want, rtol=3e-7, atol=1e-7)
    else:
        np.testing.assert_array_equal(ours, want)


@needs_torch
def test_states_move_between_the_libraries():
    real_torch.manual_seed(11)
    real_torch.randn(3, dtype=real_torch.float64)  # a cached normal in the state
    torch.set_rng_state(torch.tensor(real_torch.get_rng_state().numpy()))
    np.testing.assert_array_equal(torch.randn(5, dtype=torch.float64).numpy(),
                                  real_torch.randn(5, dtype=real_torch.float64).numpy())
    torch.manual_seed(12)
    torch.rand(700)  # past one twist of the state
    real_torch.set_rng_state(real_torch.from_numpy(torch.get_rng_state().numpy()))
    np.testing.assert_array_equal(torch.rand(9).numpy(), real_torch.rand(9).numpy())


def test_cuda_rng_functions():
    if not torch.cuda.is_available():
        with pytest.raises((AssertionError, RuntimeError)):
            torch.cuda.get_rng_state()
        return
    torch.cuda.manual_seed(9)
    state = torch.cuda.get_rng_state()
    assert state.dtype == torch.uint8 and state.shape == (16,) and torch.cuda.initial_seed() == 9
    a = torch.rand(5, device="cuda")
    torch.cuda.set_rng_state(state)
    assert torch.equal(torch.rand(5, device="cuda"), a)


def test_normal_of_a_mean_tensor_defaults_std_to_one():
    torch.manual_seed(0)
    got = torch.normal(mean=torch.arange(1., 6.))
    torch.manual_seed(0)
    np.testing.assert_array_equal(got.numpy(), (torch.randn(5) + torch.arange(1., 6.)).numpy())
