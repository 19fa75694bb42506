"""The ``discovery.k8s.io/v1`` group: EndpointSlices, the Service backends kube-proxy reads."""

from __future__ import annotations

from . import Kind, Printer, content_or_labels_changed

__all__ = ["ENDPOINT_SLICE"]

ENDPOINT_SLICE = Kind(
    "EndpointSlice",
    "endpointslices",
    "discovery.k8s.io",
    "v1",
    True,
    "/registry/endpointslices",
    (),
    False,
    generation=content_or_labels_changed,
    printer=Printer(("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"), "_endpointslice_row"),
    describe="describe_endpointslice",
)
