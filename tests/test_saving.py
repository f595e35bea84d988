"""kerastoolkit.saving: damaged or unknown `.keras` files fail loudly; failed saves lose nothing."""

import json
import os
import zipfile

import keras
import numpy as np
import pytest

import kerastoolkit
from kerastoolkit.saving import load_model, save_model


def _model():
    model = keras.Sequential(
        [keras.Input((3,)), kerastoolkit.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(kerastoolkit.optimizers.Adam(0.01), kerastoolkit.losses.MeanSquaredError())
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    return model


@pytest.fixture
def saved(tmp_path):
    model = _model()
    path = tmp_path / "model.keras"
    save_model(model, path)
    return model, path


def test_round_trip(saved):
    model, path = saved
    loaded = load_model(path)
    assert type(loaded.layers[0]) is kerastoolkit.layers.Dense
    assert type(loaded.optimizer) is kerastoolkit.optimizers.Adam
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_truncated_file_names_the_file(saved):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=rf"Cannot load '{path}'.*truncated or corrupted"):
        load_model(path)


def test_file_overwritten_in_place_names_the_damaged_member(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model.weights.h5")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 2048
    data[start : start + 64] = bytes(64)  # zeros inside the stored weights
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=rf"'{path}'.*'model.weights.h5' is corrupted"):
        load_model(path)


def _rename_class(path, old, new):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = members["config.json"].decode()
    assert f'"registered_name": "{old}"' in config
    members["config.json"] = config.replace(
        f'"registered_name": "{old}"', f'"registered_name": "{new}"'
    ).encode()
    json.loads(members["config.json"])  # still valid JSON
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def test_component_from_a_newer_kerastoolkit_is_named(saved):
    _, path = saved
    _rename_class(path, "kerastoolkit>Dense", "kerastoolkit>FutureDense")
    with pytest.raises(TypeError, match=rf"Cannot load '{path}'.*'kerastoolkit>FutureDense'"):
        load_model(path)


class _Unsaveable(keras.layers.Layer):
    def call(self, x):
        return x

    def get_config(self):
        raise RuntimeError("this layer cannot be serialised")


def test_failed_save_leaves_the_existing_file_intact(saved):
    _, path = saved
    before = path.read_bytes()
    broken = keras.Sequential([keras.Input((3,)), _Unsaveable()])
    with pytest.raises(RuntimeError, match="cannot be serialised"):
        save_model(broken, path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind
    load_model(path)  # still loads

    # Keras's own save, the same failure: the good file is gone.
    with pytest.raises(RuntimeError, match="cannot be serialised"):
        keras.saving.save_model(broken, path)
    assert path.read_bytes() != before


def test_overwrite_false_refuses_an_existing_file(saved):
    model, path = saved
    with pytest.raises(FileExistsError, match="model.keras"):
        save_model(model, path, overwrite=False)
