"""Experiment `three-layer-inference`: the notes' batch-inference count, on a trained network."""

import keras
import numpy as np

from kerastoolkit.experiments import three_layer_inference as experiment


def test_batch_inference_counts_hits_like_keras_evaluate():
    result = experiment.run(quick=True, verbose=0)
    (row,) = result.rows
    assert row["course"] == 93.52 and row["test_images"] == 500
    # Counting arg-max hits 100 images at a time is Keras's accuracy of the same model.
    assert row["batch_inference_accuracy"] == row["evaluate_accuracy"]
    # Five quick epochs of Adam already lift the sigmoid network far above chance (10 %).
    assert row["batch_inference_accuracy"] > 40.0


def test_batch_inference_is_independent_of_the_batch_size():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(250, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    t = keras.ops.convert_to_numpy(model(x)).argmax(axis=1)
    t[::5] = (t[::5] + 1) % 3  # every fifth label wrong: 200 of 250 hits
    for batch_size in (1, 7, 100, 250):
        assert experiment.batch_inference(model, x, t, batch_size) == 200 / 250
