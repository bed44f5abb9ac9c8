"""Seeded model construction and seeded training give torch's numbers: after manual_seed the library's Python makes
the same draws, in the same order and dtype, as torch's Python (module initialisation, nn.init, dropout, samplers,
data loading, distributions), so every state_dict entry and every loss equals torch's. Skipped without PyTorch."""
import inspect

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.vision import transforms

try:
    import torch as real_torch
    from torch.nn.utils import prune as _torch_prune  # noqa: F401 (torch does not import it by itself)
except ImportError:
    real_torch = None
try:
    import torchvision
except ImportError:
    torchvision = None
pytestmark = [pytest.mark.skipif(real_torch is None, reason="PyTorch is not installed"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor", "ignore:`NLLLoss2d` has been deprecated",
                                         "ignore:Singular sample detected")]

# class name -> {label: build(L)}: every nn class with parameters or buffers, built after L.manual_seed(0)
MODULES = {
    "Linear": {"": lambda L: L.nn.Linear(5, 3), "no bias": lambda L: L.nn.Linear(5, 3, bias=False)},
    "Bilinear": {"": lambda L: L.nn.Bilinear(3, 4, 5)},
    "LazyLinear": {"": lambda L: _called(L.nn.LazyLinear(3), L.zeros(2, 4))},
    "Conv1d": {"": lambda L: L.nn.Conv1d(3, 4, 3), "groups": lambda L: L.nn.Conv1d(4, 6, 2, groups=2)},
    "Conv2d": {"": lambda L: L.nn.Conv2d(3, 4, 3), "no bias": lambda L: L.nn.Conv2d(2, 3, (2, 3), bias=False)},
    "Conv3d": {"": lambda L: L.nn.Conv3d(2, 3, 2)},
    "ConvTranspose1d": {"": lambda L: L.nn.ConvTranspose1d(3, 4, 3)},
    "ConvTranspose2d": {"": lambda L: L.nn.ConvTranspose2d(4, 2, 3, groups=2)},
    "ConvTranspose3d": {"": lambda L: L.nn.ConvTranspose3d(2, 3, 2)},
    "LazyConv1d": {"": lambda L: _called(L.nn.LazyConv1d(4, 3), L.zeros(1, 3, 8))},
    "LazyConv2d": {"": lambda L: _called(L.nn.LazyConv2d(4, 3), L.zeros(1, 3, 8, 8))},
    "LazyConv3d": {"": lambda L: _called(L.nn.LazyConv3d(2, 2), L.zeros(1, 2, 4, 4, 4))},
    "LazyConvTranspose1d": {"": lambda L: _called(L.nn.LazyConvTranspose1d(4, 3), L.zeros(1, 3, 8))},
    "LazyConvTranspose2d": {"": lambda L: _called(L.nn.LazyConvTranspose2d(4, 3), L.zeros(1, 3, 5, 5))},
    "LazyConvTranspose3d": {"": lambda L: _called(L.nn.LazyConvTranspose3d(2, 2), L.zeros(1, 2, 3, 3, 3))},
    "Embedding": {"": lambda L: L.nn.Embedding(10, 3), "padding_idx": lambda L: L.nn.Embedding(10, 3, padding_idx=2)},
    "EmbeddingBag": {"": lambda L: L.nn.EmbeddingBag(10, 3),
                     "padding_idx": lambda L: L.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=1)},
    "RNN": {"": lambda L: L.nn.RNN(4, 3, num_layers=2, bidirectional=True),
            "relu no bias": lambda L: L.nn.RNN(4, 3, nonlinearity="relu", bias=False)},
    "LSTM": {"": lambda L: L.nn.LSTM(4, 3, num_layers=2, bidirectional=True),
             "proj_size": lambda L: L.nn.LSTM(4, 5, num_layers=2, proj_size=2, bidirectional=True)},
    "GRU": {"": lambda L: L.nn.GRU(4, 3, num_layers=2, bidirectional=True, batch_first=True)},
    "RNNCell": {"": lambda L: L.nn.RNNCell(4, 3)},
    "LSTMCell": {"": lambda L: L.nn.LSTMCell(4, 3)},
    "GRUCell": {"": lambda L: L.nn.GRUCell(4, 3, bias=False)},
    "MultiheadAttention": {"": lambda L: L.nn.MultiheadAttention(8, 2),
                           "kdim vdim": lambda L: L.nn.MultiheadAttention(8, 2, kdim=5, vdim=6),
                           "bias_k": lambda L: L.nn.MultiheadAttention(8, 2, add_bias_kv=True),
                           "kdim bias_k": lambda L: L.nn.MultiheadAttention(8, 4, kdim=3, vdim=3, add_bias_kv=True),
                           "no bias": lambda L: L.nn.MultiheadAttention(8, 2, bias=False)},
    "TransformerEncoderLayer": {"": lambda L: L.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)},
    "TransformerDecoderLayer": {"": lambda L: L.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)},
    "TransformerEncoder": {"": lambda L: L.nn.TransformerEncoder(
        L.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), 2, enable_nested_tensor=False)},
    "TransformerDecoder": {"": lambda L: L.nn.TransformerDecoder(
        L.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16), 2)},
    "Transformer": {"": lambda L: L.nn.Transformer(8, 2, 1, 1, 16)},
    "BatchNorm1d": {"": lambda L: L.nn.BatchNorm1d(4)},
    "BatchNorm2d": {"": lambda L: L.nn.BatchNorm2d(4, affine=False)},
    "BatchNorm3d": {"": lambda L: L.nn.BatchNorm3d(4)},
    "LazyBatchNorm1d": {"": lambda L: _called(L.nn.LazyBatchNorm1d(), L.ones(2, 3))},
    "LazyBatchNorm2d": {"": lambda L: _called(L.nn.LazyBatchNorm2d(), L.ones(2, 3, 2, 2))},
    "LazyBatchNorm3d": {"": lambda L: _called(L.nn.LazyBatchNorm3d(), L.ones(2, 3, 2, 2, 2))},
    "SyncBatchNorm": {"": lambda L: L.nn.SyncBatchNorm(4)},
    "InstanceNorm1d": {"": lambda L: L.nn.InstanceNorm1d(4, affine=True, track_running_stats=True)},
    "InstanceNorm2d": {"": lambda L: L.nn.InstanceNorm2d(4, affine=True)},
    "InstanceNorm3d": {"": lambda L: L.nn.InstanceNorm3d(4, affine=True)},
    "LazyInstanceNorm1d": {"": lambda L: _called(L.nn.LazyInstanceNorm1d(affine=True), L.ones(2, 3, 4))},
    "LazyInstanceNorm2d": {"": lambda L: _called(L.nn.LazyInstanceNorm2d(affine=True), L.ones(2, 3, 4, 4))},
    "LazyInstanceNorm3d": {"": lambda L: _called(L.nn.LazyInstanceNorm3d(affine=True), L.ones(2, 3, 2, 2, 2))},
    "LayerNorm": {"": lambda L: L.nn.LayerNorm([3, 4])},
    "GroupNorm": {"": lambda L: L.nn.GroupNorm(2, 4)},
    "RMSNorm": {"": lambda L: L.nn.RMSNorm(4)},
    "PReLU": {"": lambda L: L.nn.PReLU(3, init=0.1)},
    "AdaptiveLogSoftmaxWithLoss": {"": lambda L: L.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 12], div_value=2.0),
                                   "head_bias": lambda L: L.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5], head_bias=True)},
    "float64": {"Linear": lambda L: L.nn.Linear(5, 3, dtype=L.float64),
                "Conv2d": lambda L: L.nn.Conv2d(2, 3, 2, dtype=L.float64),
                "LSTM": lambda L: L.nn.LSTM(3, 4, dtype=L.float64),
                "Embedding": lambda L: L.nn.Embedding(9, 2, dtype=L.float64),
                "MultiheadAttention": lambda L: L.nn.MultiheadAttention(4, 2, add_bias_kv=True, dtype=L.float64)},
    "bfloat16": {"Linear": lambda L: L.nn.Linear(5, 3, dtype=L.bfloat16),
                 "Embedding": lambda L: L.nn.Embedding(9, 3, dtype=L.bfloat16),
                 "GRU": lambda L: L.nn.GRU(3, 2, dtype=L.bfloat16)},
    "variants": {"Transformer norm_first": lambda L: L.nn.Transformer(4, 2, 1, 2, 8, norm_first=True, bias=False),
                 "TransformerEncoderLayer gelu batch_first": lambda L: L.nn.TransformerEncoderLayer(
                     4, 1, 8, activation="gelu", batch_first=True),
                 "MultiheadAttention batch_first": lambda L: L.nn.MultiheadAttention(6, 3, batch_first=True),
                 "Conv2d circular": lambda L: L.nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular"),
                 "Embedding max_norm": lambda L: L.nn.Embedding(5, 2, max_norm=1.0),
                 "Embedding big": lambda L: L.nn.Embedding(40, 8),
                 "Linear big": lambda L: L.nn.Linear(64, 40),
                 "LSTM big": lambda L: L.nn.LSTM(20, 30, 2),
                 "Sequential mixed": lambda L: _called(L.nn.Sequential(L.nn.Conv2d(1, 4, 3), L.nn.BatchNorm2d(4),
                                                          L.nn.Flatten(), L.nn.LazyLinear(2)), L.ones(2, 1, 5, 5)),
                 "Bilinear no bias": lambda L: L.nn.Bilinear(2, 3, 4, bias=False)},
    # classes whose parameters or buffers are optional
    "CrossEntropyLoss": {"weight": lambda L: L.nn.CrossEntropyLoss(weight=L.ones(3))},
    "NLLLoss": {"weight": lambda L: L.nn.NLLLoss(weight=L.ones(3))},
    "NLLLoss2d": {"weight": lambda L: L.nn.NLLLoss2d(weight=L.ones(3))},
    "BCELoss": {"weight": lambda L: L.nn.BCELoss(weight=L.ones(3))},
    "BCEWithLogitsLoss": {"pos_weight": lambda L: L.nn.BCEWithLogitsLoss(weight=L.ones(3), pos_weight=L.ones(3))},
    "MultiMarginLoss": {"weight": lambda L: L.nn.MultiMarginLoss(weight=L.ones(3))},
    "MultiLabelSoftMarginLoss": {"weight": lambda L: L.nn.MultiLabelSoftMarginLoss(weight=L.ones(3))},
    "ParameterList": {"": lambda L: L.nn.ParameterList([L.nn.Parameter(L.randn(3))])},
    "ParameterDict": {"": lambda L: L.nn.ParameterDict({"a": L.nn.Parameter(L.randn(3))})},
    "Sequential": {"": lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2))},
    "ModuleList": {"": lambda L: L.nn.ModuleList([L.nn.Conv1d(2, 2, 1), L.nn.LSTMCell(2, 2)])},
    "ModuleDict": {"": lambda L: L.nn.ModuleDict({"a": L.nn.Embedding(4, 2), "b": L.nn.GRUCell(2, 2)})},
    "DataParallel": {"": lambda L: L.nn.DataParallel(L.nn.Linear(3, 2))},
}
# built with a forward pass whose batch statistics (BatchNorm's running stats) round differently from torch's
ULP_MODULES = {"Sequential mixed"}
# torch.nn classes without randomly initialised state (checked below: those built without arguments hold none)
NO_STATE = {"Module", "RNNBase", "RNNCellBase", "Container", "CrossMapLRN2d", "LinearCrossEntropyLoss"}


def _called(module, x):
    module(x)
    return module


def _state(L, build):
    L.manual_seed(0)
    with L.no_grad():
        module = build(L)
    return {k: np.asarray(v.detach().double().numpy()) for k, v in module.state_dict().items()}


def _assert_same(ours, want, ulp=False):
    ours, want = np.asarray(ours), np.asarray(want)
    assert ours.shape == want.shape
    if ulp:
        np.testing.assert_allclose(ours, want, rtol=3e-7, atol=1e-7)
    else:
        np.testing.assert_array_equal(ours, want)


@pytest.mark.parametrize("name,label", [(n, label) for n, cases in MODULES.items() for label in cases])
def test_module_state_dict_matches_torch(name, label):
    build = MODULES[name][label]
    want, ours = _state(real_torch, build), _state(torch, build)
    assert list(ours) == list(want)
    assert want, f"{name} {label}: no state to compare"
    for key in want:
        _assert_same(ours[key], want[key], ulp=label in ULP_MODULES)


def test_every_nn_class_with_state_is_covered():
    classes = [n for n, c in vars(real_torch.nn).items() if inspect.isclass(c) and issubclass(c, real_torch.nn.Module)]
    uncovered = []
    for name in classes:
        if name in MODULES or name in NO_STATE:
            continue
        try:
            module = getattr(real_torch.nn, name)()
        except TypeError:  # needs arguments (pools, pads, ...): none of these hold state
            if any(p in inspect.signature(getattr(real_torch.nn, name)).parameters
                   for p in ("num_features", "in_features", "num_embeddings", "embed_dim", "input_size")):
                uncovered.append(name)
            continue
        if module.state_dict():
            uncovered.append(name)
    assert not uncovered, f"nn classes with state missing from MODULES: {uncovered}"


def _init(fn, *shape, **kw):
    return lambda L: getattr(L.nn.init, fn)(L.empty(*shape), **kw)


def _init_gen(fn, *shape, **kw):  # the global stream is reseeded too: a draw from it instead of g shows
    return lambda L: L.cat([getattr(L.nn.init, fn)(L.empty(*shape), generator=L.Generator().manual_seed(3),
                                                   **kw).flatten(), L.rand(2)])


INITS = {
    "uniform_": _init("uniform_", 5, 4, a=-1, b=2), "normal_": _init("normal_", 5, 3, mean=1, std=2),
    "xavier_uniform_": _init("xavier_uniform_", 4, 5, gain=2.0), "xavier_normal_": _init("xavier_normal_", 4, 3),
    "xavier_uniform_ conv": _init("xavier_uniform_", 4, 3, 2, 2),
    "kaiming_uniform_": _init("kaiming_uniform_", 4, 5),
    "kaiming_uniform_ fan_out relu": _init("kaiming_uniform_", 4, 5, mode="fan_out", nonlinearity="relu"),
    "kaiming_uniform_ a": _init("kaiming_uniform_", 4, 5, a=5 ** 0.5),
    "kaiming_normal_": _init("kaiming_normal_", 4, 3), "kaiming_normal_ big": _init("kaiming_normal_", 8, 5),
    "kaiming_normal_ fan_out tanh": _init("kaiming_normal_", 3, 4, mode="fan_out", nonlinearity="tanh"),
    "kaiming_normal_ selu": _init("kaiming_normal_", 3, 4, nonlinearity="selu"),
    "trunc_normal_": _init("trunc_normal_", 30), "trunc_normal_ small": _init("trunc_normal_", 7, std=0.5),
    "trunc_normal_ narrow": _init("trunc_normal_", 25, a=1.0, b=3.0),
    "orthogonal_": _init("orthogonal_", 3, 5), "orthogonal_ tall": _init("orthogonal_", 6, 2, gain=2),
    "orthogonal_ conv": _init("orthogonal_", 2, 3, 2), "sparse_": _init("sparse_", 6, 4, sparsity=0.5),
    "kaiming_uniform_ float64": lambda L: L.nn.init.kaiming_uniform_(L.empty(4, 5, dtype=L.float64)),
    "normal_ float64": lambda L: L.nn.init.normal_(L.empty(40, dtype=L.float64)),
    "trunc_normal_ float64": lambda L: L.nn.init.trunc_normal_(L.empty(30, dtype=L.float64), std=2.0),
    "xavier_normal_ transposed": lambda L: L.nn.init.xavier_normal_(L.empty(20, 3).t()),
    "orthogonal_ float64": lambda L: L.nn.init.orthogonal_(L.empty(4, 3, dtype=L.float64)),
    "uniform_ bfloat16": lambda L: L.nn.init.uniform_(L.empty(9, dtype=L.bfloat16), -1, 1),
    "trunc_normal_ transposed": lambda L: L.nn.init.trunc_normal_(L.empty(6, 4).t(), a=-0.5, b=0.5),
    "trunc_normal_ narrow transposed": lambda L: L.nn.init.trunc_normal_(L.empty(6, 4).t(), a=1.0, b=2.0),
    "eye_": _init("eye_", 3, 4), "dirac_": _init("dirac_", 4, 2, 3, groups=2),
    "uniform_ generator": _init_gen("uniform_", 5), "normal_ generator": _init_gen("normal_", 5),
    "xavier_uniform_ generator": _init_gen("xavier_uniform_", 3, 4),
    "xavier_normal_ generator": _init_gen("xavier_normal_", 3, 4),
    "kaiming_uniform_ generator": _init_gen("kaiming_uniform_", 3, 4),
    "kaiming_normal_ generator": _init_gen("kaiming_normal_", 3, 4),
    "trunc_normal_ generator": _init_gen("trunc_normal_", 9),
    "trunc_normal_ narrow generator": _init_gen("trunc_normal_", 9, a=1.0, b=3.0),
    "orthogonal_ generator": _init_gen("orthogonal_", 3, 3),
    "sparse_ generator": _init_gen("sparse_", 4, 3, sparsity=0.3),
}


def _draws(L, case):
    L.manual_seed(0)
    with L.no_grad():
        return np.asarray(case(L).detach().double().numpy())


@pytest.mark.parametrize("name", list(INITS))
def test_init_matches_torch(name):
    ours, want = _draws(torch, INITS[name]), _draws(real_torch, INITS[name])
    if name.startswith("orthogonal_"):  # float32 LAPACK's rounding: a few float32 ulps of the largest entry
        np.testing.assert_allclose(ours, want, rtol=0, atol=4e-7 * max(1.0, np.abs(want).max()))
    else:
        _assert_same(ours, want)


def _train(L, m):
    return m.train()(L.ones(2, 4, 3, 3))


def _flat_state(L, module):
    return L.cat([v.detach().double().flatten() for v in module.state_dict().values()])


def _reset(L, module, method="reset_parameters"):  # initialised twice: the second draws follow the first's
    getattr(module, method)()
    return _flat_state(L, module)


def _skip_init(L):  # no draws: the global stream is where it was
    L.nn.utils.skip_init(L.nn.Linear, 3, 2)
    return L.rand(3)


DRAWS = {
    "Dropout": lambda L: _train(L, L.nn.Dropout(0.3)),
    "Dropout1d": lambda L: L.nn.Dropout1d(0.5).train()(L.ones(3, 5, 4)),
    "Dropout1d unbatched": lambda L: L.nn.Dropout1d(0.5).train()(L.ones(5, 4)),
    "Dropout2d": lambda L: _train(L, L.nn.Dropout2d(0.5)),
    "Dropout3d": lambda L: L.nn.Dropout3d(0.5).train()(L.ones(2, 3, 2, 2, 2)),
    "AlphaDropout": lambda L: _train(L, L.nn.AlphaDropout(0.2)),
    "FeatureAlphaDropout": lambda L: _train(L, L.nn.FeatureAlphaDropout(0.4)),
    "F.dropout in forward": lambda L: _DropNet(L)(L.ones(3, 4)),
    "RReLU": lambda L: L.nn.RReLU().train()(L.arange(-10., 10.).reshape(4, 5).t()),
    "rrelu_ bounds": lambda L: L.nn.functional.rrelu_(L.tensor([-1., 2., 0., -3.]), 0.1, 0.3, training=True),
    "rrelu bfloat16": lambda L: L.nn.functional.rrelu(-L.ones(6, dtype=L.bfloat16), training=True),
    "rrelu float64": lambda L: L.nn.functional.rrelu(-L.ones(6, dtype=L.float64), training=True),
    "WeightedRandomSampler": lambda L: L.tensor(list(L.utils.data.WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], 12))),
    "WeightedRandomSampler no replacement": lambda L: L.tensor(list(L.utils.data.WeightedRandomSampler(
        [0.1, 0.5, 0.2, 0.2, 0.4], 3, replacement=False))),
    "SubsetRandomSampler": lambda L: L.tensor(list(L.utils.data.SubsetRandomSampler([4, 9, 2, 7, 1]))),
    "RandomSampler replacement": lambda L: L.tensor(list(L.utils.data.RandomSampler(range(7), replacement=True))),
    "RandomSampler num_samples": lambda L: L.tensor(list(L.utils.data.RandomSampler(range(7), num_samples=20))),
    "random_split fractions": lambda L: L.tensor([i for s in L.utils.data.random_split(range(11), [0.5, 0.3, 0.2])
                                                 for i in s.indices]),
    "random_split generator": lambda L: L.tensor(L.utils.data.random_split(
        range(8), [5, 3], generator=L.Generator().manual_seed(4))[1].indices),
    "DataLoader workers=0 generator": lambda L: L.cat(list(L.utils.data.DataLoader(
        L.arange(9), batch_size=2, shuffle=True, generator=L.Generator().manual_seed(1)))),
    "DataLoader workers": lambda L: L.cat(list(L.utils.data.DataLoader(L.arange(11), batch_size=3, shuffle=True,
                                                                      num_workers=2)) + [L.rand(2)]),
    "DataLoader WeightedRandomSampler": lambda L: L.cat(list(L.utils.data.DataLoader(
        L.arange(11), batch_size=3, sampler=L.utils.data.WeightedRandomSampler(L.arange(1., 12.), 11)))),
    "DataLoader two iterators": lambda L: L.cat([next(iter(loader)) for loader in
                                                [L.utils.data.DataLoader(L.arange(20), batch_size=4, shuffle=True)]
                                                for _ in range(2)]),
    "DataLoader ConcatDataset": lambda L: L.cat(list(L.utils.data.DataLoader(
        L.utils.data.ConcatDataset([L.arange(4), L.arange(5)]), batch_size=2, shuffle=True))),
    "BatchSampler RandomSampler": lambda L: L.tensor([i for b in L.utils.data.BatchSampler(
        L.utils.data.RandomSampler(range(10)), 3, False) for i in b]),
    "DistributedSampler": lambda L: L.tensor(list(L.utils.data.distributed.DistributedSampler(
        range(10), num_replicas=2, rank=1, seed=3))),
    "RandomSampler generator": lambda L: L.tensor(list(L.utils.data.RandomSampler(
        range(9), generator=L.Generator().manual_seed(5)))),
    "random_split fractions then rand": lambda L: L.cat([L.tensor(L.utils.data.random_split(
        range(6), [0.5, 0.5])[0].indices), L.rand(2)]),
    "DataLoader drop_last": lambda L: L.cat(list(L.utils.data.DataLoader(L.arange(9), batch_size=2, shuffle=True,
                                                                        drop_last=True)) + [L.rand(2)]),
    "dropout float64": lambda L: L.nn.functional.dropout(L.ones(30, dtype=L.float64), 0.3),
    "dropout bfloat16": lambda L: L.nn.functional.dropout(L.ones(30, dtype=L.bfloat16), 0.3),
    "dropout float16": lambda L: L.nn.functional.dropout(L.ones(30, dtype=L.float16), 0.3),
    "dropout transposed": lambda L: L.nn.functional.dropout(L.arange(24.).reshape(4, 6).t(), 0.5),
    "alpha_dropout transposed": lambda L: L.nn.functional.alpha_dropout(L.ones(5, 4).t(), 0.5, True),
    "dropout channels_last": lambda L: L.nn.functional.dropout(
        L.arange(48.).reshape(2, 3, 4, 2).to(memory_format=L.channels_last), 0.5),
    "dropout2d transposed": lambda L: L.nn.functional.dropout2d(L.ones(3, 2, 2, 2).transpose(0, 1), 0.5),
    "randn_like transposed": lambda L: L.randn_like(L.zeros(6, 4).t()),
    "rand_like permuted": lambda L: L.rand_like(L.zeros(2, 3, 4, 5).permute(0, 2, 3, 1)),
    "randint_like transposed": lambda L: L.randint_like(L.zeros(5, 3).t(), 3, 9),
    "normal mean tensor": lambda L: L.normal(L.zeros(5), 0.3),
    "normal std tensor": lambda L: L.normal(0.7, L.full((5,), 0.3)),
    "normal broadcast": lambda L: L.normal(L.zeros(2, 1), L.full((3,), 0.3)),
    "normal float64 mean": lambda L: L.normal(L.zeros(20, dtype=L.float64), L.full((20,), 0.3)),
    "normal float64 std": lambda L: L.normal(L.zeros(3), L.full((3,), 0.3, dtype=L.float64)),
    "dropout p=1 then rand": lambda L: L.cat([L.nn.functional.dropout(L.ones(5), 1.0), L.rand(3)]),
    "dropout p=0 then rand": lambda L: L.cat([L.nn.functional.dropout(L.ones(5), 0.0), L.rand(3)]),
    "dropout2d unbatched": lambda L: L.nn.functional.dropout2d(L.ones(3, 2, 2), 0.5),
    "dropout3d float64": lambda L: L.nn.functional.dropout3d(L.ones(2, 3, 1, 2, 2, dtype=L.float64), 0.5),
    "alpha_dropout float64": lambda L: L.nn.functional.alpha_dropout(L.ones(30, dtype=L.float64), 0.3, True),
    "alpha_dropout": lambda L: L.nn.functional.alpha_dropout(L.ones(30), 0.3, training=True),
    "feature_alpha_dropout": lambda L: L.nn.functional.feature_alpha_dropout(L.ones(3, 6, 2), 0.5, training=True),
    "dropout inplace": lambda L: L.nn.functional.dropout(L.ones(20), 0.5, inplace=True),
    "dropout1d functional": lambda L: L.nn.functional.dropout1d(L.ones(2, 5, 3), 0.5),
    "gumbel_softmax": lambda L: L.nn.functional.gumbel_softmax(L.zeros(3, 4), tau=0.5),
    "gumbel_softmax hard": lambda L: L.nn.functional.gumbel_softmax(L.zeros(3, 4), hard=True),
    "fractional_max_pool2d": lambda L: L.nn.functional.fractional_max_pool2d(
        L.arange(2 * 3 * 49.).reshape(2, 3, 7, 7), 2, output_size=3),
    "FractionalMaxPool3d": lambda L: L.nn.FractionalMaxPool3d(2, output_ratio=0.5)(
        L.arange(2 * 216.).reshape(2, 6, 6, 6)),
    "spectral_norm": lambda L: _flat_state(L, L.nn.utils.spectral_norm(L.nn.Linear(5, 4))),
    "parametrizations.spectral_norm": lambda L: _flat_state(
        L, L.nn.utils.parametrizations.spectral_norm(L.nn.Linear(5, 4))),
    "random_unstructured": lambda L: _flat_state(
        L, L.nn.utils.prune.random_unstructured(L.nn.Linear(4, 3), "weight", amount=0.5)),
    "random_structured": lambda L: _flat_state(
        L, L.nn.utils.prune.random_structured(L.nn.Conv2d(2, 4, 2), "weight", amount=2, dim=0)),
    "skip_init": _skip_init,
    "reset_parameters Conv1d": lambda L: _reset(L, L.nn.Conv1d(2, 3, 2)),
    "reset_parameters Bilinear": lambda L: _reset(L, L.nn.Bilinear(2, 3, 4)),
    "reset_parameters Embedding padding_idx": lambda L: _reset(L, L.nn.Embedding(4, 3, padding_idx=0)),
    "_reset_parameters MultiheadAttention": lambda L: _reset(L, L.nn.MultiheadAttention(4, 2, kdim=3, vdim=3),
                                                             "_reset_parameters"),
    "weight_norm then rand": lambda L: L.cat([_flat_state(L, L.nn.utils.parametrizations.weight_norm(
        L.nn.Linear(4, 3))), L.rand(2)]),
    "Dropout eval then rand": lambda L: L.cat([L.nn.Dropout().eval()(L.ones(3)), L.rand(2)]),
}
# the same draws; the values then went through a matmul or a softmax (rounding only)
ULP_DRAWS = {"F.dropout in forward", "gumbel_softmax"}
# the same draws, then 15 power iterations: rounding grows to a few float32 ulps of the largest entry
LOOSE_DRAWS = {"parametrizations.spectral_norm"}



def _DropNet(L):
    class DropNet(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = L.nn.Linear(4, 5)

        def forward(self, x):
            return L.nn.functional.dropout(self.fc(x), 0.5, training=self.training)
    return DropNet()


@pytest.mark.parametrize("name", list(DRAWS))
def test_training_draws_match_torch(name):
    ours, want = _draws(torch, DRAWS[name]), _draws(real_torch, DRAWS[name])
    if name in LOOSE_DRAWS:
        np.testing.assert_allclose(ours, want, rtol=0, atol=2e-6 * max(1.0, np.abs(want).max()))
    else:
        _assert_same(ours, want, ulp=name in ULP_DRAWS)
    if name.startswith("rand") and name.endswith(("transposed", "permuted")):  # laid out as the input, as torch's
        assert DRAWS[name](torch).stride() == DRAWS[name](real_torch).stride()


def _distribution_draws(L, name, make):
    L.manual_seed(0)
    d = make(L)
    out = [d.sample(), d.sample((3,))]
    if d.has_rsample:
        out.append(d.rsample((2,)))
    return [np.asarray(t.detach().double().numpy()) for t in out]


DISTRIBUTIONS = {
    "Normal": lambda L: L.distributions.Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, 2.0])),
    "Uniform": lambda L: L.distributions.Uniform(L.tensor([0.0, -1.0]), L.tensor([1.0, 3.0])),
    "Bernoulli": lambda L: L.distributions.Bernoulli(probs=L.tensor([0.2, 0.7, 0.5])),
    "Bernoulli logits": lambda L: L.distributions.Bernoulli(logits=L.tensor([0.2, -0.7])),
    "Categorical": lambda L: L.distributions.Categorical(probs=L.tensor([0.1, 0.2, 0.3, 0.4])),
    "Categorical batched": lambda L: L.distributions.Categorical(logits=L.tensor([[0.1, 0.2, 0.3], [1.0, 0.0, 2.0]])),
    "MultivariateNormal": lambda L: L.distributions.MultivariateNormal(
        L.zeros(2), L.tensor([[2.0, 0.5], [0.5, 1.0]])),
    "Independent Normal": lambda L: L.distributions.Independent(L.distributions.Normal(L.zeros(3), L.ones(3)), 1),
}
for _name in ("Exponential", "Laplace", "Gumbel", "Cauchy", "LogNormal", "Poisson", "Geometric", "Gamma", "Beta",
              "Dirichlet", "Binomial", "StudentT", "Chi2", "HalfNormal", "HalfCauchy", "Multinomial",
              "OneHotCategorical", "RelaxedBernoulli", "RelaxedOneHotCategorical", "ContinuousBernoulli", "Pareto",
              "Weibull", "VonMises", "LogisticNormal", "LowRankMultivariateNormal", "MixtureSameFamily", "Kumaraswamy",
              "FisherSnedecor", "NegativeBinomial", "InverseGamma", "Wishart", "GeneralizedPareto"):
    if hasattr(torch.distributions, _name):
        DISTRIBUTIONS[_name] = None  # built below from torch's own example arguments


def _distribution_args(L, name):
    t = L.tensor
    return {"Exponential": (t([1.0, 2.0]),), "Laplace": (t([0.0]), t([1.5])), "Gumbel": (t([0.0]), t([2.0])),
            "Cauchy": (t([0.0]), t([1.0])), "LogNormal": (t([0.0]), t([0.5])), "Poisson": (t([1.0, 5.0, 0.5, 30.0]),),
            "Geometric": (t([0.3]),), "Gamma": (t([2.0, 0.5]), t([1.0, 3.0])), "Beta": (t([2.0]), t([0.5])),
            "Dirichlet": (t([1.0, 2.0, 3.0]),), "Binomial": (5, t([0.3, 0.6])), "StudentT": (t([3.0]),),
            "Chi2": (t([2.0]),), "HalfNormal": (t([1.0]),), "HalfCauchy": (t([1.0]),),
            "Multinomial": (6, t([0.2, 0.3, 0.5])), "OneHotCategorical": (t([0.2, 0.3, 0.5]),),
            "RelaxedBernoulli": (t([0.5]), t([0.3])), "RelaxedOneHotCategorical": (t([0.5]), t([0.2, 0.3, 0.5])),
            "ContinuousBernoulli": (t([0.3]),), "Pareto": (t([1.0]), t([2.0])), "Weibull": (t([1.0]), t([2.0])),
            "VonMises": (t([0.0]), t([1.0])), "LogisticNormal": (t([0.0, 1.0]), t([1.0, 0.5])),
            "LowRankMultivariateNormal": (t([0.0, 1.0]), t([[1.0], [0.5]]), t([1.0, 2.0])),
            "Kumaraswamy": (t([1.0]), t([2.0])), "FisherSnedecor": (t([2.0]), t([3.0])),
            "NegativeBinomial": (t([3.0]), t([0.4])), "InverseGamma": (t([2.0]), t([1.0])),
            "Wishart": (t([3.0]), t([[1.0, 0.0], [0.0, 1.0]])), "GeneralizedPareto": (t([0.0]), t([1.0]), t([0.2])),
            "MixtureSameFamily": (L.distributions.Categorical(t([0.3, 0.7])),
                                  L.distributions.Normal(t([0.0, 5.0]), t([1.0, 0.5])))}[name]


# the same draws, transformed with a matmul, log1p or logsumexp that rounds differently from torch's in the last bit
ULP_DISTRIBUTIONS = {"MultivariateNormal", "Laplace", "ContinuousBernoulli", "RelaxedOneHotCategorical",
                     "LogisticNormal", "Wishart"}


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_distribution_samples_match_torch(name):
    make = DISTRIBUTIONS[name] or (lambda L: getattr(L.distributions, name)(*_distribution_args(L, name)))
    for ours, want in zip(_distribution_draws(torch, name, make), _distribution_draws(real_torch, name, make)):
        _assert_same(ours, want, ulp=name in ULP_DISTRIBUTIONS)


def _self_attention(L):
    """MultiheadAttention called without weights (torch's scaled_dot_product_attention path)."""
    class SelfAttention(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = L.nn.MultiheadAttention(8, 2, dropout=0.4)

        def forward(self, x):
            return self.attn(x, x, x, need_weights=False)[0]
    return SelfAttention()


# name -> (build(L), inputs(L)): a forward pass in training mode, its dropout draws after the initialisation's
FORWARDS = {
    "LSTM dropout": (lambda L: L.nn.LSTM(3, 4, num_layers=3, dropout=0.5), lambda L: (L.ones(5, 2, 3),)),
    "GRU bidirectional dropout": (lambda L: L.nn.GRU(3, 4, num_layers=2, dropout=0.5, bidirectional=True),
                                  lambda L: (L.ones(5, 2, 3),)),
    "RNN dropout batch_first": (lambda L: L.nn.RNN(3, 4, num_layers=2, dropout=0.3, batch_first=True),
                                lambda L: (L.ones(2, 5, 3),)),
    "TransformerEncoderLayer": (lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3),
                                lambda L: (L.ones(5, 2, 8),)),
    "TransformerEncoderLayer norm_first": (lambda L: L.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.3, batch_first=True, norm_first=True), lambda L: (L.ones(2, 5, 8),)),
    "TransformerDecoderLayer": (lambda L: L.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.3),
                                lambda L: (L.ones(5, 2, 8), L.ones(4, 2, 8))),
    "MultiheadAttention weights": (lambda L: L.nn.MultiheadAttention(8, 2, dropout=0.4),
                                   lambda L: (L.ones(5, 2, 8),) * 3),
    "MultiheadAttention no weights": (_self_attention, lambda L: (L.ones(5, 2, 8),)),
    "Transformer": (lambda L: L.nn.Transformer(8, 2, 1, 1, 16, dropout=0.2),
                    lambda L: (L.ones(5, 2, 8), L.ones(4, 2, 8))),
}


def _forward(L, name):
    build, inputs = FORWARDS[name]
    L.manual_seed(0)
    out = build(L).train()(*inputs(L))
    return np.asarray((out[0] if isinstance(out, tuple) else out).detach().double().numpy())


@pytest.mark.parametrize("name", list(FORWARDS))
def test_training_forward_matches_torch(name):
    np.testing.assert_allclose(_forward(torch, name), _forward(real_torch, name), rtol=1e-5, atol=1e-5)


def _training_run(L):
    L.manual_seed(0)
    model = L.nn.Sequential(L.nn.Linear(6, 8), L.nn.ReLU(), L.nn.Dropout(0.3), L.nn.Linear(8, 3))
    data = L.utils.data.TensorDataset(L.arange(60.).reshape(10, 6) / 60, L.arange(10) % 3)
    loader = L.utils.data.DataLoader(data, batch_size=4, shuffle=True)
    opt = L.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    losses, batches = [], []
    for _ in range(3):
        for x, y in loader:
            opt.zero_grad()
            loss = L.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            batches.append(y.tolist() + x[:, 0].tolist())
    return losses, batches


def test_seeded_training_loop_matches_torch():
    ours, want = _training_run(torch), _training_run(real_torch)
    assert ours[1] == want[1]
    np.testing.assert_allclose(ours[0], want[0], rtol=1e-5, atol=1e-6)


def _transformed(L, T):
    L.manual_seed(0)
    image = L.arange(3 * 6 * 5.).reshape(3, 6, 5)
    crop, padded, flip = T.RandomCrop((4, 3)), T.RandomCrop(5, padding=1), T.RandomHorizontalFlip()
    return [np.asarray(t.numpy()) for _ in range(4) for t in (crop(image), padded(image), flip(image))]


@pytest.mark.skipif(torchvision is None, reason="torchvision is not installed")
def test_vision_transforms_match_torchvision():
    for ours, want in zip(_transformed(torch, transforms), _transformed(real_torch, torchvision.transforms)):
        _assert_same(ours, want)


def test_vision_transforms_draw_as_torchvision():
    """torchvision's draws, with torch alone: RandomCrop's top then left from randint(0, n + 1, (1,)) (none for a
    crop of the whole image), RandomHorizontalFlip's rand(1) < p."""
    real_torch.manual_seed(0)
    image = np.arange(3 * 6 * 5.).reshape(3, 6, 5)
    want = []
    for _ in range(4):
        i, j = real_torch.randint(0, 3, (1,)).item(), real_torch.randint(0, 3, (1,)).item()
        want.append(image[:, i:i + 4, j:j + 3])
        want.append(image[:, :, ::-1] if real_torch.rand(1).item() < 0.5 else image)
        want.append(image)
    torch.manual_seed(0)
    crop, flip, whole = transforms.RandomCrop((4, 3)), transforms.RandomHorizontalFlip(), transforms.RandomCrop((6, 5))
    ours = [t(torch.tensor(image)) for _ in range(4) for t in (crop, flip, whole)]
    for o, w in zip(ours, want):
        _assert_same(o.numpy(), w)


def test_poisson_matches_torch():  # torch's sample_poisson: product of uniforms below 10, PTRS above, 0 draws at 0
    case = lambda L: L.poisson(L.tensor([1.0, 5.0, 0.5, 30.0, 2.0, 7.0, 0.0, 1e3]))  # noqa: E731
    _assert_same(_draws(torch, case), _draws(real_torch, case))
