"""Experiment `learning-rate`: the notes' α = 0.01 / 0.4 / 0.51 on x = y = [1, 2, 3]."""

import numpy as np
import pytest

from kerastoolkit.experiments import learning_rate as experiment

# J is computed in float32 by the model and in float64 by `cost`: agree to float32 rounding.
FLOAT32_RTOL = 1e-6


def test_the_notes_cost_curve_is_two_and_a_third_at_w_0_and_2():
    assert experiment.cost(0.0) == pytest.approx(14 / 6, abs=1e-12)
    assert experiment.cost(2.0) == pytest.approx(14 / 6, abs=1e-12)
    assert experiment.cost(1.0) == 0.0
    result = experiment.run(verbose=0)
    curve = result.tables["the cost curve J(w) at b = 0"]
    assert [(r["w"], r["cost"], r["course"]) for r in curve] == [
        (0.0, 2.3333, 2.3333), (2.0, 2.3333, 2.3333)]


def test_small_rate_converges_large_one_diverges_middle_one_oscillates():
    ws, costs = {}, {}
    for rate in (0.01, 0.4, 0.51):
        ws[rate], costs[rate] = experiment.descend(rate, steps=20)
        # The model's J (LinearRegression, float32) is the notes' J(w) at b = 0.
        np.testing.assert_allclose(costs[rate], experiment.cost(ws[rate]), rtol=FLOAT32_RTOL)
    # alpha = 0.01: every step lowers J, towards w* = 1 without crossing it.
    assert np.all(np.diff(costs[0.01]) < 0) and np.all(ws[0.01] < 1.0)
    # alpha = 0.4: w jumps across w* = 1 each step, and still converges.
    assert np.all(np.diff(np.sign(ws[0.4] - 1.0)) != 0) and costs[0.4][-1] < 1e-2
    # alpha = 0.51 > 3/7: |w - 1| grows by |1 - 0.51 * 14/3| = 1.38 every step.
    np.testing.assert_allclose(np.abs(ws[0.51][1:] - 1) / np.abs(ws[0.51][:-1] - 1),
                               abs(1 - 0.51 * 14 / 3), rtol=1e-5)
    assert costs[0.51][-1] > 1e5


def test_rows_name_the_behaviour_beside_the_notes_word():
    result = experiment.run(quick=True, verbose=0)
    rows = [r for r in result.rows if r["table"].endswith("steps of gradient descent on J(w)")]
    assert [(r["learning_rate"], r["behaviour"], r["course"]) for r in rows] == [
        (0.01, "converges slowly", "slow"),
        (0.4, "oscillates, converges", "oscillating"),
        (0.51, "diverges", "diverging"),
    ]


def test_the_data_is_the_notes_three_points_only():
    with pytest.raises(ValueError, match="dataset='digits'"):
        experiment.run(dataset="digits", verbose=0)
