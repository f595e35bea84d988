r"""Training-time instruments: callbacks that measure what `fit` does not report."""

from __future__ import annotations

import json
import os
import shutil
import uuid

import keras
import numpy as np
from keras import ops

from kerastoolkit._autodiff import value_and_gradients

__all__ = ["GradientNormHistory", "BackupAndRestore"]


class GradientNormHistory(keras.callbacks.Callback):
    r"""Record the gradient norm of every layer on a fixed probe batch during `fit`.

    Backpropagation multiplies the gradient by each layer's local derivative
    on its way to the input. With saturating activations (sigmoid: $\sigma'
    \le 1/4$) the product shrinks geometrically with depth, so the layers
    nearest the input barely learn: the *vanishing gradient*. This callback
    makes that visible by recording, for each layer $l$ with trainable
    weights $W_l$ (kernel, bias, ...), the Euclidean norm of the loss gradient
    over all of them:

    $$\begin{aligned}
    \lVert g_l \rVert &= \sqrt{\textstyle\sum_{w \in W_l} \sum_i
        \left(\frac{\partial L(x, y)}{\partial w_i}\right)^2}
    \end{aligned}$$

    where $L$ is the model's compiled loss (`model.compute_loss`, so
    regularization terms are included) on the probe batch $(x, y)$ = `(x, y)`.

    How the gradients are obtained: `fit` does not hand its gradients to
    callbacks, and re-deriving them from a training batch inside the train
    step would need a custom `train_step`. Instead, after every epoch (and
    once before training, when `record_initial`), the callback runs its own
    forward and backward pass on the same fixed probe batch by the backend's
    automatic differentiation (TensorFlow's `GradientTape`, `jax.grad`,
    PyTorch's autograd), in inference mode (`training=False`: no dropout noise, no
    batch-norm statistics update). The optimizer never sees these gradients,
    so recording changes nothing about the training; measuring on one fixed
    batch makes successive epochs comparable. The cost is one extra
    forward/backward pass per epoch. It runs on every Keras backend.

    Args:
        x: the probe inputs, an array (or anything the model accepts).
        y: the probe targets, matching the compiled loss.
        record_initial: also record the norms before the first training step,
            as entry 0. Defaults to `True`.

    Attributes:
        history: a dict from layer name to the list of that layer's norms, one
            per recording, in the order of `model.layers`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.callbacks import GradientNormHistory
        >>> x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="hidden"),
        ...                           keras.layers.Dense(1, name="out")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> norms = GradientNormHistory(x, y)
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[norms])
        >>> sorted(norms.history), len(norms.history["out"])
        (['hidden', 'out'], 3)
    """

    def __init__(self, x, y, record_initial=True):
        super().__init__()
        if not isinstance(record_initial, bool):
            raise TypeError(
                f"`record_initial` must be a bool. Received: record_initial={record_initial!r}"
            )
        self.x = x
        self.y = y
        self.record_initial = record_initial
        self.history = {}

    def on_train_begin(self, logs=None):
        self.history = {}
        if self.record_initial:
            self._record()

    def on_epoch_end(self, epoch, logs=None):
        self._record()

    def layer_norms(self):
        """The current gradient norm of each layer with trainable weights, on the probe batch.

        Returns:
            A dict from layer name to a float, in the order of `model.layers`.
        """
        model = self.model
        layers = [layer for layer in model.layers if layer.trainable_weights]
        weights = [w for layer in layers for w in layer.trainable_weights]

        def loss():
            y_pred = model(self.x, training=False)
            return model.compute_loss(x=self.x, y=self.y, y_pred=y_pred, training=False)

        _, grads = value_and_gradients(loss, weights)
        norms, start = {}, 0
        for layer in layers:
            count = len(layer.trainable_weights)
            layer_grads = [g for g in grads[start : start + count] if g is not None]
            squares = [float(ops.sum(ops.square(g))) for g in layer_grads]
            norms[layer.name] = float(np.sqrt(sum(squares)))
            start += count
        return norms

    def _record(self):
        for name, norm in self.layer_norms().items():
            self.history.setdefault(name, []).append(norm)


class BackupAndRestore(keras.callbacks.Callback):
    r"""Back up the training state every `save_freq` batches and resume *exactly* there.

    The arguments and the backup directory's role are those of
    `keras.callbacks.BackupAndRestore`: on `fit`'s start, a backup left by an
    interrupted run (a crash, a `SIGKILL`, a preempted machine) is loaded —
    model weights and moving statistics, the layers' random-generator states
    (which `model.save_weights`, and so Keras's callback, does not save: a
    resumed `Dropout` would draw its masks afresh), optimizer slots and step
    count — and training continues from it; a finished `fit` deletes the
    backup.

    Keras 3.15's own callback resumes at the start of the interrupted epoch
    with the weights of the middle of it, so every batch seen before the
    backup is trained on twice and the result differs from an uninterrupted
    run; it also records epoch 0 in the backups of a resumed run. This one
    records how many batches of the epoch the backup contains and, on
    resume, discards those batches' updates (each is computed, then every
    backed-up variable is put back and the metrics are reset), so the run
    continues with the first batch the backup had not seen. A model that
    carries state from batch to batch (the recurrent state of
    `kerastoolkit.models.LanguageModel`'s truncated-BPTT streams) lists its
    variables in a `carried_state_variables()` method; they are backed up
    and restored too. Given the same data order
    per epoch (`shuffle=False`, or a dataset whose order depends only on the
    epoch), a resumed run ends with exactly the variables of an
    uninterrupted one. The epoch's logged metrics cover the batches trained
    after the resume.

    A backup is committed atomically: the variables go to a new `.npz`
    file, then a small JSON file naming it replaces the previous one
    (`os.replace`), so a kill at any instant leaves a complete backup. It is
    restored by position into the same model (shapes are checked).

    A resume costs up to one epoch of discarded steps (a callback cannot
    skip a batch of `fit`). On JAX, reading `self.model` from a callback
    makes Keras's trainer sync its state into the variables and read them
    back before the next step, so the same mechanism holds there (tested on
    TensorFlow and JAX).

    Args:
        backup_dir: the directory holding the backup (required); use it for
            nothing else.
        save_freq: `"epoch"` to back up at the end of every epoch, or an
            integer $n$ to back up every $n$ batches. Defaults to `"epoch"`.
        delete_checkpoint: delete the backup when `fit` completes.
            Defaults to `True`.

    Examples:
        >>> import tempfile
        >>> import keras
        >>> import numpy as np
        >>> import kerastoolkit
        >>> model = keras.Sequential([keras.Input((2,)), kerastoolkit.layers.Dense(1)])
        >>> model.compile(kerastoolkit.optimizers.Adam(0.01), "mse")
        >>> backup = kerastoolkit.callbacks.BackupAndRestore(tempfile.mkdtemp(), save_freq=2)
        >>> x = np.ones((8, 2), "float32")
        >>> len(model.fit(x, x[:, :1], batch_size=2, epochs=3, callbacks=[backup],
        ...               verbose=0).history["loss"])
        3
    """

    STATE_FILE = "state.json"

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"`backup_dir` must be a directory path. Received: {backup_dir!r}")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                "`save_freq` must be 'epoch' or a positive integer (batches). "
                f"Received: save_freq={save_freq!r}"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._epoch = 0
        self._batches_done = 0  # batches of the current epoch trained so far
        self._since_save = 0
        self._skip = 0  # batches of the resumed epoch already in the backup
        self._snapshot = None

    def _state_path(self):
        return os.path.join(self.backup_dir, self.STATE_FILE)

    def _persisted(self):
        """What a backup holds: the model's variables (weights, moving statistics, random
        generator states — `save_weights` leaves the last out), the optimizer's, and the
        state a model carries from batch to batch (`carried_state_variables()`, if any)."""
        model = self.model
        optimizer = [] if model.optimizer is None else list(model.optimizer.variables)
        carried = getattr(model, "carried_state_variables", None)
        return list(model.variables) + optimizer + (list(carried()) if carried else [])

    def _restore_snapshot(self):
        for variable, value in zip(self._persisted(), self._snapshot, strict=True):
            variable.assign(value)

    def on_train_begin(self, logs=None):
        self._epoch, self._batches_done, self._since_save, self._skip = 0, 0, 0, 0
        if not os.path.exists(self._state_path()):
            return
        if not self.model.built:
            raise ValueError(
                "BackupAndRestore needs a built model to restore a backup into: build it (call "
                f"it on a batch, or `model.build(...)`) before `fit`. Model: {self.model.name}"
            )
        with open(self._state_path()) as f:
            state = json.load(f)
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        variables = self._persisted()
        with np.load(os.path.join(self.backup_dir, state["weights"])) as saved:
            values = [saved[str(i)] for i in range(len(saved.files))]
        shapes = [tuple(v.shape) for v in variables]
        if shapes != [value.shape for value in values]:
            raise ValueError(
                f"The backup in {self.backup_dir!r} holds {len(values)} variables that do not "
                f"match this model's {len(variables)} (model + optimizer) variables; it was made "
                "by a different model. Delete the directory to start afresh."
            )
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)
        self._snapshot = values if state["batches_done"] else None
        self._epoch, self._skip = state["epoch"], state["batches_done"]
        # The trainer's start epoch: the one hook Keras offers callbacks (its
        # own BackupAndRestore sets it the same way).
        self.model._initial_epoch = self._epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._batches_done = epoch, 0

    def on_train_batch_begin(self, batch, logs=None):
        if self._skip and self._batches_done == 0:
            # Undo what epoch-start callbacks did to the backup (a model that
            # resets its carried state at every epoch).
            self._restore_snapshot()

    def on_train_batch_end(self, batch, logs=None):
        self._batches_done += 1
        if self._skip:
            # This batch's update is already in the backup: undo it, and keep
            # it out of the epoch's metrics.
            self._restore_snapshot()
            for metric in self.model.metrics:
                metric.reset_state()
            self._skip -= 1
            if not self._skip:
                self._snapshot = None
            return
        self._since_save += 1
        if self.save_freq != "epoch" and self._since_save >= self.save_freq:
            self._save()

    def on_epoch_end(self, epoch, logs=None):
        self._epoch, self._batches_done = epoch + 1, 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)

    def _save(self):
        self._since_save = 0
        os.makedirs(self.backup_dir, exist_ok=True)
        previous = None
        if os.path.exists(self._state_path()):
            with open(self._state_path()) as f:
                previous = json.load(f)["weights"]
        weights = f"backup-{uuid.uuid4().hex}.npz"
        values = {str(i): ops.convert_to_numpy(v) for i, v in enumerate(self._persisted())}
        with open(os.path.join(self.backup_dir, weights), "wb") as f:
            np.savez(f, **values)
            f.flush()
            os.fsync(f.fileno())
        state = {"weights": weights, "epoch": self._epoch, "batches_done": self._batches_done}
        tmp = self._state_path() + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._state_path())  # the commit point
        if previous is not None and previous != weights:
            os.remove(os.path.join(self.backup_dir, previous))
