"""API discovery as the served API sends it: the API server's own, :mod:`kcourse.sim.discovery`."""

from kcourse.sim.discovery import (
    AGGREGATED,
    EXTRA_GROUPS,
    aggregated,
    api_group_list,
    api_resource_list,
    api_versions,
    group_versions,
)

__all__ = [
    "AGGREGATED",
    "EXTRA_GROUPS",
    "aggregated",
    "api_group_list",
    "api_resource_list",
    "api_versions",
    "group_versions",
]
