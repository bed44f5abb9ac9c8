"""torch.distributions.transforms and TransformedDistribution: forward/inverse round trips and log-abs-det-Jacobians
against float64 numpy (numerical Jacobians where the map mixes coordinates), log_prob by the change of variables,
gradients through rsample, and (where PyTorch is installed) seeded samples and log_prob equal to torch's."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import distributions as D
from tinygrad_ext.distributions import transforms as T

from tests.oracle import needs_torch, real_torch

X = np.random.RandomState(0).randn(3, 4)


def _t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def _np(t):
    return t.detach().numpy()


def _softplus(x):
    return np.logaddexp(0.0, x)


ELEMENTWISE = [  # (transform, numpy forward, numpy log|dy/dx|, input)
    (T.ExpTransform(), np.exp, lambda x: x, X),
    (T.SigmoidTransform(), lambda x: 1 / (1 + np.exp(-x)), lambda x: -_softplus(-x) - _softplus(x), X),
    (T.TanhTransform(), np.tanh, lambda x: np.log(1 - np.tanh(x) ** 2), X),
    (T.AffineTransform(0.5, -2.0), lambda x: 0.5 - 2 * x, lambda x: np.full_like(x, math.log(2.0)), X),
    (T.SoftplusTransform(), _softplus, lambda x: -_softplus(-x), X),
    (T.PowerTransform(_t(2.5)), lambda x: x ** 2.5, lambda x: np.log(2.5 * x ** 1.5), np.abs(X) + 0.1),
]


@pytest.mark.parametrize("transform,fwd,lad,x", ELEMENTWISE, ids=lambda v: type(v).__name__)
def test_elementwise_round_trip_and_log_det(transform, fwd, lad, x):
    y = transform(_t(x))
    np.testing.assert_allclose(_np(y), fwd(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_np(transform.inv(y)), x, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(_np(transform.log_abs_det_jacobian(_t(x), y)), lad(x), rtol=1e-9, atol=1e-9)
    assert transform.bijective


def test_tanh_log_det_stays_finite_where_tanh_saturates():
    x = _t([-30.0, 0.0, 30.0])
    lad = T.TanhTransform().log_abs_det_jacobian(x, x.tanh())
    np.testing.assert_allclose(_np(lad), [2 * (math.log(2) - 30), 0.0, 2 * (math.log(2) - 30)], rtol=1e-12)


def _numeric_jacobian(f, x, eps=1e-6):
    cols = []
    for i in range(x.size):
        d = np.zeros_like(x)
        d[i] = eps
        cols.append((f(x + d) - f(x - d)) / (2 * eps))
    return np.stack(cols, axis=-1)


def test_stick_breaking_round_trip_and_log_det_against_numerical_jacobian():
    t = T.StickBreakingTransform()
    x = X[0]
    y = t(_t(x))
    assert tuple(y.shape) == (5,)
    np.testing.assert_allclose(_np(y).sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(_np(t.inv(y)), x, rtol=1e-9, atol=1e-9)
    jac = _numeric_jacobian(lambda v: _np(t(_t(v)))[:-1], x)  # the first k coordinates determine the point
    np.testing.assert_allclose(_np(t.log_abs_det_jacobian(_t(x), y)), np.log(abs(np.linalg.det(jac))), rtol=1e-6)
    assert t.forward_shape((3, 4)) == (3, 5) and t.inverse_shape((3, 5)) == (3, 4)


def test_affine_event_dim_log_det_sums_the_event():
    scale = _t([1.0, 2.0, -3.0, 0.5])
    t = T.AffineTransform(1.0, scale, event_dim=1)
    lad = t.log_abs_det_jacobian(_t(X), t(_t(X)))
    np.testing.assert_allclose(_np(lad), np.full(3, math.log(3.0)), rtol=1e-12)
    assert t.domain.event_dim == 1 and t.forward_shape((3, 4)) == (3, 4)


def test_non_bijective_transforms():
    x = _t(X)
    np.testing.assert_allclose(_np(T.AbsTransform()(x)), np.abs(X))
    soft = _np(T.SoftmaxTransform()(x))
    np.testing.assert_allclose(soft, np.exp(X) / np.exp(X).sum(-1, keepdims=True), rtol=1e-12)
    square = _t(X[:, :3])
    low = _np(T.LowerCholeskyTransform()(square))
    np.testing.assert_allclose(low, np.tril(X[:, :3], -1) + np.diag(np.exp(np.diag(X[:, :3]))), rtol=1e-12)
    np.testing.assert_allclose(_np(T.LowerCholeskyTransform().inv(torch.tensor(low))), np.tril(X[:, :3]), atol=1e-12)


def test_compose_reshape_independent_and_inverse():
    parts = [T.AffineTransform(0.5, 2.0), T.ExpTransform()]
    t = T.ComposeTransform(parts)
    x = _t(X)
    y = t(x)
    np.testing.assert_allclose(_np(y), np.exp(0.5 + 2 * X), rtol=1e-12)
    np.testing.assert_allclose(_np(t.inv(y)), X, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_np(t.log_abs_det_jacobian(x, y)), math.log(2.0) + 0.5 + 2 * X, rtol=1e-12)
    np.testing.assert_allclose(_np(t.inv.log_abs_det_jacobian(y, x)), -(math.log(2.0) + 0.5 + 2 * X), rtol=1e-12)
    ind = T.IndependentTransform(T.ExpTransform(), 1)
    np.testing.assert_allclose(_np(ind.log_abs_det_jacobian(x, ind(x))), X.sum(-1), rtol=1e-12)
    reshape = T.ReshapeTransform((4,), (2, 2))
    assert tuple(reshape(x).shape) == (3, 2, 2) and tuple(reshape.log_abs_det_jacobian(x, reshape(x)).shape) == (3,)
    assert t.sign == 1 and t.bijective and T.ExpTransform() == T.ExpTransform() and t.inv.inv is t
    assert T.identity_transform(x) is x


def test_cache_returns_the_x_a_sample_came_from():
    t = T.TanhTransform(cache_size=1)
    x = _t([40.0])  # tanh(40) rounds to 1, whose atanh is inf: only the cache recovers x
    y = t(x)
    assert t(x) is y and t.inv(y) is x
    assert T.TanhTransform().inv(y).isinf().all().item()


def test_bad_arguments_raise_torch_errors():
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)
    with pytest.raises(ValueError, match="different numbers of elements"):
        T.ReshapeTransform((4,), (3,))
    with pytest.raises(ValueError, match="transforms must be a Transform or a list of Transforms"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), [1])
    with pytest.raises(ValueError, match="needs to have shape with size at least 1"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), T.StickBreakingTransform())
    with pytest.raises(NotImplementedError):
        T.AbsTransform().log_abs_det_jacobian(_t(X), _t(X))


def test_cat_and_stack_apply_each_transform_to_its_slice():
    x = _t(X)
    cat_t = T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0), T.TanhTransform()], dim=1,
                           lengths=[1, 2, 1])
    expected = np.concatenate([np.exp(X[:, :1]), 1 + 2 * X[:, 1:3], np.tanh(X[:, 3:])], 1)
    y = cat_t(x)
    np.testing.assert_allclose(_np(y), expected, rtol=1e-12)
    np.testing.assert_allclose(_np(cat_t.inv(y)), X, rtol=1e-9, atol=1e-12)
    lad = np.concatenate([X[:, :1], np.full((3, 2), math.log(2.0)), np.log(1 - np.tanh(X[:, 3:]) ** 2)], 1)
    np.testing.assert_allclose(_np(cat_t.log_abs_det_jacobian(x, y)), lad, rtol=1e-9)
    stack_t = T.StackTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0), T.SigmoidTransform()], dim=0)
    y = stack_t(x)
    np.testing.assert_allclose(_np(y), np.stack([np.exp(X[0]), 1 + 2 * X[1], 1 / (1 + np.exp(-X[2]))]), rtol=1e-12)
    np.testing.assert_allclose(_np(stack_t.inv(y)), X, rtol=1e-9, atol=1e-12)
    assert stack_t.domain.check(x).all().item() and cat_t.bijective
    with pytest.raises(AssertionError, match="must equal length"):
        T.CatTransform([T.ExpTransform()], dim=0)(torch.zeros(2))


def test_cumulative_distribution_and_positive_definite_transforms():
    t = T.CumulativeDistributionTransform(D.Normal(_t(0.0), _t(1.0)))
    x = _t(X[0])
    y = t(x)
    np.testing.assert_allclose(_np(y), [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in X[0]], rtol=1e-9)
    np.testing.assert_allclose(_np(t.inv(y)), X[0], rtol=1e-6)
    np.testing.assert_allclose(_np(t.log_abs_det_jacobian(x, y)), -X[0] ** 2 / 2 - 0.5 * math.log(2 * math.pi),
                               rtol=1e-12)
    m = X[:, :3]
    low = np.tril(m, -1) + np.diag(np.exp(np.diag(m)))
    pd = T.PositiveDefiniteTransform()
    y = pd(_t(m))
    np.testing.assert_allclose(_np(y), low @ low.T, rtol=1e-12)
    np.testing.assert_allclose(_np(pd(pd.inv(y))), low @ low.T, rtol=1e-9)


def test_corr_cholesky_round_trip_and_log_det_against_numerical_jacobian():
    t = T.CorrCholeskyTransform()
    x = X[0, :3]
    y = t(_t(x))
    low = _np(y)
    assert tuple(y.shape) == (3, 3) and t.codomain.check(y).item()
    np.testing.assert_allclose(np.diag(low @ low.T), np.ones(3), rtol=1e-12)
    np.testing.assert_allclose(_np(t.inv(y)), x, rtol=1e-9, atol=1e-12)
    jac = _numeric_jacobian(lambda v: _np(t(_t(v)))[np.tril_indices(3, -1)], x)  # the strict lower triangle
    np.testing.assert_allclose(_np(t.log_abs_det_jacobian(_t(x), y)), np.log(abs(np.linalg.det(jac))), rtol=1e-6)
    assert t.forward_shape((2, 6)) == (2, 4, 4) and t.inverse_shape((2, 4, 4)) == (2, 6)
    with pytest.raises(ValueError, match="not a flattened lower-diagonal number"):
        t.forward_shape((5,))


def _tanh_normal_log_prob(a, mu, std):
    u = np.arctanh(a)
    normal = -((u - mu) ** 2) / (2 * std ** 2) - np.log(std) - 0.5 * math.log(2 * math.pi)
    return normal - np.log(1 - a ** 2)


def test_tanh_normal_log_prob_shapes_and_rsample_gradient():
    mu = _t(X[0]).requires_grad_()
    std = _t(np.abs(X[1]) + 0.5).requires_grad_()
    dist = D.TransformedDistribution(D.Normal(mu, std), [T.TanhTransform(cache_size=1)])
    assert dist.batch_shape == (4,) and dist.event_shape == () and dist.has_rsample
    a = dist.rsample((2,))
    assert tuple(a.shape) == (2, 4)
    a_np = _np(a)
    np.testing.assert_allclose(_np(dist.log_prob(_t(a_np))), _tanh_normal_log_prob(a_np, X[0], np.abs(X[1]) + 0.5),
                               rtol=1e-7)
    a.sum().backward()  # d tanh(mu + std * eps) / d mu = 1 - a^2
    np.testing.assert_allclose(_np(mu.grad), (1 - a_np ** 2).sum(0), rtol=1e-9)
    eps = (np.arctanh(a_np) - X[0]) / (np.abs(X[1]) + 0.5)
    np.testing.assert_allclose(_np(std.grad), ((1 - a_np ** 2) * eps).sum(0), rtol=1e-6)


def test_flow_log_prob_cdf_icdf_and_expand():
    dist = D.TransformedDistribution(D.Normal(_t(X), 1.0), [T.AffineTransform(1.0, -2.0), T.ExpTransform()])
    y = _t(np.exp(1 - 2 * X[::-1].copy()))
    x = (1 - np.log(_np(y))) / 2
    expected = -((x - X) ** 2) / 2 - 0.5 * math.log(2 * math.pi) - math.log(2.0) - np.log(_np(y))
    np.testing.assert_allclose(_np(dist.log_prob(y)), expected, rtol=1e-9)
    cdf = _np(dist.cdf(y))  # decreasing map: P(Y <= y) = 1 - Phi(x - loc)
    phi = np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))(x - X)
    np.testing.assert_allclose(cdf, 1 - phi, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(_np(dist.icdf(_t(cdf))), _np(y), rtol=1e-6)
    assert isinstance(dist.support, type(D.constraints.positive))
    assert dist.expand((2, 3, 4)).batch_shape == (2, 3, 4)
    sb = D.TransformedDistribution(D.Normal(_t(X), 1.0), T.StickBreakingTransform())
    assert sb.batch_shape == (3,) and sb.event_shape == (5,) and sb.expand((2, 3)).sample().shape == (2, 3, 5)


@needs_torch
@pytest.mark.parametrize("case", ["tanh", "flow", "stick", "reshape", "corr"])
def test_seeded_samples_and_log_prob_equal_torchs(case):
    def build(lib, Dm):
        loc = lib.tensor(X[:, :3] if case == "corr" else X)
        transforms = {"tanh": [Dm.transforms.TanhTransform(cache_size=1)],
                      "flow": [Dm.transforms.AffineTransform(0.5, 2.0), Dm.transforms.SigmoidTransform()],
                      "stick": [Dm.transforms.StickBreakingTransform()],
                      "reshape": [Dm.transforms.ReshapeTransform((4,), (2, 2)), Dm.transforms.ExpTransform()],
                      "corr": [Dm.transforms.CorrCholeskyTransform()]}[case]
        dist = Dm.TransformedDistribution(Dm.Normal(loc, loc.abs() + 0.5), transforms)
        lib.manual_seed(7)
        s = dist.rsample((2,))
        return s.detach().numpy(), dist.log_prob(s).detach().numpy(), tuple(dist.batch_shape), tuple(dist.event_shape)

    ours, theirs = build(torch, D), build(real_torch, real_torch.distributions)
    assert ours[2:] == theirs[2:]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-12)
