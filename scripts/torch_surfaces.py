"""The loss surfaces in torch, literal mirrors of ``surfaces/functions.py`` with each surface's
registry start and default params, for the golden-data generators (which import nothing from the
project: no jax in their venv). tests/test_torch_golden.py checks the stored starts and params."""

import torch


def rosenbrock(xy, params):
    return (1.0 - xy[0]) ** 2 + 100.0 * (xy[1] - xy[0] ** 2) ** 2


def ravine(xy, params):
    theta = torch.deg2rad(torch.tensor(params["angle"]))
    c, s = torch.cos(theta), torch.sin(theta)
    u = c * xy[0] + s * xy[1]
    w = -s * xy[0] + c * xy[1]
    return 0.5 * (u**2 / params["condition_number"] + w**2)


def himmelblau(xy, params):
    x, y = xy[0], xy[1]
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def cliff(xy, params):
    bowl = 0.1 * ((xy[0] + 2.0) ** 2 + xy[1] ** 2)
    return bowl + params["height"] * torch.sigmoid(params["steepness"] * xy[0])


SURFACES = {"rosenbrock": rosenbrock, "ravine": ravine, "himmelblau": himmelblau, "cliff": cliff}

# Each surface's registry start and default params (surfaces/registry.py); the ravine is rotated
# so its axes mix the coordinates (AdaGrad/RMSProp/Adam's per-coordinate scaling matters).
SURFACE_SETUP = {
    "rosenbrock": ((-1.5, 2.0), {}),
    "ravine": ((-3.5, 1.5), {"condition_number": 20.0, "angle": 30.0}),
    "himmelblau": ((-0.5, 0.0), {}),
    "cliff": ((4.0, 2.5), {"height": 3.0, "steepness": 25.0}),
}
