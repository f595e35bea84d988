"""Figures of the losses guide: squared error vs cross-entropy on a sigmoid output."""

from figure_library import figure
from keras import ops

from kerastoolkit import activations, losses, plotting

LOGIT_RANGE = (-6.0, 6.0)


def _loss_of_logit(loss):
    """z -> loss(1, sigmoid(z)) per sample: the loss of a positive example vs its logit."""

    def of_logit(z):
        p = activations.sigmoid(z)[:, None]
        return loss(ops.ones_like(p), p)

    return of_logit


@figure("loss-mse-of-logit")
def mse_of_logit():
    return plotting.plot_activation(
        _loss_of_logit(losses.MeanSquaredError(reduction=None)),
        name="J_MSE", x_range=LOGIT_RANGE, variable="z",
    )


@figure("loss-bce-of-logit")
def bce_of_logit():
    return plotting.plot_activation(
        _loss_of_logit(losses.BinaryCrossentropy(reduction=None)),
        name="J_BCE", x_range=LOGIT_RANGE, variable="z",
    )
