"""The demo's generated Swarm (cloudlysis_devfleet.world) and the file-mode engine's on-converge
hook, without servers: a hook nobody answers pauses the update as a failing task would."""

from __future__ import annotations

import copy

from cloudlysis_devfleet.host_exporter import nats_metrics, node_metrics
from cloudlysis_devfleet.world import (
    ON_CONVERGE_LABEL,
    RELEASES,
    RunningInstance,
    image,
    is_bad,
    sd_target_group,
    swarm_document,
)

from cloudlysis_control.adapters.docker.fixture import FixtureEngine
from cloudlysis_control.swarm.normalise import normalise_service
from tests.support.net import free_port
from tests.support.wait import eventually

INSTANCES = [
    RunningInstance("gateway", "gateway", "http://127.0.0.1:8701", "1.4.2", "93b7819"),
    RunningInstance(
        "aggregate-1", "aggregate", "http://127.0.0.1:8711", "2.0.1", "c640c2d", "aggregate-1"
    ),
    RunningInstance("runner-2", "runner", "http://127.0.0.1:8716", "0.7.4", "011570b", "runner-2"),
]


def test_one_service_per_instance_with_its_version_address_and_shard() -> None:
    doc = swarm_document(INSTANCES, now=1_800_000_000)
    services = [normalise_service(s, doc["tasks"]) for s in doc["services"]]
    assert [s.service for s in services] == [
        "platform_gateway",
        "platform_aggregate-1",
        "platform_runner-2",
    ]
    for s, inst in zip(services, INSTANCES, strict=True):
        assert (s.kind, s.image, s.image_tag, s.version, s.git_sha) == (
            inst.kind,
            f"cloudlysis/{inst.kind}",
            inst.version,
            inst.version,
            inst.git_sha,
        )
        assert s.admin_url == inst.url
        assert s.labels.get("cloudlysis.shard") == inst.shard
        assert s.labels[ON_CONVERGE_LABEL] == f"{inst.url}/_devfleet/converged"
        assert (s.replicas_desired, s.replicas_running, s.update_state) == (1, 1, "completed")
        assert [t.node for t in s.tasks] == [None]  # no hostnames given: ids only
    previous = doc["services"][1]["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Image"]
    assert previous == image("aggregate", RELEASES["aggregate"].previous)
    assert doc["nodes"][0]["Description"]["Hostname"] == "demo-node-1"


def test_the_registry_knows_the_running_previous_next_and_bad_tags() -> None:
    images = set(swarm_document(INSTANCES)["images"])
    for inst in INSTANCES:
        r = RELEASES[inst.kind]
        assert {image(inst.kind, t) for t in (r.version, r.previous, r.next, r.bad)} <= images
        assert is_bad(r.bad) and not is_bad(r.next) and not is_bad(r.version)


def test_the_scrape_target_carries_the_swarm_task_labels_the_relabeling_reads() -> None:
    [group] = sd_target_group("127.0.0.1", 8711, "aggregate", "2.0.2-bad", "unknown")
    assert group["targets"] == ["127.0.0.1:8711"]
    c = "__meta_dockerswarm_container_label_cloudlysis_"
    assert group["labels"][f"{c}service"] == "aggregate"
    assert group["labels"][f"{c}version"] == group["labels"][f"{c}image_tag"] == "2.0.2-bad"
    assert group["labels"]["__meta_dockerswarm_network_name"].endswith("monitoring")


async def test_a_hook_nobody_answers_pauses_the_update() -> None:
    dead = RunningInstance(
        "aggregate-1", "aggregate", f"http://127.0.0.1:{free_port()}", "2.0.1", "c640c2d"
    )
    engine = FixtureEngine(swarm_document([dead]), converge_s=0.01, hook_timeout_s=1)
    try:
        raw = await engine.service("platform_aggregate-1")
        spec = copy.deepcopy(raw["Spec"])
        spec["TaskTemplate"]["ContainerSpec"]["Image"] = image("aggregate", "2.0.2")
        await engine.update(raw["ID"], raw["Version"]["Index"], spec)

        async def settled() -> dict[str, str] | None:
            status: dict[str, str] = (await engine.service(raw["ID"]))["UpdateStatus"]
            return status if status["State"] != "updating" else None

        status = await eventually(settled, 10, interval=0.02)
        assert status["State"] == "paused"
        assert ON_CONVERGE_LABEL in status["Message"]
        # Its task still runs the old image: the update did not converge.
        [task] = await engine.tasks(raw["ID"])
        assert task["Spec"]["ContainerSpec"]["Image"] == image("aggregate", "2.0.1")
    finally:
        await engine.close()


def test_the_exporter_stand_ins_speak_the_contract_names() -> None:
    node = node_metrics()
    assert 'node_cpu_seconds_total{cpu="0",mode="idle"}' in node
    assert "node_load1 " in node and "node_memory_MemAvailable_bytes " in node
    varz = {"server_id": "NX", "in_msgs": 12, "out_msgs": 30, "connections": 3, "mem": 1e7}
    jsz = {
        "account_details": [
            {
                "stream_detail": [
                    {
                        "name": "CONTROL_AUDIT",
                        "state": {"messages": 40},
                        "consumer_detail": [{"name": "reader", "num_pending": 5}],
                    }
                ]
            }
        ]
    }
    nats = nats_metrics(varz, jsz)
    assert 'gnatsd_varz_in_msgs{server_id="NX"} 12' in nats
    assert 'jetstream_stream_total_messages{server_id="NX",stream_name="CONTROL_AUDIT"} 40' in nats
    assert (
        'jetstream_consumer_num_pending{server_id="NX",stream_name="CONTROL_AUDIT",'
        'consumer_name="reader"} 5'
    ) in nats
