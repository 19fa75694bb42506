"""Trace lines are laid out for a notebook's output area: never wider than TRACE_WIDTH, never a split word.

JupyterLab wraps a stream line longer than its output area at any character
(``word-break: break-all``), which turned ``ContainerCreating`` into ``Con tainerCreating``.
The trace therefore wraps its own lines, between words, before that can happen.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from kcourse.sim.component import TRACE_WIDTH, Event, trace_lines

WORD = st.text(alphabet=string.ascii_letters + string.digits + "-/.:=()→", min_size=1, max_size=30)
MESSAGE = st.lists(WORD, min_size=1, max_size=40).map(" ".join)
KEY = st.text(alphabet=string.ascii_lowercase + string.digits + "-/", min_size=1, max_size=70)


def event(message: str, key: str = "default/web", component: str = "kubelet") -> Event:
    return Event(time=42.459, component=component, node="worker-1", verb="update", key=key, message=message)


@settings(deadline=None)  # a loaded CI machine is slow, not wrong
@given(MESSAGE, KEY)
def test_no_line_is_wider_than_the_trace_width(message: str, key: str):
    assert all(len(line) <= TRACE_WIDTH for line in trace_lines(event(message, key)))


@settings(deadline=None)  # a loaded CI machine is slow, not wrong
@given(MESSAGE, KEY)
def test_wrapping_keeps_every_word_whole_and_in_order(message: str, key: str):
    lines = trace_lines(event(message, key))
    text = " ".join(lines).split()
    assert " ".join(text).endswith(" ".join(message.split()))
    assert key in text or f"{key}:" in text


def test_a_short_event_stays_on_one_line_with_aligned_columns():
    ev = event("in sync", component="node-lifecycle-controller")
    assert (
        str(ev)
        == ev.one_line()
        == ("   42.459s  node-lifecycle-controller  update   default/web                          in sync")
    )


def test_a_long_message_goes_below_its_header_indented_under_the_component():
    ev = event("status: Pending, 0/1 ready, nginx ContainerCreating " * 3)
    head, *body = str(ev).splitlines()
    assert head == "   42.459s  kubelet                    update   default/web"
    assert body and all(line.startswith(" " * 12) and not line.startswith(" " * 13) for line in body)
    assert "ContainerCreating" in " ".join(body).split()


def test_a_word_longer_than_a_line_is_kept_whole():
    word = "x" * (TRACE_WIDTH + 5)
    assert any(word in line for line in trace_lines(event(f"see {word} here")))


def test_one_line_is_what_logs_and_error_messages_use():
    ev = event("a message " * 20)
    assert "\n" not in ev.one_line() and ev.one_line().endswith(ev.message)


def test_a_packets_path_wraps_its_hops_between_words_under_their_column():
    """reach() prints iptables rules up to 180 characters long: they wrap, words whole, column kept."""
    import kcourse
    from kcourse.sim.network import reach

    c = kcourse.Cluster(seed=9)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=2 --port=80")
    c.kubectl("expose deployment web --port=80")
    c.kubectl("run client --image=busybox:1.36 -- sleep infinity")
    c.run_until_stable()
    path = reach(c, "client", "web", 80)
    lines = str(path).splitlines()
    assert all(len(line) <= TRACE_WIDTH for line in lines)
    assert " ".join(" ".join(lines).split()) == " ".join(str_unwrapped(path).split())
    continued = [line for line in lines[1:] if line.startswith(" " * 35)]
    assert continued and all(not line.startswith(" " * 36) for line in continued)


def str_unwrapped(path) -> str:
    return "\n".join(
        [
            f"{path.source} -> {path.destination}",
            *(f"{i}. {h.where} {h.what}" for i, h in enumerate(path.hops, 1)),
            ("OK: " if path.ok else "FAILED: ") + path.verdict,
        ]
    )
