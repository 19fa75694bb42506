"""Placeholder: being written."""


def install_addons(cluster):
    pass
