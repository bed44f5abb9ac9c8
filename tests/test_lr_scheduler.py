"""torch.optim.lr_scheduler: each schedule's lr sequence against its closed form written here, the chainable
forms composed (ChainedScheduler, SequentialLR), step(epoch), state_dict round trips, momentum cycling, bad
arguments; and, when PyTorch is importable, every sequence against torch's own schedulers."""
import math
import warnings

import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn, optim
from tinygrad_ext.optim import lr_scheduler as L

try:
    import torch as pt
except ImportError:  # the default suite runs without PyTorch
    pt = None


def _lrs(lib, make_opt, make_sched, n, metric=None):
    """lr of every group before each of n epochs (optimizer.step() then scheduler.step())."""
    opt = make_opt(lib)
    sched = make_sched(lib.optim.lr_scheduler, opt)
    out = []
    for i in range(n):
        out.append([g["lr"] for g in opt.param_groups] + [g.get("momentum", g.get("betas", (None,))[0])
                                                          for g in opt.param_groups])
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric(i))
    return out, sched, opt


def sgd(lib, lr=1.0, momentum=0.9):
    w1, w2 = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(1))
    return lib.optim.SGD([{"params": [w1]}, {"params": [w2], "lr": lr / 2}], lr=lr, momentum=momentum)


def adam(lib, lr=1.0):
    return lib.optim.Adam([lib.nn.Parameter(lib.ones(2))], lr=lr)


def lrs_only(seq, groups=2):
    return [lr for row in seq for lr in row[:groups]]


def flat(rows):
    return [x for row in rows for x in row]


class Callable:
    """A callable object: its __dict__ is saved by LambdaLR.state_dict."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate ** epoch


SCHEDULES = [  # (id, make_sched(L, opt), epochs, closed form lr(base, epoch))
    ("lambda", lambda L, o: L.LambdaLR(o, lambda e: 1 / (1 + e)), 6, lambda b, e: b / (1 + e)),
    ("multiplicative", lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9), 6, lambda b, e: b * 0.9 ** e),
    ("step", lambda L, o: L.StepLR(o, 3, gamma=0.5), 10, lambda b, e: b * 0.5 ** (e // 3)),
    ("multistep", lambda L, o: L.MultiStepLR(o, [2, 5, 5], gamma=0.1), 8,
     lambda b, e: b * 0.1 ** sum(m <= e for m in [2, 5, 5])),
    ("constant", lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=3), 6,
     lambda b, e: b * (0.25 if e < 3 else 1.0)),
    ("linear", lambda L, o: L.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=4), 7,
     lambda b, e: b * (0.2 + 0.7 * min(e, 4) / 4)),
    ("exponential", lambda L, o: L.ExponentialLR(o, 0.8), 6, lambda b, e: b * 0.8 ** e),
    ("polynomial", lambda L, o: L.PolynomialLR(o, total_iters=5, power=2.0), 8,
     lambda b, e: b * (1 - min(e, 5) / 5) ** 2),
    ("cosine", lambda L, o: L.CosineAnnealingLR(o, T_max=4, eta_min=0.05), 13,
     lambda b, e: 0.05 + (b - 0.05) * (1 + math.cos(math.pi * e / 4)) / 2),
    ("warm_restarts", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2, eta_min=0.01), 15,
     lambda b, e: _sgdr(b, e, 2, 2, 0.01)),
    ("warm_restarts_mult1", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3), 8,
     lambda b, e: b * (1 + math.cos(math.pi * (e % 3) / 3)) / 2),
]


def _sgdr(base, epoch, t0, mult, eta_min):
    t_i, t_cur = t0, epoch
    while t_cur >= t_i:
        t_cur -= t_i
        t_i *= mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


@pytest.mark.parametrize("name,make,n,closed", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_matches_closed_form(name, make, n, closed):
    seq, sched, opt = _lrs(torch, sgd, make, n)
    expected = [lr for e in range(n) for lr in (closed(1.0, e), closed(0.5, e))]
    assert lrs_only(seq) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
    assert sched.last_epoch == n and sched.base_lrs == [1.0, 0.5]
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.5]


def test_closed_form_check_can_fail():
    seq, _, _ = _lrs(torch, sgd, lambda L, o: L.StepLR(o, 3, gamma=0.5), 5)
    assert lrs_only(seq) != pytest.approx([lr for e in range(5) for lr in (0.5 ** (e // 2), 0.25 ** (e // 2))])


@pytest.mark.parametrize("name,make,n,closed", [s for s in SCHEDULES if "warm" not in s[0]],
                         ids=[s[0] for s in SCHEDULES if "warm" not in s[0]])
def test_step_with_epoch_uses_closed_form(name, make, n, closed):
    opt = sgd(torch)
    sched = make(L, opt)
    opt.step()
    for e in (4, 1, 7):
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
            sched.step(e)
        if name not in ("lambda", "multiplicative"):  # those have no closed form: step(e) applies get_lr()
            assert sched.get_last_lr() == pytest.approx([closed(1.0, e), closed(0.5, e)])
        assert sched.last_epoch == e


def test_warm_restarts_fractional_epochs():
    opt = sgd(torch)
    sched = L.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.01)
    for epoch in (0.5, 1.25, 2.0, 3.5, 6.0, 7.75):
        sched.step(epoch)
        assert sched.get_last_lr()[0] == pytest.approx(_sgdr(1.0, epoch, 2, 2, 0.01))
    assert sched.last_epoch == 7
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


def test_chained_scheduler_composes_multiplicatively():
    opt = sgd(torch)
    chained = L.ChainedScheduler([L.ConstantLR(opt, factor=0.1, total_iters=2), L.ExponentialLR(opt, gamma=0.9)])
    got = []
    for _ in range(5):
        got.append(opt.param_groups[0]["lr"])
        opt.step()
        chained.step()
    assert got == pytest.approx([0.1, 0.09, 0.81, 0.729, 0.6561])
    assert chained.get_last_lr() == [g["lr"] for g in opt.param_groups]


def test_sequential_lr_switches_at_milestones():
    opt = sgd(torch)
    seq = L.SequentialLR(opt, [L.LinearLR(opt, start_factor=0.25, total_iters=3), L.ExponentialLR(opt, 0.5)],
                         milestones=[3])
    got = []
    for _ in range(7):
        got.append(opt.param_groups[0]["lr"])
        opt.step()
        seq.step()
    assert got == pytest.approx([0.25, 0.5, 0.75, 1.0, 0.5, 0.25, 0.125])
    state = seq.state_dict()
    assert len(state["_schedulers"]) == 2 and state["last_epoch"] == 7 and "optimizer" not in state


def test_cyclic_lr_triangular_and_momentum():
    opt = sgd(torch, lr=0.1)
    sched = L.CyclicLR(opt, base_lr=0.1, max_lr=1.1, step_size_up=4, step_size_down=2)
    lrs, moms = [], []
    for _ in range(13):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    # up in 4 steps, down in 2: x in [0, 1) per cycle of 6
    ramp = [0, 0.25, 0.5, 0.75, 1.0, 0.5]
    assert lrs == pytest.approx([0.1 + 1.0 * ramp[i % 6] for i in range(13)])
    assert moms == pytest.approx([0.9 - 0.1 * ramp[i % 6] for i in range(13)])
    assert opt.param_groups[1]["max_momentum"] == 0.9 and opt.param_groups[1]["base_momentum"] == 0.8


def test_cyclic_lr_modes_and_betas():
    seq, _, opt = _lrs(torch, adam, lambda L, o: L.CyclicLR(o, 0.1, 1.0, step_size_up=2, mode="triangular2"), 9)
    ramp = [0, 0.5, 1.0, 0.5]
    assert [r[0] for r in seq] == pytest.approx([0.1 + 0.9 * ramp[i % 4] / 2 ** (i // 4) for i in range(9)])
    assert [r[1] for r in seq][:3] == pytest.approx([0.9, 0.85, 0.8])  # beta1 cycles
    seq, _, _ = _lrs(torch, adam, lambda L, o: L.CyclicLR(o, 0.1, 1.0, step_size_up=2, mode="exp_range",
                                                          gamma=0.9, cycle_momentum=False), 9)
    assert [r[0] for r in seq] == pytest.approx([0.1 + 0.9 * ramp[i % 4] * 0.9 ** i for i in range(9)])
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        L.CyclicLR(adam(torch), 0.1, 1.0, mode="bogus")
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        L.CyclicLR(optim.Adagrad([nn.Parameter(torch.ones(1))]), 0.1, 1.0)


def test_one_cycle_lr_closed_form():
    total, max_lr = 10, 1.0
    seq, sched, _ = _lrs(torch, sgd, lambda L, o: L.OneCycleLR(o, max_lr=[max_lr, 0.5], total_steps=total), total)
    initial, final = max_lr / 25, max_lr / 25 / 1e4
    up_end = 0.3 * total - 1

    def cos_anneal(start, end, pct):
        return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
    expected = [cos_anneal(initial, max_lr, s / up_end) if s <= up_end else
                cos_anneal(max_lr, final, (s - up_end) / (total - 1 - up_end)) for s in range(total)]
    assert [r[0] for r in seq] == pytest.approx(expected, rel=1e-12)
    assert [r[2] for r in seq][0] == pytest.approx(0.95)  # momentum starts at max_momentum
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        sched.step()
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        L.OneCycleLR(sgd(torch), max_lr=1.0)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start, but got 1.5"):
        L.OneCycleLR(sgd(torch), max_lr=1.0, total_steps=5, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got x"):
        L.OneCycleLR(sgd(torch), max_lr=1.0, total_steps=5, anneal_strategy="x")


def test_reduce_lr_on_plateau():
    opt = sgd(torch)
    sched = L.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=1, cooldown=1, threshold=0.1,
                                threshold_mode="abs", min_lr=[0.2, 0.0])
    for metric in [1.0, 1.05, 1.05, 1.05, 1.05, 1.05, 1.05, 1.05, 2.0]:
        sched.step(metric)
    # bad epochs 2 -> halve (epoch 3), cooldown 1, two more bad -> halve (epoch 6); group 0 stops at min_lr 0.2
    assert sched.get_last_lr() == [0.25, 0.125]
    assert sched.best == 2.0 and sched.last_epoch == 9 and not sched.in_cooldown
    sd = sched.state_dict()
    other = L.ReduceLROnPlateau(sgd(torch))
    other.load_state_dict(sd)
    assert other.mode == "max" and other.mode_worse == -math.inf and other.patience == 1
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        L.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode max2 is unknown!"):
        L.ReduceLROnPlateau(opt, mode="max2")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        L.ReduceLROnPlateau(opt, min_lr=[0.1])


def test_state_dict_round_trip_resumes_exactly():
    def run(lib):
        opt = sgd(lib)
        sched = lib.optim.lr_scheduler.LambdaLR(opt, [Callable(0.9), lambda e: 1 / (1 + e)])
        for _ in range(3):
            opt.step()
            sched.step()
        return opt, sched
    opt, sched = run(torch)
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.9}, None] and sd["last_epoch"] == 3 and "optimizer" not in sd
    opt2 = sgd(torch)
    for g, g2 in zip(opt.param_groups, opt2.param_groups):
        g2["initial_lr"] = g["initial_lr"]
    sched2 = L.LambdaLR(opt2, [Callable(0.5), lambda e: 1 / (1 + e)], last_epoch=2)
    sched2.load_state_dict(sd)
    assert sched2.lr_lambdas[0].rate == 0.9 and sched2.last_epoch == 3
    for _ in range(2):
        sched.step()
        sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()
    steplr = L.StepLR(sgd(torch), 2)
    assert sorted(steplr.state_dict()) == ["_get_lr_called_within_step", "_is_initial", "_last_lr", "_step_count",
                                           "base_lrs", "gamma", "last_epoch", "step_size"]


def test_warnings_and_bad_arguments():
    opt = sgd(torch)
    sched = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt2 = sgd(torch)
        s2 = L.ExponentialLR(opt2, 0.5)
        opt2.step()
        s2.step()
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        L.StepLR([], 2)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        L.StepLR(sgd(torch), 2, last_epoch=3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        L.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1."):
        L.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected to be greater than 0"):
        L.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        L.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers provided to be one"):
        L.SequentialLR(opt, [L.StepLR(opt, 2), L.StepLR(opt, 3)], milestones=[])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        L.ChainedScheduler([L.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        L.ChainedScheduler([L.StepLR(opt, 2), L.StepLR(sgd(torch), 2)])


# ------------------------------------------------ against PyTorch itself (skipped without it)
TORCH_CASES = [(name, make, n) for name, make, n, _ in SCHEDULES] + [
    ("cyclic", lambda L, o: L.CyclicLR(o, [0.1, 0.05], 1.0, step_size_up=3, step_size_down=5), 20),
    ("cyclic_exp", lambda L, o: L.CyclicLR(o, 0.1, 1.0, step_size_up=2, mode="exp_range", gamma=0.95), 12),
    ("onecycle", lambda L, o: L.OneCycleLR(o, 1.0, total_steps=12, pct_start=0.25, anneal_strategy="linear"), 12),
    ("onecycle3", lambda L, o: L.OneCycleLR(o, [1.0, 2.0], epochs=3, steps_per_epoch=5, three_phase=True), 15),
    ("chained", lambda L, o: L.ChainedScheduler([L.LinearLR(o, 0.5, total_iters=3), L.StepLR(o, 2, 0.5),
                                                 L.CosineAnnealingLR(o, 5)]), 12),
    ("sequential", lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, 0.5, 2), L.MultiStepLR(o, [1, 3]),
                                                   L.PolynomialLR(o, 4)], milestones=[2, 6]), 12),
    ("cosine_past_tmax", lambda L, o: L.CosineAnnealingLR(o, T_max=3), 14),
]


@pytest.mark.skipif(pt is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("name,make,n", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_matches_pytorch(name, make, n):
    ours, s1, _ = _lrs(torch, sgd, make, n)
    theirs, s2, _ = _lrs(pt, sgd, make, n)
    assert flat(ours) == pytest.approx(flat(theirs), rel=1e-13, abs=1e-16)
    assert s1.get_last_lr() == pytest.approx(s2.get_last_lr(), rel=1e-13)
    assert sorted(s1.state_dict()) == sorted(s2.state_dict())


@pytest.mark.skipif(pt is None, reason="PyTorch is not installed")
def test_plateau_matches_pytorch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.91, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.49, 0.5]

    def make(L, o):
        return L.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1, threshold=0.05)
    ours, s1, _ = _lrs(torch, sgd, make, len(metrics), metric=metrics.__getitem__)
    theirs, s2, _ = _lrs(pt, sgd, make, len(metrics), metric=metrics.__getitem__)
    assert ours == theirs
    assert sorted(s1.state_dict()) == sorted(s2.state_dict())
