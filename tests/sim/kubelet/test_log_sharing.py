"""The logging addon ships the kubelet's log lines by reference: no line is copied, every one is kept.

fluent-bit's ``tail`` input (``plugins/in_tail``) reads each ``/var/log/containers/*.log`` file from
the offset in its DB to the end; the store here keeps that range of the node's own lines.
"""

from __future__ import annotations

import kcourse
from kcourse.sim.addons.logging import FLUSH_INTERVAL, LogStore


def web(c: kcourse.Cluster, name: str = "web") -> None:
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"nodeName": "worker-1", "containers": [{"name": "nginx", "image": "nginx:1.27"}]},
        }
    )


def test_shipped_lines_are_the_kubelets_own_strings_kept_after_the_pod_is_gone():
    c = kcourse.Cluster(masters=1, workers=1, seed=0)
    web(c)
    c.run_until_stable()
    c.advance(FLUSH_INTERVAL + 1)
    kl = c.kubelet("worker-1")
    link = next(k for k in kl.log_files() if "/web_default_nginx-" in k)
    own = kl.log_files()[link]
    logs = c.addons.logs
    shipped = logs.lines("web", "nginx")
    assert shipped and len(shipped) == len(own)
    assert [line.split(" ", 3)[3] for line in own] == shipped
    assert any(chunk.lines is own for chunk in logs._shipped), "the store refers to the kubelet's list"
    c.kubectl("delete pod web")
    c.run_until_stable()
    assert link not in kl.log_files()
    assert logs.lines("web", "nginx") == shipped


def test_a_line_written_after_a_flush_is_shipped_by_the_next_one_only():
    store = LogStore()
    lines = ["2025-01-01T09:00:05.000000000Z stdout F one"]
    names = ("default", "web", "nginx")
    assert store.ship("worker-1", names, lines, 0, len(lines), 10.0) == 1
    lines.append("2025-01-01T09:00:07.000000000Z stderr F two")
    assert store.lines("web", "nginx") == ["one"]
    assert store.ship("worker-1", names, lines, 1, len(lines), 20.0) == 1
    assert store.lines("web", "nginx") == ["one", "two"]
    assert [r.stream for r in store.query(text="two")] == ["stderr"]
    assert store.ship("worker-1", names, lines, 2, len(lines), 30.0) == 0
    assert store.ship("worker-1", names, lines, 5, len(lines), 30.0) == 0
    assert len(store.records) == 2


def test_a_line_without_its_own_time_takes_the_flush_time():
    store = LogStore()
    store.ship(
        "worker-1", ("default", "web", "nginx"), ["no stamp here", {"time": 3.5, "text": "dict"}], 0, 2, 42.0
    )
    records = store.query(pod="web")
    assert [(r.time, r.text) for r in records] == [(3.5, "dict"), (42.0, "no stamp here")]
    assert store.query(pod="web", since=40) == records[1:]
    assert store.query(namespace="other") == []
