"""Experiment `hyperparameter-search`: the notes' random search, on KerasTuner, in two rounds."""

from __future__ import annotations

import tempfile
from pathlib import Path

import keras
import numpy as np

from kerastoolkit import activations, layers, losses, optimizers
from kerastoolkit.experiments._common import (
    DEFAULT_DATASET,
    accuracy,
    announce,
    load,
    new_figure,
    percent,
    seed_everything,
)
from kerastoolkit.experiments._registry import Result, register

#: The notes' first ranges (notes 003, after DLFS 6.5), both sampled log-uniformly.
LEARNING_RATE_RANGE = (1e-6, 1e-2)
WEIGHT_DECAY_RANGE = (1e-8, 1e-4)
#: The next round samples between the smallest and largest value of this many best trials.
NARROW_TO_BEST = 3
HIDDEN_UNITS = (100, 100)
BATCH_SIZE = 32
#: Trials per round and epochs per trial: full, and `--quick`.
TRIALS, EPOCHS = (10, 8), 3
QUICK_TRIALS, QUICK_EPOCHS = (4, 3), 1
QUICK_TRAIN, QUICK_EVAL = 600, 300
#: How many of the best trials the table shows.
TABLE_SIZE = 5


def _hypermodel_class():
    import keras_tuner

    class CourseMLP(keras_tuner.HyperModel):
        """Our MLP with our Adam; the learning rate and decoupled weight decay are sampled."""

        def __init__(self, input_dim, lr_range, wd_range, seed):
            super().__init__(name="course_mlp")
            self.input_dim, self.lr_range, self.wd_range, self.seed = (
                input_dim, lr_range, wd_range, seed)

        def build(self, hp):
            lr = hp.Float("learning_rate", *self.lr_range, sampling="log")
            wd = hp.Float("weight_decay", *self.wd_range, sampling="log")
            seed_everything(self.seed)  # every trial starts from the same weights
            model = keras.Sequential(
                [keras.Input((self.input_dim,))]
                + [layers.Dense(units, activation=activations.relu) for units in HIDDEN_UNITS]
                + [layers.Dense(10, activation=activations.softmax)]
            )
            model.compile(optimizers.Adam(lr, weight_decay=wd),
                          loss=losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
            return model

    return CourseMLP


#: Each trial's final weights (layer order, NumPy arrays), in its KerasTuner trial folder.
WEIGHTS_FILE = "weights.npz"


def _tuner_class():
    import keras_tuner

    class CourseSearch(keras_tuner.RandomSearch):
        """KerasTuner's random search; a trial is scored by its last epoch's validation accuracy.

        `run_trial` is KerasTuner's documented override point. Ours builds and
        fits the hypermodel, saves the final weights in the trial's folder and
        returns the score; it skips the base class's TensorBoard hook, which
        imports `tensorboard` on the TensorFlow backend.
        """

        def run_trial(self, trial, *args, **kwargs):
            hp = trial.hyperparameters
            model = self.hypermodel.build(hp)
            history = self.hypermodel.fit(hp, model, *args, **kwargs)
            np.savez(self._weights_path(trial.trial_id), *model.get_weights())
            return float(history.history["val_accuracy"][-1])

        def trained_model(self, trial_id):
            """The model of trial `trial_id` with its final weights."""
            model = self.hypermodel.build(self.oracle.get_trial(trial_id).hyperparameters)
            with np.load(self._weights_path(trial_id)) as saved:
                model.set_weights([saved[f"arr_{i}"] for i in range(len(saved.files))])
            return model

        def _weights_path(self, trial_id):
            return Path(self.get_trial_dir(trial_id)) / WEIGHTS_FILE

    return CourseSearch


def _narrowed(values):
    """The range between the smallest and largest value, widened when they coincide."""
    low, high = float(min(values)), float(max(values))
    return (low, high) if high > low else (low / 2, high * 2)


@register("hyperparameter-search",
          "random search of the learning rate and weight decay on a 6:2:2 split, ranked by "
          "validation accuracy, narrowed and repeated: KerasTuner's RandomSearch (notes 003)")
def run(dataset=DEFAULT_DATASET, epochs=None, seed=0, quick=False, out=None, verbose=1):
    """Two rounds of `keras_tuner.RandomSearch`; the second searches the first's best ranges.

    Each trial trains our MLP with our Adam for a few epochs and is scored by
    its validation accuracy (the test set is touched once, by the best
    model). Trial files go under `out/tuner` (a temporary folder when `out`
    is `None`). Rows are the best trials of both rounds.
    """
    splits = load(dataset, seed, train_size=QUICK_TRAIN if quick else None,
                  eval_size=QUICK_EVAL if quick else None)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    trials_per_round = QUICK_TRIALS if quick else TRIALS
    (x, y), val, test = splits.train, splits.val, splits.test
    scratch = tempfile.TemporaryDirectory() if out is None else None
    directory = Path(scratch.name if scratch else out) / "tuner"
    lr_range, wd_range = LEARNING_RATE_RANGE, WEIGHT_DECAY_RANGE
    trials, ranges, tuners = [], [], {}
    try:
        for round_ in range(1, len(trials_per_round) + 1):
            ranges.append((lr_range, wd_range))
            announce(f"hyperparameter-search · round {round_}: learning rate "
                     f"{lr_range[0]:.2g}…{lr_range[1]:.2g}, weight decay "
                     f"{wd_range[0]:.2g}…{wd_range[1]:.2g}", verbose)
            tuner = _tuner_class()(
                _hypermodel_class()(x.shape[1], lr_range, wd_range, seed),
                objective="val_accuracy", max_trials=trials_per_round[round_ - 1],
                seed=seed + round_, directory=str(directory), project_name=f"round_{round_}",
                overwrite=True,
            )
            tuners[round_] = tuner
            tuner.search(x, y, validation_data=val, epochs=epochs, batch_size=BATCH_SIZE,
                         verbose=verbose)
            found = [
                {"round": round_, "trial": t.trial_id,
                 "learning_rate": float(f"{t.hyperparameters['learning_rate']:.3g}"),
                 "weight_decay": float(f"{t.hyperparameters['weight_decay']:.3g}"),
                 "val_accuracy": percent(t.score)}
                for t in tuner.oracle.trials.values() if t.score is not None
            ]
            trials += found
            best = sorted(found, key=lambda t: -t["val_accuracy"])[:NARROW_TO_BEST]
            lr_range = _narrowed([t["learning_rate"] for t in best])
            wd_range = _narrowed([t["weight_decay"] for t in best])
        ranked = sorted(trials, key=lambda t: -t["val_accuracy"])
        best = ranked[0]
        best_test = percent(accuracy(tuners[best["round"]].trained_model(best["trial"]), *test))
    finally:
        if scratch:
            scratch.cleanup()
    rows = [{"rank": i + 1, **t} for i, t in enumerate(ranked[:TABLE_SIZE])]
    median = float(np.median([t["val_accuracy"] for t in trials]))
    return Result(
        experiment="hyperparameter-search",
        dataset=splits.name,
        data=splits.description,
        tables={f"best {TABLE_SIZE} of {len(trials)} trials, {epochs} "
                f"epoch{'s' if epochs > 1 else ''} each, by validation accuracy (%)": rows},
        histories={"trials": trials, "ranges": [list(map(list, r)) for r in ranges]},
        figures={"hyperparameter_search": _figure(trials, ranges)},
        summary=[f"median trial: {median:.2f} % validation accuracy; the best trial's model "
                 f"scores {best_test:.2f} % on the test set",
                 "the course (notes 003) gives the procedure (6:2:2 split, log-uniform "
                 "learning rate 1e-6…1e-2 and weight decay 1e-8…1e-4, rank, narrow, repeat) "
                 "and a scatter, not a number"],
    )


def _figure(trials, ranges):
    fig, axes = new_figure()
    ax = axes[0, 0]
    scores = [t["val_accuracy"] for t in trials]
    for round_, marker in zip(range(1, len(ranges) + 1), "o^sv"):
        mine = [t for t in trials if t["round"] == round_]
        points = ax.scatter([t["learning_rate"] for t in mine], [t["weight_decay"] for t in mine],
                            c=[t["val_accuracy"] for t in mine], cmap="viridis",
                            vmin=min(scores), vmax=max(scores), marker=marker,
                            edgecolors="k", linewidths=0.5, label=f"round {round_}")
    fig.colorbar(points, ax=ax, label="validation accuracy (%)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("weight decay")
    ax.set_title("random search: each trial's validation accuracy", fontsize="medium")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
