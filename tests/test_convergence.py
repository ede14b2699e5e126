"""Trained far enough: the budget check as rates over synthetic runs of known lift, and the
single-run rules it replaced, shown to be fooled by the schedule on the same kind of data."""

import numpy as np
import pandas as pd
import pytest

import simulate
from cnnstudy.convergence import budget_check, fits

DELTA = 0.005


def verdicts(draws, digits, lift_points, accuracy, delta=DELTA, seeds=3, seed=0):
    """Shares of the budget check's verdicts over synthetic studies: ``seeds`` base runs and one
    twice-as-long run on the same validation digits, the long run ``lift_points`` better in truth."""
    rng = np.random.default_rng(seed)
    counts = {"trained far enough": 0, "not trained far enough": 0, "cannot tell": 0}
    for _ in range(draws):
        long, base, _ = simulate.study(rng, seeds + 1, digits, lift_points, accuracy, noise=0.3)
        counts[budget_check(base[1:], long[0], delta)["verdict"]] += 1
    return {key: value / draws for key, value in counts.items()}


@pytest.mark.parametrize("digits, accuracy, delta", [
    (2_400, 0.97, 0.005),   # the default: 2,400 validation digits, nets at about 97%, margin 0.5 pts
    (6_000, 0.993, 0.002),  # config/full.yaml: 6,000 validation digits, nets at about 99.3%, margin 0.2 pts
])
def test_fitted_runs_pass_and_runs_that_doubling_lifts_by_twice_the_margin_fail(digits, accuracy, delta):
    fitted = verdicts(400, digits, 0.0, accuracy, delta)
    assert fitted["trained far enough"] >= 0.95
    short = verdicts(400, digits, 200 * delta, accuracy - 2 * delta, delta, seed=1)
    assert short["not trained far enough"] >= 0.95


def test_a_small_validation_split_never_fails_a_fitted_run_for_a_wiggle():
    # 400 digits (one digit = 0.25 pts): no rule can tell a lift of 0 from one of 1 pt at 95% each, and
    # the check says so instead of calling a fitted run "not trained far enough"
    fitted = verdicts(400, 400, 0.0, 0.96)
    assert fitted["not trained far enough"] <= 0.05 and fitted["cannot tell"] >= 0.9
    rng = np.random.default_rng(3)
    long, base, _ = simulate.study(rng, 4, 400, 0.0, 0.96, noise=0.3)
    assert "about" in budget_check(base[1:], long[0], DELTA)["why"]


def test_the_check_reads_the_lift_on_paired_digits():
    base = np.array([1] * 95 + [0] * 5, dtype=bool)
    long = base.copy()
    long[95:98] = True  # three more digits right
    result = budget_check(np.tile(base, 30)[None], np.tile(long, 30), 0.05)
    assert result["lift"] == pytest.approx(0.03) and result["verdict"] == "trained far enough"
    assert budget_check(np.tile(base, 30), np.tile(long, 30), 0.02)["verdict"] == "not trained far enough"
    two = np.stack([np.tile(base, 30), np.tile(long, 30)])  # one base seed as good as the long run
    assert budget_check(two, np.tile(long, 30), 0.05)["lift"] == pytest.approx(0.015)
    with pytest.raises(ValueError):
        budget_check(base, long[:50], 0.05)


def test_fit_of_the_training_digits():
    history = pd.DataFrame({"train_accuracy": [0.8, 0.99], "val_accuracy": [0.9, 0.95]})
    assert fits(history, 0.95)["fits"] and not fits(history, 0.995)["fits"]


def last_window(history, window=2, gain=DELTA):
    """The rule the budget check replaced: the last ``window`` epochs raised the best validation
    accuracy by less than delta."""
    validation = history["val_accuracy"].to_numpy()
    return validation[-window:].max() - validation[:-window].max() < gain


def last_share(history, share=0.3, digits=2_400, gain=DELTA):
    """A candidate it was measured against: the epochs that spent the last 30% of the summed
    learning rate raised the best validation accuracy by less than delta or 2 standard errors."""
    validation, spent = history["val_accuracy"].to_numpy(), history["lr_sum"].to_numpy()
    before = spent <= (1 - share) * spent[-1]
    best = validation.max()
    allowance = max(gain, 2 * np.sqrt(best * (1 - best) / digits))
    return validation[~before].max() - validation[before].max() < allowance


def test_single_run_rules_are_fooled_by_the_schedule():
    """Why the budget is checked by training longer: on synthetic one-cycle runs, the last-window
    rule passes runs that doubling lifts by 2 delta, and the last-30% rule fails fitted runs whose
    accuracy climbs through the anneal (by 1.5 pts here, as the default's 4-conv runs do)."""
    rng = np.random.default_rng(4)
    short = [simulate.history(rng, 10, 2_400, 1.0, 0.965, anneal_points=0.0)[0] for _ in range(200)]
    fitted = [simulate.history(rng, 10, 2_400, 0.0, 0.97, anneal_points=1.5)[0] for _ in range(200)]
    assert np.mean([last_window(h) for h in short]) > 0.3
    assert np.mean([last_share(h) for h in fitted]) < 0.2
