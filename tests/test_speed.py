"""The speed audit: interleaved timings on random weights, and what untrained variants cost."""

import math

import pandas as pd

from cnnstudy.speed import time_variants, training_minutes, untrained_line, untrained_table
from conftest import conv2_layouts

THIN = {"family": "ciresan", "conv_depth": 3, "fc_depth": 1, "separable": True}
DEEP = {"family": "ciresan", "conv_depth": 4, "fc_depth": 3}


def test_every_variant_is_timed_in_every_round_interleaved_and_one_net_once():
    specs = {"thin": THIN, "deep": DEEP, "deep-elastic": dict(DEEP)}  # the same net, trained otherwise
    rows = time_variants(specs, batch=1, repeats=3, steps=1, warmup=0)
    assert [(r["variant"], r["repeat"]) for r in rows] == [
        (name, repeat) for repeat in range(3) for name in ("thin", "deep", "deep-elastic")]
    assert all(r["train_ms"] > 0 and r["latency_ms"] > 0 for r in rows)
    deep = [r for r in rows if r["variant"] == "deep"]
    assert [r["train_ms"] for r in rows if r["variant"] == "deep-elastic"] == [r["train_ms"] for r in deep]


def test_a_net_of_many_times_the_work_takes_longer_per_digit():
    """The 4-conv net does ~30x the MACs of a separable 3-conv net: its training step is slower
    per digit (a ratio, not a time limit; 5-17x measured). A stall only adds time, so each net is
    read at its least disturbed round."""
    specs = {"thin": THIN, "deep": DEEP}
    timings = pd.DataFrame(time_variants(specs, batch=4, repeats=5, steps=3, warmup=1))
    fastest = timings.groupby("variant")["train_ms"].min()
    assert fastest["deep"] > 3 * fastest["thin"]


def test_training_minutes_count_every_seed_and_the_budget_check():
    # 3 seeds of 10 epochs plus one run of 20: 50 epochs of 1,000 digits at 1.2 ms each = 60 s
    assert math.isclose(training_minutes(1.2, 1_000, 10, 3), 1.0)


def test_an_untrained_variant_gets_its_cost_and_where_to_train_it():
    audits = {"big": {"macs": 240_000_000, "params": 5_600_000}, "capped": {"macs": 1_000_000, "params": 10_000}}
    timings = pd.DataFrame([{"variant": "big", "repeat": r, "train_ms": ms, "latency_ms": 1.0}
                            for r, ms in enumerate([30.0, 40.0, 35.0])])
    plans = {"big": {"epochs": 10, "train_images": None, "seeds": 3},
             "capped": {"epochs": 4, "train_images": 100, "seeds": 2}}
    table = untrained_table(["big", "capped"], audits, timings, plans, train_digits=800)
    big, capped = table.to_dict("records")
    assert big["train_ms"] == 35.0 and big["train_images"] == 800 and big["seeds"] == 3
    assert math.isclose(big["core_minutes"], 35.0 * 800 * 10 * 5 / 60_000)
    assert capped["train_images"] == 100 and math.isnan(capped["core_minutes"])  # never timed: no estimate
    line = untrained_line(big)
    assert line == ("big: 240.0 M MACs, 5.60 M parameters; training 3 seeds and the budget check: up to about 23 "
                    "core-minutes here")
    assert "core-minutes" not in untrained_line(capped)


def test_a_variant_with_more_seeds_costs_more_to_train():
    """The power plan's seeds per variant (variants.<name>.seeds) reach the untrained cost."""
    audits = {name: {"macs": 1, "params": 1} for name in ("few", "many")}
    timings = pd.DataFrame([{"variant": name, "repeat": 0, "train_ms": 10.0, "latency_ms": 1.0}
                            for name in ("few", "many")])
    plans = {"few": {"epochs": 10, "train_images": None, "seeds": 2},
             "many": {"epochs": 10, "train_images": None, "seeds": 8}}
    few, many = untrained_table(["few", "many"], audits, timings, plans, train_digits=600).to_dict("records")
    assert math.isclose(many["core_minutes"] / few["core_minutes"], (8 + 2) / (2 + 2))
    assert "training 8 seeds" in untrained_line(many) and "training 2 seeds" in untrained_line(few)


def test_each_net_is_timed_in_the_layout_its_training_job_gives_it():
    """A CPU fp32 training job runs depth-wise nets channels_last (oneDNN's depth-wise kernels
    are NHWC) and the others NCHW: the speed audit times each as it trains."""
    from cnnstudy.speed import step_timer

    for spec, channels_last in ((THIN, True), (DEEP, False)):
        model, step = step_timer(spec, batch=2)
        layouts = conv2_layouts(model)
        step()
        assert layouts == [channels_last], spec
