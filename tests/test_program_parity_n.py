"""Scientific-computing programs (least squares, statistics, signal windows) that differed from torch 2.13:
linalg.lstsq's shape checks (the rank check first; a vector right-hand side is named other.size(-1)); a distribution
validating a sample checks its shape against batch_shape + event_shape first, in torch's words (ValueError);
set_printoptions ignores an unknown profile as torch's; torch.signal.windows (scipy's windows: sym, the checks and
their order, float32 rounding as torch's). Expected values written down from torch."""
import pytest

import tinygrad_ext as torch
from tinygrad_ext.distributions import Dirichlet, MultivariateNormal, Normal

W = torch.signal.windows


def _raises(exc, msg, fn):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


# ------------------------------------------------------------------ linalg.lstsq
def test_lstsq_vector_rhs_message():
    _raises(RuntimeError, "torch.linalg.lstsq: input.size(-2) should match other.size(-1)",
            lambda: torch.linalg.lstsq(torch.ones(3, 2), torch.ones(4)))
    _raises(RuntimeError, "torch.linalg.lstsq: input.size(-2) should match other.size(-2)",
            lambda: torch.linalg.lstsq(torch.ones(3, 2), torch.ones(4, 1)))


@pytest.mark.parametrize("b", [(3,), (2, 4, 1), (3, 2, 1, 1)])
def test_lstsq_rank_check(b):
    _raises(RuntimeError, "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
            "(input.dim() - other.dim()) <= 1",
            lambda: torch.linalg.lstsq(torch.ones(2, 3, 2) if b == (3,) else torch.ones(3, 2), torch.ones(*b)))


def test_lstsq_vector_rhs_solution():
    X = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    sol = torch.linalg.lstsq(X, torch.tensor([1.0, 3.0, 5.0], dtype=torch.float64)).solution
    assert sol.shape == (2,)
    assert sol.tolist() == pytest.approx([1.0, 2.0])


# ------------------------------------------------------------------ distributions: sample validation
def test_log_prob_not_broadcastable():
    n = Normal(torch.zeros(2), torch.ones(2))
    _raises(ValueError, "Value is not broadcastable with batch_shape+event_shape: torch.Size([3]) vs "
            "torch.Size([2]).", lambda: n.log_prob(torch.zeros(3)))
    _raises(ValueError, "Value is not broadcastable with batch_shape+event_shape: torch.Size([2, 3]) vs "
            "torch.Size([2]).", lambda: n.log_prob(torch.zeros(2, 3)))
    assert n.log_prob(torch.zeros(4, 1)).shape == (4, 2)


def test_log_prob_event_shape_mismatch():
    mvn = MultivariateNormal(torch.zeros(2), torch.eye(2))
    _raises(ValueError, "The right-most size of value must match event_shape: torch.Size([3]) vs torch.Size([2]).",
            lambda: mvn.log_prob(torch.zeros(3)))
    assert mvn.log_prob(torch.zeros(5, 2)).shape == (5,)
    _raises(ValueError, "The right-most size of value must match event_shape: torch.Size([2]) vs torch.Size([3]).",
            lambda: Dirichlet(torch.ones(3)).log_prob(torch.ones(2) / 2))


def test_log_prob_unvalidated_broadcast_error():
    n = Normal(torch.zeros(2), 1.0, validate_args=False)
    with pytest.raises(RuntimeError, match="must match the size"):
        n.log_prob(torch.zeros(3))


# ------------------------------------------------------------------ set_printoptions
def test_set_printoptions_unknown_profile_ignored():
    try:
        torch.set_printoptions(precision=2)
        torch.set_printoptions(profile="xx")  # torch: no profile matched, nothing else given
        assert repr(torch.tensor([1.23456])) == "tensor([1.23])"
    finally:
        torch.set_printoptions(profile="default")
    assert repr(torch.tensor([1.23456])) == "tensor([1.2346])"


# ------------------------------------------------------------------ torch.signal.windows
@pytest.mark.parametrize("expr, expected", [
    (lambda: W.gaussian(5), [0.1353352963924408, 0.6065306663513184, 1.0, 0.6065306663513184, 0.1353352963924408]),
    (lambda: W.gaussian(4, sym=False, std=0.5), [0.00033546279883012176, 0.1353352963924408, 1.0, 0.1353352963924408]),
    (lambda: W.exponential(4, center=1.0, tau=2.0, sym=False),
     [0.6065306663513184, 1.0, 0.6065306663513184, 0.3678794503211975]),
    (lambda: W.cosine(5, sym=False),
     [0.258819043636322, 0.7071067690849304, 0.9659258127212524, 0.9659258127212524, 0.7071067690849304]),
    (lambda: W.nuttall(5, dtype=torch.float64),
     [0.0003628000000000381, 0.22698239999999995, 1.0, 0.2269824000000001, 0.0003628000000000381]),
    (lambda: W.kaiser(4, sym=False, beta=3.0), [0.20488473773002625, 0.7269254922866821, 1.0, 0.7269254922866821]),
    (lambda: W.bartlett(6), [0.0, 0.3999999761581421, 0.800000011920929, 0.800000011920929, 0.3999999761581421, 0.0]),
    (lambda: W.blackman(5),
     [-1.4901161193847656e-08, 0.3400000333786011, 0.9999999403953552, 0.3399999737739563, -1.4901161193847656e-08]),
    (lambda: W.hann(6, sym=False), [0.0, 0.25, 0.75, 1.0, 0.7499999403953552, 0.2500000596046448]),
    (lambda: W.hamming(4, dtype=torch.float64),
     [0.08000000000000007, 0.7699999999999999, 0.7699999999999998, 0.08000000000000007]),
    (lambda: W.general_cosine(4, a=[1.0, 0.5, 0.25]), [0.75, 1.125, 1.125, 0.75]),
])
def test_windows_values(expr, expected):
    w = expr()
    assert w.tolist() == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_windows_blackman_rounds_as_torch():
    # the cosine sum in float32, in torch's order: the ends are -2^-26, not 0
    assert W.blackman(5).tolist()[0] == -1.4901161193847656e-08


@pytest.mark.parametrize("name", W.__all__)
def test_windows_checks_and_small_lengths(name):
    fn = getattr(W, name)
    kw = {"a": [1.0]} if name == "general_cosine" else {}
    checked = "general_cosine" if name in ("general_cosine", "general_hamming", "hamming", "hann", "nuttall") else name
    _raises(ValueError, f"{checked} requires non-negative window length, got M=-1", lambda: fn(-1, **kw))
    _raises(ValueError, f"{checked} expects float32 or float64 dtypes, got: torch.int64",
            lambda: fn(3, dtype=torch.int64, **kw))
    _raises(ValueError, f"{checked} expects float32 or float64 dtypes, got: torch.float16",
            lambda: fn(3, dtype=torch.float16, **kw))
    assert fn(0, **kw).shape == (0,)
    assert fn(1, **kw).tolist() == [1.0]
    assert fn(1, sym=False, **kw).tolist() == [1.0]
    assert fn(3, requires_grad=True, **kw).requires_grad
    assert fn(4, dtype=torch.float64, **kw).dtype == torch.float64


def test_windows_parameter_checks_order():
    _raises(ValueError, "general_cosine requires non-negative window length, got M=-1",
            lambda: W.general_cosine(-1, a=3))
    assert W.general_cosine(0, a=[]).shape == (0,)
    assert W.general_cosine(1, a=3).tolist() == [1.0]
    _raises(TypeError, "Coefficients must be a list/tuple", lambda: W.general_cosine(5, a=3))
    _raises(ValueError, "Coefficients cannot be empty", lambda: W.general_cosine(2, a=[]))
    _raises(ValueError, "Standard deviation must be positive, got: 0 instead.", lambda: W.gaussian(0, std=0))
    _raises(ValueError, "gaussian requires non-negative window length, got M=-1", lambda: W.gaussian(-1, std=0))
    _raises(ValueError, "Tau must be positive, got: -1 instead.", lambda: W.exponential(0, tau=-1))
    _raises(ValueError, "Center must be None for symmetric windows", lambda: W.exponential(0, center=1.0))
    _raises(ValueError, "beta must be non-negative, got: -1 instead.", lambda: W.kaiser(0, beta=-1))
    _raises(ValueError, "general_cosine is implemented for strided tensors only, got: torch.sparse_coo",
            lambda: W.hann(3, layout=type(torch.strided)("sparse_coo")))  # (a layout we lack)


def test_windows_autograd_nodes():
    assert W.hann(3, requires_grad=True).grad_fn.name() == "SumBackward1"
    assert W.bartlett(3, requires_grad=True).grad_fn.name() == "RsubBackward1"
    assert W.gaussian(3, requires_grad=True).grad_fn.name() == "ExpBackward0"


def test_windows_default_dtype():
    try:
        torch.set_default_dtype(torch.float64)
        assert W.hann(3).dtype == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)


def test_signal_importable():
    import tinygrad_ext.signal.windows as windows
    assert windows.hann is W.hann
    assert torch.signal.windows.__all__ == ["bartlett", "blackman", "cosine", "exponential", "gaussian",
                                            "general_cosine", "general_hamming", "hamming", "hann", "kaiser",
                                            "nuttall"]


# ------------------------------------------------------------------ torch.normal, torch.vander
@pytest.mark.parametrize("mean, std", [(torch.zeros(2), -torch.ones(2)), (0.0, -torch.ones(2)),
                                       (torch.zeros(2), torch.tensor([1.0, float("nan")]))])
def test_normal_tensor_std_checked(mean, std):
    _raises(RuntimeError, "normal expects all elements of std >= 0.0", lambda: torch.normal(mean, std))


def test_normal_tensor_std_zero_and_empty_fine():
    assert torch.normal(torch.zeros(2), torch.tensor([1.0, 0.0])).shape == (2,)
    assert torch.normal(torch.zeros(0), -torch.ones(0)).shape == (0,)
    _raises(RuntimeError, "normal expects std >= 0.0, but found std -1", lambda: torch.normal(torch.zeros(2), -1.0))


def test_vander_checks():
    _raises(RuntimeError, "x must be a one-dimensional tensor.", lambda: torch.vander(torch.ones(2, 2)))
    _raises(RuntimeError, "x must be a one-dimensional tensor.", lambda: torch.vander(torch.tensor(2.0)))
    _raises(RuntimeError, "N must be non-negative.", lambda: torch.vander(torch.ones(2), N=-1))


def test_vander_running_products():
    # torch's columns are cumprod's running products: x^3 here is (x * x) * x, one ulp off x ** 3
    x = torch.tensor([0.5269546508789062])
    v = torch.vander(x, 5, increasing=True)
    assert v.tolist() == [[1.0, 0.5269546508789062, 0.2776812016963959, 0.14632539451122284, 0.07710684835910797]]
    assert torch.vander(x, 5).tolist() == [v.tolist()[0][::-1]]


def test_vander_dtypes_and_sizes():
    v = torch.vander(torch.tensor([True, False]))
    assert v.dtype == torch.int64 and v.tolist() == [[1, 1], [0, 1]]
    v = torch.vander(torch.tensor([1, 2, 3], dtype=torch.int8), N=3, increasing=True)
    assert v.dtype == torch.int64 and v.tolist() == [[1, 1, 1], [1, 2, 4], [1, 3, 9]]
    assert torch.vander(torch.tensor([1.5, 2.0], dtype=torch.float16)).dtype == torch.float16
    assert torch.vander(torch.ones(3), N=0).shape == (3, 0)
    assert torch.vander(torch.tensor([2.0, 3.0]), N=1).tolist() == [[1.0], [1.0]]
    assert torch.vander(torch.ones(0)).shape == (0, 0)


# ------------------------------------------------------------------ cov
def test_cov_one_variable_is_0d():
    assert torch.cov(torch.tensor([[1.0, 2.0]])).dim() == 0
    assert torch.cov(torch.tensor([[1.0, 2.0]])).item() == 0.5
    assert torch.cov(torch.tensor([[1, 2, 5]])).item() == pytest.approx(4.333333492279053)
    assert torch.cov(torch.tensor([[1.0, 2.0, 5.0]]), fweights=torch.tensor([1, 2, 1])).item() == 3.0
    assert torch.corrcoef(torch.tensor([[1.0, 2.0, 5.0]])).dim() == 0
    assert torch.cov(torch.tensor([[1.0, 2.0], [1.0, 3.0]])).shape == (2, 2)


@pytest.mark.parametrize("kw", [{"aweights": torch.tensor([0.0, 0.0])}, {"fweights": torch.tensor([0, 0])}])
def test_cov_weights_sum_to_zero(kw):
    _raises(RuntimeError, "cov(): weights sum to zero, can't be normalized",
            lambda: torch.cov(torch.tensor([[1.0, 2.0], [1.0, 3.0]]), **kw))


def test_cov_degrees_of_freedom_warning():
    msg = "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of observations."
    with pytest.warns(UserWarning) as record:
        c = torch.cov(torch.tensor([[1.0, 2.0, 5.0]]), correction=3)
    assert [str(w.message) for w in record] == [msg]
    assert c.item() == float("inf")
    with pytest.warns(UserWarning, match="degrees of freedom"):
        torch.cov(torch.tensor([[1.0, 2.0], [1.0, 3.0]]), correction=3, aweights=torch.tensor([1.0, 2.0]))
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert torch.cov(torch.tensor(3.0)).isnan().item()
    assert torch.cov(torch.tensor([[1.0, 2.0, 5.0]]), correction=2).item() == pytest.approx(8.666666984558105)


# ------------------------------------------------------------------ linalg: integer inputs, torch's names
LONG = torch.ones(2, 2, dtype=torch.int64)
EXPECTED_FLOAT = "Expected a floating point or complex tensor as input. Got Long"


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: torch.linalg.cond(LONG), RuntimeError, f"linalg.svd: {EXPECTED_FLOAT}"),
    (lambda: torch.linalg.cond(LONG, "nuc"), RuntimeError, f"linalg.svd: {EXPECTED_FLOAT}"),
    (lambda: torch.linalg.cond(LONG, "fro"), RuntimeError, f"linalg.inv: {EXPECTED_FLOAT}"),
    (lambda: torch.linalg.cond(LONG, 1), RuntimeError, f"linalg.inv: {EXPECTED_FLOAT}"),
    (lambda: torch.linalg.svdvals(LONG), RuntimeError, f"linalg.svd: {EXPECTED_FLOAT}"),
    (lambda: torch.linalg.inv_ex(LONG), RuntimeError, f"linalg.inv: {EXPECTED_FLOAT}"),
    (lambda: torch.linalg.cholesky_ex(LONG), RuntimeError, f"linalg.cholesky: {EXPECTED_FLOAT}"),
    (lambda: torch.linalg.solve_ex(LONG, LONG), RuntimeError, f"linalg.solve: {EXPECTED_FLOAT}"),
    (lambda: torch.linalg.matrix_rank(LONG), RuntimeError,
     "This function doesn't handle types other than float and double"),
    (lambda: torch.linalg.lstsq(LONG, LONG), RuntimeError,
     "This function doesn't handle types other than float and double"),
    (lambda: torch.linalg.eigh(LONG), NotImplementedError, "\"linalg_eigh_cpu\" not implemented for 'Long'"),
    (lambda: torch.linalg.eigvalsh(LONG), NotImplementedError, "\"linalg_eigh_cpu\" not implemented for 'Long'"),
    (lambda: torch.linalg.eigvalsh(torch.ones(2, 3)), RuntimeError,
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: torch.linalg.eigh(torch.ones(2, 3, dtype=torch.int64)), RuntimeError,
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: torch.linalg.eigh(torch.ones(2, 2, dtype=torch.float16)), NotImplementedError,
     "\"linalg_eigh_cpu\" not implemented for 'Half'"),
    (lambda: torch.linalg.lu_factor(LONG), NotImplementedError, "\"lu_cpu\" not implemented for 'Long'"),
    (lambda: torch.linalg.lu_factor_ex(LONG), NotImplementedError, "\"lu_cpu\" not implemented for 'Long'"),
    (lambda: torch.linalg.lu(LONG), NotImplementedError, "\"lu_cpu\" not implemented for 'Long'"),
    (lambda: torch.linalg.solve_triangular(LONG, LONG, upper=True), NotImplementedError,
     "\"triangular_solve_cpu\" not implemented for 'Long'"),
    (lambda: torch.cholesky_solve(LONG, LONG), NotImplementedError,
     "\"cholesky_solve_cpu\" not implemented for 'Long'"),
    (lambda: torch.linalg.householder_product(LONG, torch.ones(1, dtype=torch.int64)), NotImplementedError,
     "\"orgqr_cpu\" not implemented for 'Long'"),
    (lambda: torch.linalg.vecdot(torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64)), RuntimeError,
     f"linalg.vecdot: {EXPECTED_FLOAT}"),
    (lambda: torch.linalg.vecdot(torch.ones(2), torch.ones(2, dtype=torch.float64)), RuntimeError,
     "linalg.vecdot: Expected x and y to have the same dtype, but found x of type Float and y of type Double "
     "instead"),
])
def test_linalg_input_errors(call, exc, msg):
    _raises(exc, msg, call)


@pytest.mark.parametrize("call, msg", [
    (lambda: torch.linalg.lu_factor(torch.ones(3)),
     "torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: [3] instead"),
    (lambda: torch.linalg.lu_factor_ex(torch.ones(3)),
     "torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: [3] instead"),
    (lambda: torch.linalg.lu(torch.ones(3)),
     "linalg.lu: Expected tensor with 2 or more dimensions. Got size: [3] instead"),
    (lambda: torch.linalg.lstsq(torch.ones(3), torch.ones(3)),
     "torch.linalg.lstsq: input must have at least 2 dimensions."),
    (lambda: torch.linalg.cond(torch.ones(3)), "linalg.cond: The input tensor must have at least 2 dimensions."),
    (lambda: torch.linalg.cond(torch.ones(3), 1), "linalg.cond: The input tensor must have at least 2 dimensions."),
    (lambda: torch.linalg.cond(torch.ones(3), "nuc"),
     "linalg.cond(ord=nuc): The input tensor A must have at least 2 dimensions."),
    (lambda: torch.cholesky_solve(torch.ones(2, 2), torch.ones(3)),
     "u should have at least 2 dimensions, but has 1 dimensions instead"),
    (lambda: torch.cholesky_solve(torch.ones(3), torch.ones(2, 2)),
     "b should have at least 2 dimensions, but has 1 dimensions instead"),
    (lambda: torch.cholesky_solve(torch.ones(2, 2), torch.ones(2, 3)),
     "A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: torch.cholesky_solve(torch.ones(2, 2), torch.ones(2, 2, dtype=torch.float64)),
     "Expected b and A to have the same dtype, but found b of type Float and A of type Double instead."),
    (lambda: torch.cholesky_solve(torch.ones(3, 2), torch.ones(2, 2)),
     "Incompatible matrix sizes for cholesky_solve: each A matrix is 2 by 2 but each b matrix is 3 by 2"),
])
def test_linalg_shape_messages(call, msg):
    _raises(RuntimeError, msg, call)


def test_linalg_lu_of_singular_matrix():
    # torch.linalg.lu factors any matrix (only lu_factor refuses a zero pivot)
    P, L, U = torch.linalg.lu(torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    assert (P.tolist(), L.tolist(), U.tolist()) == ([[0.0, 1.0], [1.0, 0.0]], [[1.0, 0.0], [0.5, 1.0]],
                                                    [[2.0, 4.0], [0.0, 0.0]])
    P, L, U = torch.linalg.lu(torch.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]))
    assert U.tolist() == [[2.0, 4.0, 6.0], [0.0, 0.0, 0.0]]
    assert torch.linalg.lu(torch.ones(2, 2, 2)).U.shape == (2, 2, 2)
    with pytest.raises(RuntimeError, match="U\\[2,2\\] is zero"):
        torch.linalg.lu_factor(torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    _raises(RuntimeError, "linalg.lu_factor: LU without pivoting is not implemented on the CPU",
            lambda: torch.linalg.lu(torch.ones(2, 2), pivot=False))


# ------------------------------------------------------------------ vector_norm / matrix_norm dtype=
@pytest.mark.parametrize("call, msg", [
    (lambda: torch.linalg.vector_norm(torch.tensor([3, 4]), dtype=torch.float32),
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: torch.linalg.vector_norm(torch.tensor([3.0, 4.0]), dtype=torch.int64),
     "linalg.vector_norm: dtype should be floating point or complex, but got Long"),
    (lambda: torch.linalg.vector_norm(torch.tensor([3.0, 4.0]), dtype=torch.float16),
     "linalg.vector_norm: the dtype of the input (Float) should be convertible without narrowing to the specified "
     "dtype (Half)"),
    (lambda: torch.linalg.vector_norm(torch.tensor([3.0, 4.0], dtype=torch.bfloat16), dtype=torch.float16),
     "linalg.vector_norm: the dtype of the input (BFloat16) should be convertible without narrowing to the "
     "specified dtype (Half)"),
    (lambda: torch.linalg.matrix_norm(torch.ones(2, 2), dtype=torch.int64),
     "linalg.matrix_norm: dtype should be floating point or complex, but got Long"),
    (lambda: torch.linalg.matrix_norm(torch.ones(2, 2, dtype=torch.float64), ord="nuc", dtype=torch.float32),
     "linalg.matrix_norm: the dtype of the input (Double) should be convertible without narrowing to the "
     "specified dtype (Float)"),
    (lambda: torch.linalg.norm(torch.ones(2, 2), dtype=torch.int64),
     "linalg.vector_norm: dtype should be floating point or complex, but got Long"),
    (lambda: torch.linalg.norm(torch.ones(2, 2), ord="fro", dtype=torch.int32),
     "linalg.matrix_norm: dtype should be floating point or complex, but got Int"),
])
def test_norm_dtype_checks(call, msg):
    _raises(RuntimeError, msg, call)


def test_norm_dtype_widening_fine():
    assert torch.linalg.vector_norm(torch.tensor([3.0, 4.0]), dtype=torch.float64).dtype == torch.float64
    assert torch.linalg.vector_norm(torch.tensor([3.0, 4.0], dtype=torch.float16), dtype=torch.float32).item() == 5.0
    assert torch.linalg.matrix_norm(torch.ones(2, 2), ord=1, dtype=torch.float64).dtype == torch.float64


# ------------------------------------------------------------------ autograd.functional.jacobian, forward mode
def _jac_layout(r):
    return type(r).__name__, [type(a).__name__ for a in r] if isinstance(r, (tuple, list)) else tuple(r.shape)


def test_jacobian_forward_mode_returns_lists():
    from tinygrad_ext.autograd.functional import hessian, jacobian
    f = lambda x, y: torch.stack([x[0] * y[1], x[1].sin() + y[0] ** 2, (x * y).sum()])  # noqa: E731
    g = lambda x, y: (x * y, x + y)  # noqa: E731
    x0, y0 = torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0])
    cases = [(f, (x0, y0)), (lambda x: x * 2, x0), (lambda x: x * 2, (x0,)), (g, (x0, y0)),
             (lambda x: (x, x * 2), x0)]
    forward = [_jac_layout(jacobian(fn, ins, vectorize=True, strategy="forward-mode")) for fn, ins in cases]
    assert forward == [("list", ["Tensor", "Tensor"]), ("Tensor", (2, 2)), ("list", ["Tensor"]),
                       ("list", ["list", "list"]), ("tuple", ["Tensor", "Tensor"])]
    reverse = [_jac_layout(jacobian(fn, ins, vectorize=True)) for fn, ins in cases]
    assert reverse == [("tuple", ["Tensor", "Tensor"]), ("Tensor", (2, 2)), ("tuple", ["Tensor"]),
                       ("tuple", ["tuple", "tuple"]), ("tuple", ["Tensor", "Tensor"])]
    J = jacobian(f, (x0, y0), vectorize=True, strategy="forward-mode")
    assert J[1].tolist() == [[0.0, 1.0], [1.0, 0.0], [1.0, 2.0]]
    H = hessian(lambda x, y: (x * y).sum(), (x0, y0), vectorize=True, outer_jacobian_strategy="forward-mode")
    assert _jac_layout(H) == ("list", ["list", "list"])
    assert H[0][1].tolist() == [[1.0, 0.0], [0.0, 1.0]]


# ------------------------------------------------------------------ mode: torch's CPU tie order
def test_mode_index_follows_torch_sort_order():
    # torch sorts (value, index) pairs by value alone with std::sort (not stable); the index is the last of the
    # run in that order, not the last occurrence, once a row has more than 16 elements
    x = torch.tensor([2, 0, 2, 0, 1, 0, 1, 1, 1, 0, 2, 2, 0, 0, 1, 2, 0, 0, 2, 0, 2, 2, 2, 2, 2, 2, 1, 2, 0, 0, 1, 0, 2,
                      0, 1, 0, 1, 2, 2, 1])
    m = torch.mode(x)
    assert (m.values.item(), m.indices.item()) == (2, 20)
    rows = torch.tensor([[3.0, 2.0, 3.0, 1.0, 2.0, 2.0, 0.0, 1.0, 0.0, 0.0, 3.0, 2.0, 3.0, 0.0, 2.0, 0.0, 3.0, 0.0, 3.0,
                          1.0, 1.0, 3.0, 0.0, 3.0, 0.0, 1.0, 3.0, 1.0, 3.0, 2.0, 0.0, 2.0, 1.0, 2.0, 2.0, 1.0, 1.0],
                         [2.0, 1.0, 1.0, 2.0, 1.0, 2.0, 3.0, 0.0, 2.0, 1.0, 2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 1.0, 3.0, 3.0,
                          3.0, 2.0, 0.0, 2.0, 1.0, 3.0, 3.0, 2.0, 1.0, 1.0, 3.0, 0.0, 0.0, 1.0, 2.0, 2.0, 3.0, 3.0]])
    for dt in (torch.float32, torch.float64, torch.int64, torch.float16):
        m = torch.mode(rows.to(dt), 1)
        assert m.values.tolist() == [3, 2] and m.indices.tolist() == [0, 8]


def test_mode_small_rows_and_nan():
    assert torch.mode(torch.tensor([4] * 7)).indices.item() == 6
    m = torch.mode(torch.tensor([1.5, 2.5, 1.5, float("nan"), float("nan")]))
    assert (m.values.item(), m.indices.item()) == (1.5, 2)
    # NaN breaks std::sort's order as it does torch's: the longest run found is of 1s
    m = torch.mode(torch.tensor([1.0, float("nan"), 1.0, float("nan"), 2.0, 2.0, 2.0] * 4))
    assert (m.values.item(), m.indices.item()) == (1.0, 23)


# ------------------------------------------------------------------ topk / kthvalue: torch's CPU tie order
TIES = [1, 2, 1, 0, 1, 0, 0, 2, 1, 1, 1, 0, 2, 2, 0, 1, 0, 0, 2, 2, 0, 2, 0, 1, 0, 2, 2, 0, 1, 2, 0, 1, 1, 1, 0, 2, 2,
        1, 2, 0]
TIES_200 = [1, 0, 2, 0, 1, 0, 1, 2, 0, 0, 2, 1, 1, 0, 2, 1, 0, 1, 1, 2, 1, 2, 0, 0, 0, 1, 2, 2, 1, 1, 0, 2, 2, 1, 2, 2,
            2, 1, 1, 2, 0, 0, 0, 2, 2, 1, 1, 2, 2, 1, 0, 1, 2, 1, 0, 1, 2, 0, 0, 1, 2, 2, 1, 1, 1, 1, 0, 1, 2, 2, 0, 2,
            1, 1, 2, 1, 1, 1, 2, 0, 0, 2, 2, 0, 0, 1, 0, 0, 1, 0, 0, 1, 2, 0, 1, 1, 1, 0, 0, 1, 1, 2, 1, 2, 2, 2, 2, 1,
            0, 1, 0, 0, 1, 0, 2, 1, 2, 0, 1, 1, 2, 1, 0, 2, 0, 0, 2, 0, 2, 2, 1, 2, 0, 2, 0, 2, 1, 2, 2, 2, 0, 0, 0, 0,
            0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 2, 1, 2, 1, 2, 1, 1, 2, 2, 0, 0, 2, 1, 2, 0, 1, 0, 1, 1, 0, 2, 1, 2, 1, 0,
            2, 1, 1, 2, 1, 2, 0, 2, 0, 1, 2, 2, 1, 0, 1, 0, 1, 0, 2, 0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.float16])
def test_topk_ties_as_torch(dtype):
    # nth_element at k - 1 (then std::sort of the first k - 1) on (value, index) compared by value alone
    x = torch.tensor(TIES).to(dtype)
    assert torch.topk(x, 5).indices.tolist() == [13, 18, 35, 19, 12]
    assert torch.topk(x, 5, largest=False).indices.tolist() == [16, 22, 17, 24, 14]
    assert torch.topk(x, 20, sorted=True).indices[:8].tolist() == [29, 7, 38, 36, 12, 13, 35, 18]
    # k * 64 <= n: std::partial_sort
    y = torch.tensor(TIES_200).to(dtype)
    assert torch.topk(y, 3).indices.tolist() == [10, 7, 2]
    assert torch.topk(y, 3, largest=False).indices.tolist() == [5, 1, 3]


def test_kthvalue_quickselect_and_median_stable():
    x = torch.tensor(TIES, dtype=torch.float32)
    assert torch.kthvalue(x, 21).indices.item() == 0  # torch's quickselect
    assert torch.median(x, 0).indices.item() == 10  # the stable pick: the 20th in (value, index) order
    v, i = torch.kthvalue(x.reshape(4, 10), 3, dim=1, keepdim=True)
    assert v.shape == (4, 1) and i.shape == (4, 1)
    assert torch.kthvalue(torch.tensor(3.0), 1).values.item() == 3.0
    assert torch.kthvalue(torch.empty(0, 4), 2, dim=1).values.shape == (0,)


# ------------------------------------------------------------------ linalg: batched right-hand sides, tolerances
def test_solve_batched_vector_rhs_left_false():
    # B of A's shape less the last dim is a batch of vectors, left or not (torch's linalg_solve_is_vector_rhs)
    _raises(RuntimeError, "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 3x1)",
            lambda: torch.linalg.solve(torch.eye(3).expand(2, 3, 3), torch.ones(2, 3), left=False))
    _raises(RuntimeError, "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 3x1)",
            lambda: torch.linalg.solve(torch.eye(3), torch.ones(3), left=False))
    assert torch.linalg.solve(torch.eye(3).expand(2, 3, 3), torch.ones(2, 4, 3), left=False).shape == (2, 4, 3)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(2\) at "
                                           r"non-singleton dimension 0"):
        torch.linalg.solve(torch.eye(3).expand(2, 3, 3), torch.ones(3, 3, 1))  # (B's batch is tensor a)


def test_lstsq_dtype_and_lu_solve_messages():
    _raises(RuntimeError, "torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
            "dtype Double and other's dtype Float",
            lambda: torch.linalg.lstsq(torch.eye(3, dtype=torch.float64), torch.ones(3, 1)))
    LU, piv = torch.linalg.lu_factor(torch.eye(3) * 2)
    _raises(RuntimeError, "linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x2)",
            lambda: torch.linalg.lu_solve(LU, piv, torch.ones(4, 2), adjoint=True))
    _raises(RuntimeError, "linalg.lu_solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 2x4)",
            lambda: torch.linalg.lu_solve(LU, piv, torch.ones(2, 4), left=False, adjoint=True))
    assert torch.linalg.lu_solve(LU, piv, torch.ones(2, 3), left=False).tolist() == [[0.5] * 3] * 2


def test_norm_dim_length():
    for dim in ((0, 1, 2), ()):
        for ord in (None, 2, "fro"):
            _raises(RuntimeError, f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}",
                    lambda: torch.linalg.norm(torch.ones(2, 3, 3), ord=ord, dim=dim))


def test_tensor_tolerances_per_matrix():
    B = torch.diag(torch.tensor([3.0, 2.0, 1.0])).expand(2, 3, 3)
    assert torch.linalg.matrix_rank(B, atol=torch.tensor([0.5, 2.5])).tolist() == [3, 1]
    assert torch.linalg.matrix_rank(B, tol=torch.tensor([0.5, 2.5])).tolist() == [3, 1]
    assert torch.linalg.matrix_rank(B, rtol=torch.tensor([0.1, 0.5])).tolist() == [3, 2]
    assert torch.linalg.matrix_rank(B, hermitian=True, atol=torch.tensor([0.5, 2.5])).tolist() == [3, 1]
    assert torch.linalg.pinv(B, atol=torch.tensor([0.5, 2.5]))[1].diagonal().tolist() == pytest.approx(
        [0.3333333432674408, 0.0, 0.0])
    assert torch.linalg.pinv(B, hermitian=True, rtol=torch.tensor([0.1, 0.5]))[1].diagonal().tolist() == \
        pytest.approx([0.3333333432674408, 0.5, 0.0])
    assert torch.linalg.pinv(B, atol=torch.tensor([[0.5], [2.5]])).shape == (2, 2, 3, 3)
    # the default rtol (eps * n) only where atol is not > 0
    E = torch.diag(torch.tensor([1.0, 1e-8, 0.0])).expand(2, 3, 3)
    assert torch.linalg.matrix_rank(E, atol=torch.tensor([0.0, 1e-9])).tolist() == [1, 2]
    assert torch.linalg.matrix_rank(E, atol=0.0).tolist() == [1, 1]
    assert torch.linalg.matrix_rank(E, atol=1e-9).tolist() == [2, 2]


# ------------------------------------------------------------------ histc messages
@pytest.mark.parametrize("call, msg", [
    (lambda: torch.histc(torch.tensor([1.0, 2.0]), bins=0), "torch.histogram(): bins must be > 0, but got 0 for "
                                                            "dimension 0"),
    (lambda: torch.histc(torch.tensor([1.0, 2.0]), bins=2, min=float("inf")), "torch.histc: range of [inf, 0] is "
                                                                              "not finite"),
    (lambda: torch.histc(torch.tensor([1.0, 2.0]), bins=2, min=float("nan"), max=1),
     "torch.histc: range of [nan, 1] is not finite"),
    (lambda: torch.histc(torch.tensor([1e20, float("nan")]), bins=2), "torch.histc: range of [-nan, -nan] is not "
                                                                      "finite"),
    (lambda: torch.histc(torch.tensor([0.1, float("inf")]), bins=2), "torch.histc: range of [0.1, inf] is not finite"),
    (lambda: torch.histc(torch.tensor([1e20, float("inf")]), bins=2), "torch.histc: range of [1e+20, inf] is not "
                                                                      "finite"),
    (lambda: torch.histc(torch.tensor([1.5], dtype=torch.float64), bins=2, min=1e-7, max=float("inf")),
     "torch.histc: range of [1e-07, inf] is not finite"),
])
def test_histc_messages(call, msg):
    _raises(RuntimeError, msg, call)


# ------------------------------------------------------------------ gradient, diff, trapezoid checks
F2 = torch.arange(20.0).reshape(5, 4) ** 2


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: torch.gradient(F2, spacing=(torch.ones(5), torch.ones(4)), dim=0), RuntimeError,
     "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim arguments to have the same "
     "length, but got a spacing argument of length 2 and a dim argument of length 1."),
    (lambda: torch.gradient(F2, spacing=[1.0, 2.0], dim=[1]), RuntimeError,
     "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim arguments to have the same "
     "length, but got a spacing argument of length 2 and a dim argument of length 1."),
    (lambda: torch.gradient(F2, spacing=[1.0]), RuntimeError,
     "torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to 'self.dim() = 2', "
     "since dim argument was not given, but got a list of length 1"),
    (lambda: torch.gradient(F2, spacing=[torch.tensor(0.5), torch.tensor(1.0)]), RuntimeError,
     "torch.gradient expected each element of spacing to have one dimension, but got an element with 0 dimensions!"),
    (lambda: torch.gradient(F2, spacing=(torch.ones(5), torch.ones(2, 2))), RuntimeError,
     "torch.gradient expected each element of spacing to have one dimension, but got an element with 2 dimensions!"),
    (lambda: torch.diff(F2, prepend=torch.zeros(1, 4)), RuntimeError,
     "diff expects the shape of tensor to prepend or append to match that of input except along the differencing "
     "dimension; input.size(0) = 5, but got tensor.size(0) = 1"),
    (lambda: torch.diff(F2, prepend=torch.zeros(4), dim=0), RuntimeError,
     "diff expects prepend or append to be the same dimension as input"),
    (lambda: torch.diff(F2, prepend=torch.tensor(1.0)), RuntimeError,
     "diff expects prepend or append to be the same dimension as input"),
    (lambda: torch.trapezoid(torch.tensor([1.0, 2.0]), dx=1, dim=3), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 3)"),
    (lambda: torch.trapezoid(torch.tensor(1.0)), IndexError, "Dimension specified as -1 but tensor has no dimensions"),
    (lambda: torch.cumulative_trapezoid(torch.tensor(1.0)), IndexError,
     "slice() cannot be applied to a 0-dim tensor."),
])
def test_calculus_checks(call, exc, msg):
    _raises(exc, msg, call)


def test_gradient_spacing_forms():
    g = torch.gradient(F2, spacing=torch.tensor(0.5))  # a 0-d tensor is a scalar spacing
    assert [x.tolist() for x in g] == [x.tolist() for x in torch.gradient(F2, spacing=0.5)]
    assert torch.gradient(F2, spacing=torch.tensor(2.0), dim=1)[0].tolist() == \
        torch.gradient(F2, spacing=2.0, dim=1)[0].tolist()
    with pytest.raises(TypeError) as info:
        torch.gradient(F2, spacing=torch.tensor([0.5, 1.0]))
    assert str(info.value).startswith("gradient() received an invalid combination of arguments - got (Tensor, "
                                      "spacing=Tensor), but expected one of:\n * (Tensor input, *, tuple of ints dim, "
                                      "int edge_order = 1)\n")
    assert torch.diff(F2, dim=0, append=torch.zeros(2, 4)).shape == (6, 4)


# ------------------------------------------------------------------ special.ndtri in the tails
def test_ndtri_tails_accurate():
    p = torch.tensor([1e-300, 1e-20, 1e-10, 0.001, 0.3, 0.999, 1 - 1e-10], dtype=torch.float64)
    expected = [-37.0470962993612, -9.262340089798409, -6.361340902404056, -3.090232306167813, -0.5244005127080409,
                3.090232306167813, 6.361340889697422]
    assert torch.special.ndtri(p).tolist() == pytest.approx(expected, rel=1e-13)
    # float32: torch's values within an ulp (erfinv(2p - 1) gave -inf below p ~ 3e-8)
    assert torch.special.ndtri(torch.tensor([1e-38, 1e-20, 1e-5])).tolist() == pytest.approx(
        [-12.962360382080078, -9.262340545654297, -4.264890670776367], rel=2e-7)
    r = torch.special.ndtri(torch.tensor([0.0, 1.0, 1.5, -0.1, float("nan")], dtype=torch.float64)).tolist()
    assert r[:2] == [float("-inf"), float("inf")] and all(v != v for v in r[2:])
    _raises(NotImplementedError, "\"ndtri_cpu\" not implemented for 'Half'",
            lambda: torch.special.ndtri(torch.tensor([0.3], dtype=torch.float16)))


def test_ndtri_gradient():
    p = torch.tensor([1e-10, 0.3, 0.9], dtype=torch.float64, requires_grad=True)
    y = torch.special.ndtri(p)
    assert y.grad_fn.name() == "SpecialNdtriBackward0"
    y.sum().backward()
    assert p.grad.tolist() == pytest.approx([1535723698.1963818, 2.876103659264292, 5.698059856117003], rel=1e-9)


def test_log_ndtr_upper_tail_and_node():
    x = torch.tensor([-50.0, -1.0, 0.0, 5.0, 8.0, 10.0, 40.0], dtype=torch.float64)
    expected = [-1254.8313611394199, -1.841021645009264, -0.6931471805599453, -2.866516129637633e-07,
                -6.220960574271758e-16, -7.619853024160498e-24, -0.0]
    r = torch.special.log_ndtr(x).tolist()
    assert r == pytest.approx(expected, rel=1e-12)
    assert str(r[-1]) == "-0.0"  # (log1p(-ndtr(-x)), as torch's)
    xg = torch.tensor([-40.0, -1.0, 2.0, 6.0], dtype=torch.float64, requires_grad=True)
    y = torch.special.log_ndtr(xg)
    assert y.grad_fn.name() == "SpecialLogNdtrBackward0"
    y.sum().backward()
    assert xg.grad.tolist() == pytest.approx([40.02496884721236, 1.525135276160982, 0.05524786267898997,
                                              6.075882855817682e-09], rel=1e-9)


# ------------------------------------------------------------------ torch.special node names
def test_special_node_names():
    x = torch.tensor([0.3, 0.6], dtype=torch.float64, requires_grad=True)
    S = torch.special
    names = [S.logit(x).grad_fn.name(), S.logit(x, eps=0.1).grad_fn.name(), S.sinc(x).grad_fn.name(),
             torch.sinc(x).grad_fn.name(), S.entr(x).grad_fn.name(), S.ndtr(x).grad_fn.name(),
             S.xlog1py(x, x).grad_fn.name(), S.xlog1py(2.0, x).grad_fn.name(), S.xlog1py(x, 2.0).grad_fn.name(),
             S.multigammaln(x + 2, 2).grad_fn.name(), torch.mvlgamma(x + 2, p=2).grad_fn.name(),
             S.erfcx(x).grad_fn.name(), S.i0e(x).grad_fn.name(), S.i1(x).grad_fn.name(), S.i1e(x).grad_fn.name(),
             S.zeta(x + 1, x).grad_fn.name(), S.zeta(x + 1, 2.0).grad_fn.name(), S.zeta(2.0, x).grad_fn.name(),
             S.round(x).grad_fn.name(), S.round(x, decimals=1).grad_fn.name(), torch.round(x).grad_fn.name(),
             S.i0(x).grad_fn.name(), S.xlogy(x, x).grad_fn.name()]
    assert names == ["LogitBackward0", "LogitBackward0", "SincBackward0", "SincBackward0", "SpecialEntrBackward0",
                     "MulBackward1", "SpecialXlog1PyBackward0", "SpecialXlog1PyBackward1", "SpecialXlog1PyBackward2",
                     "MvlgammaBackward0", "MvlgammaBackward0", "SpecialErfcxBackward0", "SpecialI0EBackward0",
                     "SpecialI1Backward0", "SpecialI1EBackward0", "SpecialZetaBackward0", "SpecialZetaBackward2",
                     "SpecialZetaBackward1", "RoundBackward1", "RoundBackward1", "RoundBackward0", "I0Backward0",
                     "XlogyBackward0"]
    assert S.round(torch.tensor([2.567]), decimals=2).tolist() == pytest.approx([2.57])


def test_linalg_node_names():
    A = (torch.eye(3, dtype=torch.float64) * 2 + 0.1).requires_grad_()
    b = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    B = torch.ones(3, 2, dtype=torch.float64, requires_grad=True)
    S = (torch.eye(3, dtype=torch.float64) * 3).requires_grad_()
    L = torch.linalg.cholesky(S)
    LU, piv = torch.linalg.lu_factor(A)
    P, Lo, U = torch.linalg.lu(A)
    names = [torch.cholesky_solve(B, L).grad_fn.name(), torch.cholesky_solve(B, L, upper=True).grad_fn.name(),
             torch.cholesky_inverse(L).grad_fn.name(), torch.linalg.pinv(A).grad_fn.name(),
             torch.linalg.pinv(S, hermitian=True).grad_fn.name(), torch.linalg.lstsq(A, B).solution.grad_fn.name(),
             torch.linalg.lstsq(A, b).solution.grad_fn.name(), torch.linalg.lu_solve(LU, piv, B).grad_fn.name(),
             torch.linalg.lu_solve(LU, piv, B.T, left=False).grad_fn.name(),
             torch.linalg.lu_solve(LU, piv, B, adjoint=True).grad_fn.name(), Lo.grad_fn.name(), U.grad_fn.name(),
             torch.linalg.householder_product(A, b[:2]).grad_fn.name(), torch.linalg.cross(b, b.flip(0)).grad_fn.name(),
             torch.cross(b, b.flip(0), dim=0).grad_fn.name(), torch.dist(b, b.flip(0)).grad_fn.name(),
             torch.dist(b, b.flip(0), p=1).grad_fn.name()]
    assert names == ["CholeskySolveBackward0", "CholeskySolveBackward0", "CholeskyInverseBackward0",
                     "LinalgPinvBackward0", "LinalgPinvBackward0", "LinalgLstsqBackward0", "LinalgLstsqBackward0",
                     "LinalgLuSolveBackward0", "LinalgLuSolveBackward0", "LinalgLuSolveBackward0", "LinalgLuBackward0",
                     "LinalgLuBackward0", "LinalgHouseholderProductBackward0", "LinalgCrossBackward0",
                     "LinalgCrossBackward0", "DistBackward0", "DistBackward0"]
    assert P.grad_fn is None
