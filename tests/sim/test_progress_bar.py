"""``run_until_stable(progress=True)``: a progress bar for long runs that changes nothing simulated."""

from __future__ import annotations

import kcourse


def _events(progress: bool) -> list[str]:
    c = kcourse.Cluster(masters=1, workers=2, seed=3)
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    events = c.run_until_stable(progress=progress)
    return [repr(e) for e in events] + [f"now={c.now}"]


def test_progress_bar_goes_to_stderr_and_the_run_is_identical(capsys):
    quiet = _events(False)
    assert capsys.readouterr().err == ""
    shown = _events(True)
    err = capsys.readouterr().err
    assert shown == quiet
    assert len(quiet) > 1
    assert "simulated time" in err
