"""torch.profiler and torch.utils.benchmark: the events of a small model's forward (names, counts, nesting, shapes,
memory), the chrome trace, schedule steps, the core functions put back after the profile (also after an exception);
Timer / Measurement / Compare against torch's layouts (literals taken from torch 2.13; also compared live when
torch is importable)."""
import json
import random
import threading

import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F
from tinygrad_ext import _C, _plan
from tinygrad_ext.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule
from tinygrad_ext.utils import benchmark

N, W, R, RS = ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


def _core_refs():
    """Every reference the package holds to a core function, and the core module's attributes."""
    return ([_plan._get(s) for s in _plan._core_sites()], {n: getattr(_C, n) for n in dir(_C) if not n.startswith("_")},
            dict(vars(F)))


def _names(events):
    return [e.name for e in events]


# ------------------------------------------------------------------------------------------ events
def test_forward_events_names_counts_and_nesting():
    model, x = _model(), torch.randn(5, 8)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        with record_function("model_inference"):
            model(x)
    events = prof.events()
    assert events[0].name == "model_inference" and events[0].is_user_annotation
    top = events[0]
    ops = [e for e in events if e is not top]
    assert ops and all(e.name.startswith("aten::") for e in ops)
    # as in torch: linear is one op (a range around its core calls), relu is a core call of its own
    assert _names(top.cpu_children) == ["aten::linear", "aten::relu", "aten::linear"]
    linears = top.cpu_children[::2]
    assert [_names(e.cpu_children) for e in linears] == [["aten::t", "aten::addmm"]] * 2  # (torch's: linear calls t())
    assert _names(ops).count("aten::addmm") == 2 and _names(ops).count("aten::relu") == 1
    # self time = total less the children's; a range's total holds its children
    children = top.cpu_children
    assert top.self_cpu_time_total == pytest.approx(top.cpu_time_total - sum(e.cpu_time_total for e in children))
    assert linears[0].self_cpu_time_total == pytest.approx(
        linears[0].cpu_time_total - sum(e.cpu_time_total for e in linears[0].cpu_children))
    assert top.cpu_time_total >= sum(e.cpu_time_total for e in children) > 0
    for e in ops:
        assert e.start_us >= top.start_us and e.end_us <= top.end_us
    avg = {a.key: a for a in prof.key_averages()}
    assert avg["aten::addmm"].count == 2 and avg["model_inference"].count == 1
    assert avg["aten::addmm"].cpu_time_total == pytest.approx(
        sum(e.cpu_time_total for e in ops if e.name == "aten::addmm"))


def test_nested_record_function_and_decorator():
    x = torch.randn(3, 3)

    @record_function("decorated")
    def f(t):
        return t.relu()

    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                torch.mm(x, x)
            f(x)
    by = {e.name: e for e in prof.events()}
    assert by["inner"].cpu_parent is by["outer"] and by["decorated"].cpu_parent is by["outer"]
    assert by["aten::mm"].cpu_parent is by["inner"] and by["aten::relu"].cpu_parent is by["decorated"]
    outer = by["outer"]
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - by["inner"].cpu_time_total - by["decorated"].cpu_time_total)
    # outside a profile a record_function is a no-op
    with record_function("nothing"):
        pass
    assert f(x).shape == (3, 3)


def test_ops_of_another_thread_are_not_nested_in_this_threads_ranges():
    x = torch.randn(3, 3)
    worker = threading.Thread(target=lambda: x.exp())
    with profile() as prof:
        with record_function("main"):
            worker.start()
            worker.join()
            x.relu()
    by = {e.name: e for e in prof.events()}
    assert by["aten::relu"].cpu_parent is by["main"] and by["aten::exp"].cpu_parent is None
    assert by["aten::exp"].thread != by["main"].thread


def test_record_shapes_and_group_by_input_shape():
    x = torch.randn(5, 8)
    with profile(record_shapes=True) as prof:
        torch.mm(x, torch.randn(8, 3))
        torch.mm(torch.randn(2, 2), torch.randn(2, 2))
    mm = [e for e in prof.events() if e.name == "aten::mm"]
    assert [e.input_shapes for e in mm] == [[[5, 8], [8, 3]], [[2, 2], [2, 2]]]
    grouped = [a for a in prof.key_averages(group_by_input_shape=True) if a.key == "aten::mm"]
    assert len(grouped) == 2 and all(a.count == 1 for a in grouped)
    assert [a.count for a in prof.key_averages() if a.key == "aten::mm"] == [2]
    table = prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=10)
    assert "Input Shapes" in table and "[[5, 8], [8, 3]]" in table
    assert "Input Shapes" not in prof.key_averages().table()
    with profile() as prof:
        torch.mm(x, torch.randn(8, 3))
    assert all(e.input_shapes == [] for e in prof.events())


def test_profile_memory_counts_new_outputs_not_views():
    x = torch.randn(5, 16)
    with profile(profile_memory=True) as prof:
        with record_function("block"):
            y = x.relu()
            x.t()
    by = {e.name: e for e in prof.events()}
    assert by["aten::relu"].self_cpu_memory_usage == 5 * 16 * 4
    assert by["aten::t"].self_cpu_memory_usage == 0  # a view
    assert by["block"].cpu_memory_usage == 5 * 16 * 4 and by["block"].self_cpu_memory_usage == 0
    table = prof.key_averages().table(sort_by="self_cpu_memory_usage")
    assert "CPU Mem" in table and "Self CPU Mem" in table and "320 B" in table
    assert y.shape == (5, 16)


def test_table_layout_columns_and_sorting():
    x = torch.randn(64, 64)
    with profile() as prof:
        for _ in range(3):
            torch.mm(x, x)
        x.relu()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=1)
    lines = table.splitlines()
    assert lines[0] == lines[2] == lines[-2] and set(lines[0]) == {"-", " "}
    assert lines[1].split() == ["Name", "Self", "CPU", "%", "Self", "CPU", "CPU", "total", "%", "CPU", "total",
                                "CPU", "time", "avg", "#", "of", "Calls"]
    assert len(lines) == 6 and lines[-1].startswith("Self CPU time total: ")
    assert lines[3].split()[0] == max(prof.key_averages(), key=lambda a: a.self_cpu_time_total).key
    # torch's column widths: the name column is the longest name + 4, the others 12, two spaces between
    width = max(len(a.key) for a in prof.key_averages()) + 4
    assert lines[0] == "-" * width + "  " + ("-" * 12 + "  ") * 6
    counts = prof.key_averages().table(sort_by="count")
    assert counts.splitlines()[3].split()[0] == "aten::mm" and counts.splitlines()[3].split()[-1] == "3"
    with pytest.raises(AttributeError):
        prof.key_averages().table(sort_by="no_such_column")


def test_chrome_trace_is_valid_json(tmp_path):
    model, x = _model(), torch.randn(5, 8)
    with profile(record_shapes=True) as prof:
        with record_function("model_inference"):
            model(x)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    data = json.loads(path.read_text())
    events = data["traceEvents"]
    assert len(events) == len(prof.events())
    for e in events:
        assert e["ph"] == "X" and isinstance(e["ts"], float) and e["dur"] >= 0 and isinstance(e["name"], str)
    assert events[0]["name"] == "model_inference" and events[0]["cat"] == "user_annotation"
    assert {"aten::addmm", "aten::relu"} <= {e["name"] for e in events}


def test_with_stack_source_location_and_export_stacks(tmp_path):
    x = torch.randn(4, 4)
    with profile(with_stack=True) as prof:
        x.exp()
    (ev,) = [e for e in prof.events() if e.name == "aten::exp"]
    assert ev.stack and "test_with_stack_source_location_and_export_stacks" in "\n".join(ev.stack)
    assert not any("profiler/__init__.py" in f for f in ev.stack)  # (the profiler's own frames are left out)
    table = prof.key_averages(group_by_stack_n=3).table(sort_by="self_cpu_time_total")
    assert "Source Location" in table and "Source Location" not in prof.key_averages().table()
    path = tmp_path / "stacks.txt"
    prof.export_stacks(str(path), "self_cpu_time_total")
    line = path.read_text().splitlines()[0]
    frames, value = line.rsplit(" ", 1)
    assert int(value) >= 0 and frames.split(";")[-1] == ev.stack[0].replace(" ", "_")


def test_with_flops_counts_matrix_products_and_convolutions():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * 8 * 8, 10))
    x = torch.randn(2, 3, 8, 8)
    with profile(with_flops=True) as prof:
        model(x)
        torch.mm(torch.ones(4, 5), torch.ones(5, 6))
        torch.ones(3) * 2
    flops = {e.name: e.flops for e in prof.events()}
    assert flops["aten::conv2d"] == 2 * (2 * 8 * 8 * 8) * (3 * 3 * 3)  # 2 x output elements x C_in x kernel
    assert flops["aten::addmm"] == 2 * 2 * 512 * 10 and flops["aten::mm"] == 2 * 4 * 5 * 6
    assert flops["aten::mul"] == 3 and flops["aten::linear"] == 0
    table = prof.key_averages().table(sort_by="cpu_time_total")
    assert "Total FLOPs" in table.splitlines()[1] and "55296.000" in table and "--" in table
    with profile() as prof:
        torch.mm(torch.ones(4, 5), torch.ones(5, 6))
    assert "FLOPs" not in prof.key_averages().table()


def test_table_matches_torch_build_table_live():
    profiler_util = pytest.importorskip("torch.autograd.profiler_util")
    x, w = torch.randn(5, 8), torch.randn(8, 8)
    with profile(record_shapes=True, profile_memory=True, with_stack=True) as prof:
        with record_function("outer_range_name"):
            for _ in range(3):
                torch.mm(x, w)
            x.relu()
            with record_function("inner"):
                x.exp()
    ours = prof.events()
    theirs = {e.id: profiler_util.FunctionEvent(
        id=e.id, name=e.name, thread=0, start_us=e.start_us, end_us=e.end_us, input_shapes=e.input_shapes,
        cpu_memory_usage=e.cpu_memory_usage, is_user_annotation=e.is_user_annotation, stack=list(e.stack))
        for e in ours}
    for e in ours:
        for c in e.cpu_children:
            theirs[e.id].append_cpu_child(theirs[c.id])
            theirs[c.id].set_cpu_parent(theirs[e.id])
    events = profiler_util.EventList(list(theirs.values()), profile_memory=True)
    events._tree_built = True
    for sort_by in ("cpu_time_total", "self_cpu_time_total", "count", "cpu_memory_usage", None):
        for shapes in (False, True):
            for limit in (100, 2):
                assert (ours.key_averages(group_by_input_shapes=shapes).table(sort_by=sort_by, row_limit=limit) ==
                        events.key_averages(group_by_input_shapes=shapes).table(sort_by=sort_by, row_limit=limit))
    assert ours.table(sort_by="cpu_time_total") == events.table(sort_by="cpu_time_total")
    assert (ours.key_averages(group_by_stack_n=2).table(max_src_column_width=40) ==
            events.key_averages(group_by_stack_n=2).table(max_src_column_width=40))


# ------------------------------------------------------------------------------------------ schedule
def test_schedule_actions_match_torch():
    s = schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)
    assert [s(i) for i in range(8)] == [N, N, W, R, RS, N, N, N]
    s = schedule(wait=1, warmup=1, active=2)
    assert [s(i) for i in range(10)] == [N, W, R, RS, N, W, R, RS, N, W]
    with pytest.warns(UserWarning, match="warmup"):
        s = schedule(wait=0, warmup=0, active=1)
    assert [s(i) for i in range(3)] == [RS, RS, RS]
    with pytest.raises(AssertionError):
        schedule(wait=0, warmup=1, active=0)
    with pytest.raises(TypeError):
        schedule(1, 1, 1)  # keyword-only, as in torch


def test_profile_with_schedule_steps_and_trace_handler(tmp_path):
    x = torch.randn(4, 4)
    traces = []

    def ready(p):
        traces.append((p.step_num, sorted(e.name for e in p.events())))
        torch.profiler.tensorboard_trace_handler(str(tmp_path))(p)

    with profile(schedule=schedule(wait=1, warmup=1, active=2, repeat=2), on_trace_ready=ready) as p:
        for _ in range(10):
            torch.relu(x)
            p.step()
    # (torch 2.13 gives the same steps; it also lists aten::clamp_min, which relu calls inside)
    expected = ["ProfilerStep*", "ProfilerStep*", "aten::relu", "aten::relu"]
    assert traces == [(4, expected), (8, expected)]
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2 and all(f.name.endswith(".pt.trace.json") for f in files)
    names = {e["name"] for e in json.loads(files[0].read_text())["traceEvents"]}
    assert {"ProfilerStep#2", "ProfilerStep#3"} <= names


def test_acc_events_keeps_every_cycle():
    x = torch.randn(4, 4)
    for acc, expected in ((False, 1), (True, 2)):
        with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=2), acc_events=acc) as p:
            for _ in range(4):
                torch.relu(x)
                p.step()
        assert _names(p.events()).count("aten::relu") == expected


def test_start_stop_and_on_trace_ready_without_schedule():
    seen = []
    prof = profile(on_trace_ready=seen.append)
    prof.start()
    torch.ones(3).exp()
    prof.stop()
    assert seen == [prof] and "aten::exp" in _names(prof.events())


# ------------------------------------------------------------------------------------------ restoration
def test_core_functions_restored_after_exit_and_after_exception():
    before = _core_refs()
    with profile():
        assert _C.mm is not before[1]["mm"] and F.linear is not before[2]["linear"]  # swapped while recording
        torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    assert _core_refs() == before
    with pytest.raises(ValueError, match="boom"):
        with profile(record_shapes=True, profile_memory=True):
            torch.ones(2).exp()
            raise ValueError("boom")
    assert _core_refs() == before
    # an op raising inside the profile is still an event, and the references come back
    with pytest.raises(RuntimeError):
        with profile() as prof:
            torch.mm(torch.ones(2, 3), torch.ones(2, 3))
    assert _core_refs() == before and "aten::mm" in _names(prof.events())


def test_one_profiler_at_a_time_and_autograd_aliases():
    with profile():
        with pytest.raises(RuntimeError, match="already enabled"):
            with profile():
                pass
    x = torch.randn(3, 3, requires_grad=True)
    with torch.autograd.profiler.profile(record_shapes=True) as prof:
        with torch.autograd.profiler.record_function("fwd_bwd"):
            (x * x).sum().backward()
    assert prof.events()[0].name == "fwd_bwd" and "aten::mul" in _names(prof.events())
    assert "fwd_bwd" in prof.key_averages().table(sort_by="cpu_time_total")
    assert str(prof) == prof.events().table() and "aten::mul" in str(prof)
    with torch.autograd.profiler.profile(enabled=False) as off:
        x.exp()
    assert off.function_events is None


# ------------------------------------------------------------------------------------------ benchmark
def _measurement(label, sub, desc, threads, times, number=100, setup="pass", stmt="y @ y", module=benchmark):
    spec = module.TaskSpec(stmt=stmt, setup=setup, label=label, sub_label=sub, description=desc, num_threads=threads)
    return module.Measurement(number, list(times), spec)


_CASES = [("matmul", "[16, 16]", "mm", 1, [4.2e-4, 4.4e-4, 4.1e-4, 4.3e-4]),
          ("matmul", "[16, 16]", "add", 1, [1.1e-4, 1.2e-4]),
          ("matmul", "[64, 64]", "mm", 1, [2.07e-3]),
          ("matmul", "[64, 64]", "add", 1, [1.5e-4]),
          ("matmul", "[16, 16]", "mm", 2, [4.4e-4]),
          ("matmul", "[64, 64]", "mm", 2, [7.4e-4, 9e-4, 7e-4, 7.2e-4, 7.3e-4])]


def test_measurement_statistics_and_repr():
    m = _measurement(*_CASES[5])
    assert m.times == pytest.approx([7.4e-6, 9e-6, 7e-6, 7.2e-6, 7.3e-6])
    assert m.median == pytest.approx(7.3e-6) and m.mean == pytest.approx(7.58e-6)
    assert m.iqr == pytest.approx(7.4e-6 - 7.2e-6) and m.number_per_run == 100
    assert repr(m).startswith("<torch.utils.benchmark.utils.common.Measurement object at 0x")
    assert repr(m).split("\n", 1)[1] == ("matmul: [64, 64]\nmm\n  Median: 7.30 us\n  IQR:    0.20 us (7.20 to 7.40)\n"
                                         "  5 measurements, 100 runs per measurement, 2 threads")
    one = "matmul: [64, 64]\nmm\n  20.70 us\n  1 measurement, 100 runs , 1 thread"
    assert repr(_measurement(*_CASES[2])).split("\n", 1)[1] == one
    assert repr(_measurement(*_CASES[1])).split("\n", 1)[1] == ("matmul: [16, 16]\nadd\n  Median: 1.15 us\n"
                                                                "  2 measurements, 100 runs per measurement, 1 thread")
    m = _measurement(None, None, None, 1, [1e-6, 2e-6, 5e-6, 3e-6], setup="a = 1\nb = 2",
                     stmt="for i in range(3):\n    x")
    assert repr(m).split("\n", 1)[1] == (
        "stmt:\n  for i in range(3):\n      x\n\nsetup:\n  a = 1\n  b = 2\n\n  Median: 25.00 ns\n"
        "  IQR:    17.50 ns (17.50 to 35.00)\n  4 measurements, 100 runs per measurement, 1 thread\n"
        "  WARNING: Interquartile range is 70.0% of the median measurement.\n"
        "           This suggests significant environmental influence.")
    assert m.has_warnings and not m.meets_confidence() and m.title.startswith("stmt:")


def test_compare_layout():
    c = benchmark.Compare([_measurement(*case) for case in _CASES])
    assert str(c) == ("[----------- matmul ----------]\n                |   mm   |  add\n"
                      "1 threads: --------------------\n      [16, 16]  |   4.2  |  1.2\n"
                      "      [64, 64]  |  20.7  |  1.5\n2 threads: --------------------\n"
                      "      [16, 16]  |   4.4  |     \n      [64, 64]  |   7.3  |     \n"
                      "\nTimes are in microseconds (us).\n")
    c.trim_significant_figures()
    assert str(c) == ("[---------- matmul ---------]\n                |  mm  |  add\n1 threads: ------------------\n"
                      "      [16, 16]  |   4  |   1 \n      [64, 64]  |  21  |   2 \n2 threads: ------------------\n"
                      "      [16, 16]  |   4  |     \n      [64, 64]  |   7  |     \n"
                      "\nTimes are in microseconds (us).\n")
    with pytest.raises(ValueError, match="Measurement"):
        benchmark.Compare([1.0])


def test_compare_and_repr_match_torch_live():
    torch_benchmark = pytest.importorskip("torch.utils.benchmark")
    rng = random.Random(0)
    cases = []
    for label in ("matmul", "add"):
        for threads in (1, 4):
            for sub in ("[16, 16]", "[1024, 1024]"):
                for desc in ("mm", "a longer description"):
                    base = rng.choice([3e-7, 5e-6, 2e-4, 0.03])
                    cases.append((label, sub, desc, threads,
                                  [base * (1 + 0.3 * rng.random()) * 100 for _ in range(rng.choice([1, 3, 5, 12]))]))
    for trim, colorize, highlight in [(False, False, False), (True, True, False), (True, True, True)]:
        out = []
        for module in (torch_benchmark, benchmark):
            c = module.Compare([_measurement(*case, module=module) for i, case in enumerate(cases) if i % 5 != 1])
            if trim:
                c.trim_significant_figures()
            if colorize:
                c.colorize(rowwise=highlight)
            if highlight:
                c.highlight_warnings()
            out.append(str(c))
        assert out[0] == out[1]
    for case in cases[:8]:
        reprs = [repr(_measurement(*case, module=m, setup="a = 1")).split("\n", 1)[1]
                 for m in (torch_benchmark, benchmark)]
        assert reprs[0] == reprs[1]


def test_timer_timeit_runs_stmt_with_globals_and_threads():
    calls, threads = [], []
    previous = torch.get_num_threads()
    t = benchmark.Timer(stmt="calls.append(1); threads.append(torch.get_num_threads())", setup="calls.clear()",
                        globals={"calls": calls, "threads": threads}, num_threads=1, label="L", description="d")
    m = t.timeit(300)
    assert isinstance(m, benchmark.Measurement) and m.number_per_run == 300 and len(m.times) == 1
    assert m.mean == m.median == m.times[0] > 0 and m.iqr == 0.0
    assert len(calls) == 300  # setup ran before the timed runs (after the warm-up)
    assert set(threads) == {1} and torch.get_num_threads() == previous
    assert m.label == "L" and m.description == "d" and m.num_threads == 1 and m.stmt.startswith("calls.append")


def test_timer_autoranges():
    x = torch.randn(32, 32)
    t = benchmark.Timer(stmt="x @ x", globals={"x": x})
    m = t.blocked_autorange(min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02 and str(m.number_per_run).strip("0") == "1"
    assert len(m.times) >= 1 and m.median > 0
    seen = []
    m = t.adaptive_autorange(min_run_time=0.01, max_run_time=0.5, callback=lambda n, s: seen.append((n, s)))
    assert len(seen) == len(m.raw_times) and all(n == m.number_per_run for n, _ in seen)
    # it stopped because more than 3 blocks agreed within 10% after 0.01 s, or because 0.5 s were spent
    assert (len(m.raw_times) > 3 and m.meets_confidence(0.1) and sum(m.raw_times) >= 0.01) or sum(m.raw_times) >= 0.5
    assert m.median > 0
    with pytest.raises(NotImplementedError):
        t.autorange()
    with pytest.raises(ValueError, match="str"):
        benchmark.Timer(stmt=lambda: None)


def test_fuzzer_parameters_tensors_and_constraints():
    fuzzer = benchmark.Fuzzer(
        parameters=[benchmark.FuzzedParameter("k0", minval=1, maxval=10000, distribution="loguniform"),
                    benchmark.FuzzedParameter("k1", minval=4, maxval=64, distribution="uniform"),
                    benchmark.FuzzedParameter("k2", distribution={1: 0.5, benchmark.ParameterAlias("k1"): 0.5}),
                    benchmark.FuzzedParameter("d", distribution={2: 0.5, 3: 0.5})],
        tensors=[benchmark.FuzzedTensor("x", size=("k0", "k1", "k2"), steps=(1, 2, 1), dim_parameter="d",
                                        min_elements=128, max_elements=100000, probability_contiguous=0.5)],
        constraints=[lambda p: p["k0"] != p["k1"]], seed=0)
    draws = list(fuzzer.take(30))
    assert [p for _, _, p in fuzzer.take(30)] == [p for _, _, p in draws]  # the seed decides
    contiguous = set()
    for tensors, props, params in draws:
        x = tensors["x"]
        size = (params["k0"], params["k1"], params["k2"])[:params["d"]]
        assert tuple(x.shape) == size and 128 <= x.numel() <= 100000
        assert 1 <= params["k0"] <= 10000 and 4 <= params["k1"] <= 64 and params["k2"] in (1, params["k1"])
        assert params["k0"] != params["k1"]
        assert props["x"]["numel"] == x.numel() and props["x"]["is_contiguous"] == x.is_contiguous()
        assert x.stride()[1] >= 2  # (the step of 2 on the second dimension)
        contiguous.add(tuple(props["x"]["order"]) == tuple(range(params["d"])))
    assert contiguous == {True, False} and 0 <= fuzzer.rejection_rate < 1
    with pytest.raises(AssertionError, match="normalized"):
        benchmark.FuzzedParameter("p", distribution={1: 0.3})
    with pytest.raises(ValueError, match="Duplicate"):
        benchmark.Fuzzer([benchmark.FuzzedParameter("x", 1, 2, "uniform")], [benchmark.FuzzedTensor("x", ("x",))])
    impossible = benchmark.Fuzzer([benchmark.FuzzedParameter("n", 1, 4, "uniform")],
                                  [benchmark.FuzzedTensor("t", ("n",), min_elements=100)], seed=0)
    with pytest.raises(ValueError, match="Failed to generate a set of valid parameters"):
        next(impossible.take(1))


def test_op_fuzzers_make_broadcastable_inputs():
    from_binary = list(benchmark.op_fuzzers.binary.BinaryOpFuzzer(seed=11).take(2))
    for tensors, props, params in from_binary:
        x, y = tensors["x"], tensors["y"]
        assert x.dim() == y.dim() == params["dim"] and 4 * 1024 <= x.numel() <= 32 * 1024 ** 2
        assert all(b in (1, a) for a, b in zip(x.shape, y.shape))  # y broadcasts against x
        assert (x + y).shape == x.shape and props["y"]["numel"] == y.numel()
    (tensors, _, params), = benchmark.op_fuzzers.unary.UnaryOpFuzzer(seed=11).take(1)
    assert tuple(tensors["x"].shape) == tuple(params[f"k{i}"] for i in range(params["dim"]))
