"""Starting a local Ray for an ingestion job: Ray gives a starting node a fixed 30 s, which a loaded or cold
machine can miss; the job stops the half-started node and tries again, and any other error goes through."""
from __future__ import annotations

import os
from typing import Any

import pytest

from qa.ingest import distributed_ray
from qa.ingest.distributed_ray import GCS_PORT_WAIT_S, START_TRIES, RayIngest

TIMEOUT = Exception("The current node timed out during startup. This could happen because some of the raylet "
                    "failed to startup or the GCS has become overloaded.")


class FakeRay:
    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors
        self.inits: list[dict[str, Any]] = []
        self.shutdowns = 0

    def init(self, **kwargs: Any) -> None:
        self.inits.append(kwargs)
        if self.errors:
            raise self.errors.pop(0)

    def shutdown(self) -> None:
        self.shutdowns += 1


@pytest.fixture
def stopped(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    seen: list[BaseException] = []
    monkeypatch.setattr(distributed_ray, "_stop_half_started", seen.append)
    return seen


def test_a_start_that_times_out_is_stopped_and_tried_again(stopped: list[BaseException]) -> None:
    ray = FakeRay([TIMEOUT])
    RayIngest(num_cpus=2, object_store_mb=64)._start_local(ray)
    assert len(ray.inits) == 2 and ray.shutdowns == 1 and stopped == [TIMEOUT]
    assert ray.inits[-1]["_node_ip_address"] == "127.0.0.1" and ray.inits[-1]["object_store_memory"] == 64 << 20


def test_a_gcs_server_that_is_slow_to_publish_its_port_is_given_longer_and_tried_again(
        stopped: list[BaseException], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_gcs_server_port_wait_time_s", "")  # recorded, so the test leaves the variable as it was
    monkeypatch.delenv("RAY_gcs_server_port_wait_time_s")
    gcs = RuntimeError("Timed out waiting for file /tmp/ray/session_x/gcs_server_port_abc")
    ray = FakeRay([gcs])
    RayIngest()._start_local(ray)
    assert len(ray.inits) == 2 and stopped == [gcs]
    assert os.environ["RAY_gcs_server_port_wait_time_s"] == str(GCS_PORT_WAIT_S)
    monkeypatch.setenv("RAY_gcs_server_port_wait_time_s", "300")  # a user's own setting stays
    RayIngest()._start_local(FakeRay([]))
    assert os.environ["RAY_gcs_server_port_wait_time_s"] == "300"


def test_the_last_timeout_is_raised(stopped: list[BaseException]) -> None:
    ray = FakeRay([TIMEOUT] * START_TRIES)
    with pytest.raises(Exception, match="timed out during startup"):
        RayIngest()._start_local(ray)
    assert len(ray.inits) == START_TRIES and len(stopped) == START_TRIES - 1


def test_other_errors_are_not_retried(stopped: list[BaseException]) -> None:
    ray = FakeRay([ValueError("num_cpus must be positive")])
    with pytest.raises(ValueError, match="num_cpus"):
        RayIngest()._start_local(ray)
    assert len(ray.inits) == 1 and not stopped


def test_the_half_started_node_is_told_to_stop() -> None:
    node_module = pytest.importorskip("ray._private.node", reason="ray is not installed")

    class Node(node_module.Node):  # type: ignore[misc, name-defined]
        killed: list[dict[str, Any]] = []

        def __init__(self) -> None:  # the failing constructor, as Ray's raises from inside its own
            raise Exception("The current node timed out during startup.")

        def kill_all_processes(self, **kwargs: Any) -> None:
            self.killed.append(kwargs)

    with pytest.raises(Exception, match="timed out") as info:
        Node()
    distributed_ray._stop_half_started(info.value)
    assert Node.killed == [{"check_alive": False, "allow_graceful": False}]
