"""Figures of the optimizers guide: our optimizers' paths on two surfaces."""

from figure_library import figure

from kerastoolkit import optimizers, plotting

# --- optimizers -------------------------------------------------------------

BEALE_START = (1.0, 1.5)
BEALE_MINIMUM = (3.0, 0.5)
BEALE_BOUNDS = ((-0.5, 4.0), (-1.0, 2.5))
BEALE_STEPS = 300
BEALE_SETTINGS = {
    "SGD": dict(learning_rate=0.01),
    "Momentum": dict(learning_rate=0.005, momentum=0.9),
    "Nesterov": dict(learning_rate=0.005, momentum=0.9),
    "Adagrad": dict(learning_rate=0.5),
    "RMSprop": dict(learning_rate=0.01),
    "Adadelta": dict(learning_rate=10.0),
    "Adam": dict(learning_rate=0.05),
    "Nadam": dict(learning_rate=0.05),
}

VALLEY_START = (-8.0, 1.5)
VALLEY_BOUNDS = ((-9.0, 2.0), (-2.0, 2.0))
VALLEY_STEPS = 60
VALLEY_SETTINGS = {
    "SGD": dict(learning_rate=0.09),
    "Momentum": dict(learning_rate=0.02, momentum=0.9),
    "Nesterov": dict(learning_rate=0.02, momentum=0.9),
    "Adagrad": dict(learning_rate=1.0),
    "RMSprop": dict(learning_rate=0.1),
    "Adadelta": dict(learning_rate=10.0),
    "Adam": dict(learning_rate=0.3),
    "Nadam": dict(learning_rate=0.3),
}


def _optimizers(settings, names):
    return {
        f"{name} (lr={settings[name]['learning_rate']:g})": getattr(optimizers, name)(
            **settings[name]
        )
        for name in names
    }


@figure("optimizers-beale-direction")
def beale_direction():
    return plotting.plot_optimizer_paths(
        _optimizers(BEALE_SETTINGS, ["SGD", "Momentum", "Nesterov"]),
        plotting.beale, BEALE_START, BEALE_STEPS, BEALE_BOUNDS, BEALE_MINIMUM,
        title=f"Beale's function, {BEALE_STEPS} steps: direction",
    )


@figure("optimizers-beale-step-size")
def beale_step_size():
    return plotting.plot_optimizer_paths(
        _optimizers(BEALE_SETTINGS, ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "Nadam"]),
        plotting.beale, BEALE_START, BEALE_STEPS, BEALE_BOUNDS, BEALE_MINIMUM,
        title=f"Beale's function, {BEALE_STEPS} steps: step size, and both",
    )


@figure("optimizers-valley")
def valley():
    return plotting.plot_optimizer_paths(
        _optimizers(VALLEY_SETTINGS, list(VALLEY_SETTINGS)),
        plotting.narrow_valley, VALLEY_START, VALLEY_STEPS, VALLEY_BOUNDS, (0.0, 0.0),
        title=f"A narrow valley (curvature ratio 20), {VALLEY_STEPS} steps",
    )
