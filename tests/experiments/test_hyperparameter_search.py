"""Experiment `hyperparameter-search`: KerasTuner's random search, narrowed, ranks the trials."""

import json

import numpy as np

from kerastoolkit.experiments import hyperparameter_search as experiment


def test_the_best_trial_beats_the_median_and_trial_files_go_under_out(tmp_path):
    result = experiment.run(quick=True, verbose=0, out=tmp_path)
    trials = result.histories["trials"]
    assert len(trials) == sum(experiment.QUICK_TRIALS)
    scores = [t["val_accuracy"] for t in trials]
    best = result.rows[0]
    assert best["val_accuracy"] == max(scores) > np.median(scores)
    # Sampled log-uniformly inside the notes' first ranges; round 2 inside round 1's best.
    (lr_1, wd_1), (lr_2, wd_2) = result.histories["ranges"]
    assert (lr_1, wd_1) == ([1e-6, 1e-2], [1e-8, 1e-4])
    assert lr_1[0] <= lr_2[0] < lr_2[1] <= lr_1[1] and wd_1[0] <= wd_2[0] < wd_2[1] <= wd_1[1]
    for t in trials:
        lr, wd = (lr_1, wd_1) if t["round"] == 1 else (lr_2, wd_2)
        # The table rounds to 3 significant digits.
        assert lr[0] * 0.999 <= t["learning_rate"] <= lr[1] * 1.001
        assert wd[0] * 0.999 <= t["weight_decay"] <= wd[1] * 1.001
    # KerasTuner's own trial records and our weights, one folder per trial.
    for round_ in (1, 2):
        records = sorted((tmp_path / "tuner" / f"round_{round_}").glob("trial_*/trial.json"))
        assert len(records) == experiment.QUICK_TRIALS[round_ - 1]
        for record in records:
            saved = json.loads(record.read_text())
            assert set(saved["hyperparameters"]["values"]) == {"learning_rate", "weight_decay"}
            assert (record.parent / experiment.WEIGHTS_FILE).is_file()
