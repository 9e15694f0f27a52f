"""The model registry and promotion requests against a real MLflow server (checked through REST)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mlops_tui.backends.errors import NotFound, PromotionConflict
from mlops_tui.domain import EventKind, PromotionRequest, PromotionState
from mlops_tui.services.actions import ActionRefused, Actions
from mlops_tui.services.audit import AuditLog
from mlops_tui.services.hub import Hub
from tests.mlflow.server import MlflowServer

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
REQUEST_TAGS = {
    "mlops_tui.promotion.target",
    "mlops_tui.promotion.requester",
    "mlops_tui.promotion.requested_at",
    "mlops_tui.promotion.note",
}


def promotion_tags(server: MlflowServer, model: str, version: str) -> dict[str, str]:
    return {k: v for k, v in server.version_tags(model, version).items() if k.startswith("mlops_tui.")}


def request_for(
    model: str, version: str, requester: str = "alice", target: str = "champion", note: str = ""
) -> PromotionRequest:
    return PromotionRequest(
        model=model,
        version=version,
        target=target,
        requester=requester,
        requested_at=T0,
        note=note,
        backend="mlflow",
    )


async def test_models_and_versions_carry_aliases_even_where_search_drops_them(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend
):
    model = mlflow_model_name
    v1, v2, v3 = mlflow_server.seed_model(model, mlflow_experiment[0], versions=3)
    mlflow_server.set_alias(model, "champion", v2)
    mlflow_server.set_alias(model, "challenger", v3)
    mlflow_server.rest(
        "POST",
        "model-versions/transition-stage",
        {"name": model, "version": v1, "stage": "Staging", "archive_existing_versions": False},
    )
    # The server's own search leaves the aliases out of versions: the reason we read them per model.
    searched = mlflow_server.rest("GET", "model-versions/search", params={"filter": f"name='{model}'"})
    assert not any(v.get("aliases") for v in searched["model_versions"])

    backend = make_backend()
    data = await backend.fetch()

    ours = next(m for m in data.models if m.name == model)
    assert ours.aliases == {"champion": v2, "challenger": v3}
    assert ours.latest_version == v3
    versions = {v.version: v for v in data.versions if v.model == model}
    assert set(versions) == {v1, v2, v3}
    assert versions[v2].aliases == ("champion",)
    assert versions[v3].aliases == ("challenger",)
    assert versions[v1].aliases == () and versions[v1].stage == "Staging"
    assert versions[v1].run_id and versions[v1].source.startswith("runs:/")
    assert versions[v1].created is not None


async def test_alias_holder_reads_the_server_now(mlflow_server, mlflow_experiment, mlflow_model_name, make_backend):
    model = mlflow_model_name
    v1, v2 = mlflow_server.seed_model(model, mlflow_experiment[0])
    backend = make_backend()
    await backend.open()

    assert await backend.alias_holder(model, "champion") is None
    assert await backend.alias_holder(model + "-never-registered", "champion") is None
    mlflow_server.set_alias(model, "champion", v1)
    assert await backend.alias_holder(model, "champion") == v1
    mlflow_server.set_alias(model, "champion", v2)  # moved behind our back: we see it at once
    assert await backend.alias_holder(model, "champion") == v2


async def test_request_then_approve_moves_the_alias_and_records_the_decision(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend
):
    model = mlflow_model_name
    v1, v2 = mlflow_server.seed_model(model, mlflow_experiment[0])
    mlflow_server.set_alias(model, "champion", v1)
    backend = make_backend()
    await backend.open()

    await backend.request_promotion(request_for(model, v2, note="beats v1 on recall"))
    assert promotion_tags(mlflow_server, model, v2) == {
        "mlops_tui.promotion.target": "champion",
        "mlops_tui.promotion.requester": "alice",
        "mlops_tui.promotion.requested_at": "2026-11-20T09:30:00Z",
        "mlops_tui.promotion.note": "beats v1 on recall",
    }
    pending = [p for p in await backend.list_promotions() if p.model == model]
    assert len(pending) == 1 and pending[0].state == PromotionState.PENDING
    assert (pending[0].version, pending[0].requester, pending[0].note) == (
        v2,
        "alice",
        "beats v1 on recall",
    )
    assert pending[0].requested_at == T0

    await backend.approve_promotion(pending[0], "bob", T0 + timedelta(hours=1))

    assert mlflow_server.alias_version(model, "champion") == v2
    tags = promotion_tags(mlflow_server, model, v2)
    assert tags == {
        "mlops_tui.promotion.state": "approved",
        "mlops_tui.promotion.decided_by": "bob",
        "mlops_tui.promotion.decided_at": "2026-11-20T10:30:00Z",
    }
    assert not REQUEST_TAGS & tags.keys()
    history = [p for p in await backend.list_promotions() if p.model == model]
    assert [(p.version, p.state, p.decided_by) for p in history] == [(v2, PromotionState.APPROVED, "bob")]

    timeline = [e for e in await backend.list_events() if e.model == model]
    decisions = [(e.time, e.text) for e in timeline if e.kind == EventKind.PROMOTION]
    assert decisions == [(T0 + timedelta(hours=1), f"v{v2} approved for champion by bob")]

    # A second approval of the same request is refused, and changes nothing.
    with pytest.raises(PromotionConflict, match="already approved by bob"):
        await backend.approve_promotion(pending[0], "carol", T0 + timedelta(hours=2))
    assert promotion_tags(mlflow_server, model, v2)["mlops_tui.promotion.decided_by"] == "bob"


async def test_reject_writes_the_reason_and_leaves_the_alias(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend
):
    model = mlflow_model_name
    v1, v2 = mlflow_server.seed_model(model, mlflow_experiment[0])
    mlflow_server.set_alias(model, "champion", v1)
    backend = make_backend()
    await backend.open()
    await backend.request_promotion(request_for(model, v2))

    await backend.reject_promotion(request_for(model, v2), "bob", T0, "latency regressed 30%")

    assert mlflow_server.alias_version(model, "champion") == v1
    assert promotion_tags(mlflow_server, model, v2) == {
        "mlops_tui.promotion.state": "rejected",
        "mlops_tui.promotion.decided_by": "bob",
        "mlops_tui.promotion.decided_at": "2026-11-20T09:30:00Z",
        "mlops_tui.promotion.reason": "latency regressed 30%",
    }
    (rejected,) = [p for p in await backend.list_promotions() if p.model == model]
    assert rejected.state == PromotionState.REJECTED and rejected.reason == "latency regressed 30%"

    # Asking again starts clean: the old decision's tags go.
    await backend.request_promotion(request_for(model, v2, requester="dave"))
    tags = promotion_tags(mlflow_server, model, v2)
    assert tags["mlops_tui.promotion.requester"] == "dave"
    assert not {k for k in tags if k.endswith(("state", "decided_by", "decided_at", "reason"))}


async def test_a_request_for_a_missing_version_is_refused(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend
):
    model = mlflow_model_name
    mlflow_server.seed_model(model, mlflow_experiment[0], versions=1)
    backend = make_backend()
    await backend.open()
    with pytest.raises(NotFound, match="not found"):
        await backend.request_promotion(request_for(model, "99"))


async def test_stages_mode_transitions_and_archives_the_previous_holder(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend
):
    model = mlflow_model_name
    v1, v2 = mlflow_server.seed_model(model, mlflow_experiment[0])
    mlflow_server.rest(
        "POST",
        "model-versions/transition-stage",
        {"name": model, "version": v1, "stage": "Production", "archive_existing_versions": True},
    )
    backend = make_backend(use_stages=True, target_stage="Production")
    await backend.open()
    assert await backend.alias_holder(model, "champion") == v1  # the version in Production

    await backend.request_promotion(request_for(model, v2))
    (pending,) = [p for p in await backend.list_promotions() if p.model == model]
    await backend.approve_promotion(pending, "bob", T0)

    stages = {
        v["version"]: v["current_stage"]
        for v in mlflow_server.rest("GET", "model-versions/search", params={"filter": f"name='{model}'"})[
            "model_versions"
        ]
    }
    assert stages == {v1: "Archived", v2: "Production"}
    assert await backend.alias_holder(model, "champion") == v2
    assert mlflow_server.alias_version(model, "champion") is None  # no alias was touched
    assert promotion_tags(mlflow_server, model, v2)["mlops_tui.promotion.state"] == "approved"


async def test_four_eyes_approval_through_the_hub_and_actions(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend, tmp_path
):
    """The whole door: alice asks, alice may not approve, bob approves; the server shows it."""
    model = mlflow_model_name
    v1, v2 = mlflow_server.seed_model(model, mlflow_experiment[0])
    mlflow_server.set_alias(model, "champion", v1)
    backend = make_backend("prod-mlflow", experiments=[mlflow_experiment[1]])
    hub = Hub([backend], refresh_seconds=60)
    hub.start()
    try:
        hub.wait_for_first_poll(20)
        audit = AuditLog(tmp_path / "audit.jsonl")
        alice = Actions(hub, audit, user="alice")
        bob = Actions(hub, audit, user="bob")
        request = await alice.request_promotion("prod-mlflow", model, v2, "champion", note="ship it")

        with pytest.raises(ActionRefused, match="four-eyes"):
            await alice.approve(request, expected_holder=v1)
        assert mlflow_server.alias_version(model, "champion") == v1

        await bob.approve(request, expected_holder=v1)
        assert mlflow_server.alias_version(model, "champion") == v2
        assert promotion_tags(mlflow_server, model, v2)["mlops_tui.promotion.decided_by"] == "bob"
    finally:
        hub.stop(5)
