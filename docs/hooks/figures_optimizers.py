"""Figures of the optimizers guide: our optimizers' paths on two surfaces."""

from figure_library import figure

from kerastoolkit.plotting import PATH_PRESETS

BEALE = PATH_PRESETS["beale"]


@figure("optimizers-beale-direction")
def beale_direction():
    return BEALE.plot(
        ["SGD", "Momentum", "Nesterov"],
        title=f"Beale's function, {BEALE.steps} steps: direction",
    )


@figure("optimizers-beale-step-size")
def beale_step_size():
    return BEALE.plot(
        ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "Nadam"],
        title=f"Beale's function, {BEALE.steps} steps: step size, and both",
    )


@figure("optimizers-valley")
def valley():
    return PATH_PRESETS["valley"].plot()
