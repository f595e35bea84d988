"""Keras's constructor arguments for features kerastoolkit does not implement.

Keras writes some of these into every config (`quantization_config: None`,
`synchronized: False`, `renorm: False`), so a config saved from a Keras layer
must load into ours: each is accepted at its neutral value (the feature off)
and refused, naming it, at any other value.
"""


def refuse_unless_neutral(layer, name, value, neutral, feature):
    """Raise a `ValueError` unless `value` is `neutral` (the feature switched off)."""
    same = value is None if neutral is None else (value is neutral or value == neutral)
    if not same:
        raise ValueError(
            f"{layer}: {feature} is not implemented in kerastoolkit, so `{name}` can only be "
            f"{neutral!r} (Keras's default, the feature off). Received: {name}={value!r}"
        )


def refuse_lora(layer, lora_rank, lora_alpha):
    """LoRA (Keras's `lora_rank` / `lora_alpha`) is not implemented: only `None` passes."""
    refuse_unless_neutral(layer, "lora_rank", lora_rank, None, "LoRA")
    refuse_unless_neutral(layer, "lora_alpha", lora_alpha, None, "LoRA")


def refuse_quantization(layer, quantization_config):
    """Keras's quantization is not implemented: only `quantization_config=None` passes."""
    refuse_unless_neutral(layer, "quantization_config", quantization_config, None, "quantization")


class NoLoRA:
    """`enable_lora` as Keras's Dense/Embedding/Conv name it, refusing clearly."""

    def enable_lora(self, rank, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__}: LoRA is not implemented in kerastoolkit "
            f"(enable_lora(rank={rank!r})); use the Keras layer for low-rank adaptation."
        )
