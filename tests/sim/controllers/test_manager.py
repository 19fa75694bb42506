"""kube-controller-manager's table of controllers: one line a controller, as upstream's descriptors.

Upstream, ``cmd/kube-controller-manager/app/controllermanager.go`` builds one map,
``NewControllerDescriptors``, from which both the ``--controllers`` names and the start-up
functions come; these tests hold the simulation to the same single table.
"""

from __future__ import annotations

from kcourse.sim import Cluster
from kcourse.sim.controller import Controller
from kcourse.sim.controllers import CONTROLLER_DESCRIPTORS, CONTROLLERS, KubeControllerManager


def test_each_descriptor_names_a_controller_class_once():
    names = [name for name, _, _ in CONTROLLER_DESCRIPTORS]
    assert len(set(names)) == len(names)
    assert CONTROLLERS == tuple(names)
    from kcourse.sim.controllers import _controller_classes

    classes = _controller_classes()
    assert len(classes) == len(CONTROLLER_DESCRIPTORS)
    assert all(isinstance(cls, type) and issubclass(cls, Controller) for cls in classes)
    assert [cls.__name__ for cls in classes] == [cls for _, _, cls in CONTROLLER_DESCRIPTORS]


def test_the_leading_manager_runs_exactly_the_table_in_order():
    c = Cluster(workers=1, seed=3)
    c.run_until_stable()
    managers = [
        m
        for machine in c.machines.values()
        for m in machine.components
        if isinstance(m, KubeControllerManager)
    ]
    assert managers
    running = [type(ctl).__name__ for ctl in managers[0].controllers]
    assert running == [cls for _, _, cls in CONTROLLER_DESCRIPTORS]
