"""Approvals under faults and races, against the real MLflow server behind the fault proxy.

- An approval cut in half: the alias moved, then every version-tag write failed (the proxy
  answers 500 to `model-versions/set-tag` only). The app says exactly that, the audit log says
  "partial", and approving again records the approval without a second alias write.
- Two *first* approvals at the same moment under `approvers = 2` (dave and erin, each with
  their own backend and hub): both are recorded, the alias moves exactly once (counted on the
  wire), and the audit log and the version's tags tell the same story. Ten rounds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from mlops_tui.backends.mlflow.backend import MlflowBackend
from mlops_tui.config.policy import PolicyConfig
from mlops_tui.domain import PromotionRequest
from mlops_tui.services.actions import ActionRefused, Actions
from mlops_tui.services.audit import AuditLog
from mlops_tui.services.hub import Hub
from tests.faults.proxy import FaultProxy
from tests.mlflow.test_approval_race import model_claims, promotion_tags, seed_request

PROMOTION = "mlops_tui.promotion."
API = "/api/2.0/mlflow/"
ALIAS_WRITE = ("POST", API + "registered-models/alias")
ROUNDS = 10


@pytest.fixture
def proxy(mlflow_server) -> Iterator[FaultProxy]:
    proxy = FaultProxy(mlflow_server.port).start()
    proxy.fail_only()  # record every request, fail none yet
    try:
        yield proxy
    finally:
        proxy.stop()


def request_for(model: str, version: str) -> PromotionRequest:
    return PromotionRequest(
        model=model,
        version=version,
        target="champion",
        requester="carol",
        requested_at=datetime(2026, 11, 29, 14, tzinfo=UTC),
        backend="mlflow",
    )


def started_hub(url: str, experiment: str) -> Hub:
    backend = MlflowBackend("mlflow", MlflowBackend.Options(url=url, experiments=[experiment], cache=False))
    hub = Hub([backend], refresh_seconds=60)
    hub.start()
    hub.wait_for_first_poll(30)
    return hub


async def test_an_approval_cut_in_half_says_so_and_approving_again_completes_it_moving_nothing_twice(
    mlflow_server, mlflow_experiment, mlflow_model_name, proxy, tmp_path
):
    model = mlflow_model_name
    v1, v2 = mlflow_server.seed_model(model, mlflow_experiment[0])
    mlflow_server.set_alias(model, "champion", v1)
    seed_request(mlflow_server, model, v2)
    hub = started_hub(proxy.url, mlflow_experiment[1])
    audit = AuditLog(tmp_path / "audit.jsonl")
    bob = Actions(hub, audit, user="bob")
    try:
        proxy.fail_only(API + "model-versions/set-tag")
        with pytest.raises(ActionRefused) as cut:
            await bob.approve(request_for(model, v2), expected_holder=v1)
        said = str(cut.value)
        assert f"alias champion moved to v{v2}, but recording the approval failed:" in said
        assert "injected fault" in said and "approve again" in said
        assert mlflow_server.alias_version(model, "champion") == v2  # it did move
        assert PROMOTION + "state" not in promotion_tags(mlflow_server, model, v2)  # not recorded
        (entry,) = audit.entries()
        assert entry["outcome"] == "partial"
        assert f"moved to v{v2}, but recording the approval failed" in entry["detail"]["error"]

        proxy.fail_only()  # the fault clears: approving again completes the approval
        outcome = await bob.approve(request_for(model, v2), expected_holder=v2)
    finally:
        hub.stop(5)
    assert f"{model} v{v2} is now champion" in outcome and "nothing moved" in outcome
    tags = promotion_tags(mlflow_server, model, v2)
    assert tags[PROMOTION + "state"] == "approved" and tags[PROMOTION + "decided_by"] == "bob"
    assert tags[PROMOTION + "requester"] == "carol"
    assert mlflow_server.alias_version(model, "champion") == v2
    assert proxy.requests.count(ALIAS_WRITE) == 1  # one alias write in total, over both attempts
    assert [e["outcome"] for e in audit.entries()] == ["partial", "ok"]
    assert "only the approval was recorded" in audit.entries()[1]["detail"]["completed"]
    assert model_claims(mlflow_server, model) == {}


@pytest.mark.timeout(600)
async def test_two_first_approvals_at_the_same_moment_under_two_approvers_both_count_and_move_once(
    mlflow_server, mlflow_experiment, mlflow_model_name, proxy, tmp_path
):
    model = mlflow_model_name
    versions = mlflow_server.seed_model(model, mlflow_experiment[0], versions=ROUNDS + 1)
    mlflow_server.set_alias(model, "champion", versions[0])
    for version in versions[1:]:
        seed_request(mlflow_server, model, version)
    policy = PolicyConfig(approvers=2)
    hubs = [started_hub(proxy.url, mlflow_experiment[1]) for _ in range(2)]
    audit = AuditLog(tmp_path / "audit.jsonl")
    dave = Actions(hubs[0], audit, user="dave", policy=policy)
    erin = Actions(hubs[1], audit, user="erin", policy=policy)
    both_moved_together = 0
    try:
        holder = versions[0]
        for version in versions[1:]:
            writes_before = proxy.requests.count(ALIAS_WRITE)
            seen = len(audit.entries())
            outcomes = await asyncio.gather(
                dave.approve(request_for(model, version), expected_holder=holder),
                erin.approve(request_for(model, version), expected_holder=holder),
            )
            # neither is refused: each approval was recorded
            for outcome in outcomes:
                assert "approval" in outcome and "of 2 recorded" in outcome, outcomes
            assert mlflow_server.alias_version(model, "champion") == version
            assert proxy.requests.count(ALIAS_WRITE) - writes_before == 1, version  # moved exactly once
            tags = promotion_tags(mlflow_server, model, version)
            assert tags[PROMOTION + "state"] == "approved"
            approvers = [e.split("@")[0] for e in tags[PROMOTION + "approvals"].split(",")]
            assert sorted(approvers) == ["dave", "erin"], tags
            mover = tags[PROMOTION + "decided_by"]
            # the audit log: both approvals recorded, and the one move by the version's decider
            lines = audit.entries()[seen:]
            recorded = sorted(e["user"] for e in lines if e["outcome"] == "ok" and "approval" in e["detail"])
            assert recorded == ["dave", "erin"], lines
            moves = [e for e in lines if e["outcome"] == "ok" and "approval" not in e["detail"]]
            assert [e["user"] for e in moves] == [mover], lines
            assert sorted(moves[0]["detail"]["approvals"]) == ["dave", "erin"]
            both_moved_together += any(e["outcome"] == "refused" for e in lines)
            assert model_claims(mlflow_server, model) == {}
            holder = version
    finally:
        for hub in hubs:
            hub.stop(5)
    print(f"rounds where both approvals reached the move and the claim decided: {both_moved_together}/{ROUNDS}")
