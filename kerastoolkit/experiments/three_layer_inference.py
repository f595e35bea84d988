"""Experiment `three-layer-inference`: the course's 784-50-100-10 sigmoid net, batch inference."""

from __future__ import annotations

import keras
import numpy as np

from kerastoolkit import activations, losses, optimizers, plotting
from kerastoolkit.experiments._common import (
    DEFAULT_DATASET,
    announce,
    load,
    percent,
    seed_everything,
)
from kerastoolkit.experiments._registry import Result, register
from kerastoolkit.models import three_layer_network

#: The course's layer sizes (notes 002): 784 inputs -> 50 -> 100 -> 10.
UNITS = (50, 100, 10)
#: The accuracy (%) the notes report with their pre-trained weights on MNIST's 10,000 test images.
COURSE_ACCURACY = 93.52
#: The notes' inference batch.
INFERENCE_BATCH = 100
EPOCHS = 20
TRAIN_BATCH = 100
QUICK_TRAIN, QUICK_EVAL, QUICK_EPOCHS = 1000, 500, 5


def batch_inference(model, x, t, batch_size=INFERENCE_BATCH):
    """The notes' loop: predict `batch_size` images at a time, take the arg-max, count the hits."""
    accuracy_cnt = 0
    for i in range(0, len(x), batch_size):
        y_batch = keras.ops.convert_to_numpy(model(x[i : i + batch_size], training=False))
        p = np.argmax(y_batch, axis=1)
        accuracy_cnt += int(np.sum(p == t[i : i + batch_size]))
    return accuracy_cnt / len(x)


@register("three-layer-inference",
          "the course's 784-50-100-10 sigmoid network, evaluated in batches of 100 (notes 002)")
def run(dataset=DEFAULT_DATASET, epochs=None, seed=0, quick=False, out=None, verbose=1):
    """Train the three-layer sigmoid network (our Adam), then count its hits batch by batch.

    The notes load pre-trained weights; we train ours on the data given
    first. The rows give the batch-inference accuracy beside the notes'
    93.52 % and Keras's `evaluate` accuracy of the same model, which must agree.
    """
    splits = load(dataset, seed, train_size=QUICK_TRAIN if quick else None,
                  eval_size=QUICK_EVAL if quick else None)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    (x, y), val, (x_te, y_te) = splits.train, splits.val, splits.test
    seed_everything(seed)
    model = three_layer_network(input_dim=x.shape[1], units=UNITS,
                                activation=activations.sigmoid,
                                output_activation=activations.softmax)
    model.compile(optimizers.Adam(), loss=losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    announce(f"three-layer network {x.shape[1]}-{'-'.join(map(str, UNITS))}, sigmoid", verbose)
    history = model.fit(x, y, validation_data=val, epochs=epochs, batch_size=TRAIN_BATCH,
                        verbose=verbose)
    batched = batch_inference(model, x_te, y_te)
    _, evaluated = model.evaluate(x_te, y_te, batch_size=INFERENCE_BATCH, verbose=0)
    rows = [{
        "network": f"{x.shape[1]}-{'-'.join(map(str, UNITS))} sigmoid, softmax output",
        "batch_inference_accuracy": percent(batched),
        "evaluate_accuracy": percent(evaluated),
        "test_images": len(x_te),
        "course": COURSE_ACCURACY,
    }]
    figure = plotting.plot_history({"three-layer network": history}, metric="accuracy",
                                   title=f"784-50-100-10 sigmoid network on {splits.name}")
    return Result(
        experiment="three-layer-inference",
        dataset=splits.name,
        data=splits.description,
        tables={f"test accuracy (%) by batch inference, batches of {INFERENCE_BATCH}": rows},
        histories={"three-layer network": history.history},
        figures={"three_layer_accuracy": figure},
        summary=["course: the notes' pre-trained weights on MNIST's 10,000 test images "
                 "(notes 002); ours trained for "
                 f"{epochs} epochs with kerastoolkit.optimizers.Adam on the data above"],
    )
