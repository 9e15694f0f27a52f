"""Two approvals at the same moment against the real MLflow server: exactly one wins.

MLflow has no compare-and-set; the claim protocol in backends/mlflow/promotions.py decides.
The headless race runs two real `mlops-tui` processes per round (dave and erin approving
carol's request); the in-process races start both approvals on one event loop, so they
overlap every time; the fault-injection test makes the re-read after the alias move fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops_tui.backends.errors import BackendUnavailable, PromotionConflict
from mlops_tui.domain import PromotionRequest
from mlops_tui.services.actions import ActionRefused, Actions
from mlops_tui.services.audit import AuditLog
from mlops_tui.services.hub import Hub

PROMOTION = "mlops_tui.promotion."
ROUNDS = 10


def seed_request(server, model: str, version: str, requester: str = "carol") -> None:
    for key, value in {
        "target": "champion",
        "requester": requester,
        "requested_at": "2026-11-29T14:00:00Z",
        "note": f"round for v{version}",
    }.items():
        server.rest(
            "POST",
            "model-versions/set-tag",
            {"name": model, "version": version, "key": PROMOTION + key, "value": value},
        )


def promotion_tags(server, model: str, version: str) -> dict[str, str]:
    return {k: v for k, v in server.version_tags(model, version).items() if k.startswith(PROMOTION)}


def model_claims(server, model: str) -> dict[str, str]:
    answer = server.rest("GET", "registered-models/get", params={"name": model})
    tags = {t["key"]: t["value"] for t in answer["registered_model"].get("tags", [])}
    return {k: v for k, v in tags.items() if k.startswith(PROMOTION + "claim")}


def audit_entries(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def approve_in_a_process(config: Path, user: str, model: str, version: str) -> subprocess.Popen:
    env = dict(os.environ, MLOPS_TUI_USER=user)
    return subprocess.Popen(
        [sys.executable, "-m", "mlops_tui", "--config", str(config), "promotions", "approve", model, version, "--yes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.mark.timeout(900)  # ten rounds of two processes, each with its first poll
def test_two_processes_approving_one_request_ten_rounds_one_winner_each(
    mlflow_server, mlflow_experiment, mlflow_model_name, tmp_path, isolated_dirs
):
    model = mlflow_model_name
    exp_id, exp_name = mlflow_experiment
    versions = mlflow_server.seed_model(model, exp_id, versions=ROUNDS + 1)
    mlflow_server.set_alias(model, "champion", versions[0])
    config = tmp_path / "race.toml"
    config.write_text(
        "[[backends]]\n"
        f'name = "mlflow"\nkind = "mlflow"\nurl = "{mlflow_server.url}"\n'
        f'experiments = ["{exp_name}"]\ncache = false\n'
    )
    audit_path = isolated_dirs / "data" / "mlops-tui" / "audit.jsonl"
    overlapped = 0
    for version in versions[1:]:
        seed_request(mlflow_server, model, version)
        racers = {u: approve_in_a_process(config, u, model, version) for u in ("dave", "erin")}
        results = {u: finish(p) for u, p in racers.items()}
        winners = [u for u, (rc, _, _) in results.items() if rc == 0]
        assert len(winners) == 1, (version, results)
        (winner,) = winners
        (loser,) = {"dave", "erin"} - {winner}
        rc, _out, err = results[loser]
        assert rc == 1 and "Traceback" not in err, err
        assert f"approved: {model} v{version} is now champion" in results[winner][1]
        # the loser is refused as a conflict naming the winner
        assert winner in err and ("conflict" in err or "already approved" in err), err
        assert "nothing was changed" in err, err
        overlapped += "claimed it first" in err

        # the server: the alias on the candidate; the tags name the winner and keep carol
        assert mlflow_server.alias_version(model, "champion") == version
        tags = promotion_tags(mlflow_server, model, version)
        assert tags[PROMOTION + "state"] == "approved"
        assert tags[PROMOTION + "decided_by"] == winner
        assert tags[PROMOTION + "requester"] == "carol"
        assert tags[PROMOTION + "requested_at"] == "2026-11-29T14:00:00Z"
        assert tags[PROMOTION + "note"] == f"round for v{version}"
        assert tags[PROMOTION + "claim"].startswith(f"{winner}|")
        assert model_claims(mlflow_server, model) == {}  # claims are cleaned up

        # the audit log tells the same story
        label = f"{model} v{version} -> champion"
        lines = [e for e in audit_entries(audit_path) if e["target"] == label]
        assert sorted((e["user"], e["outcome"]) for e in lines) == sorted([(winner, "ok"), (loser, "refused")]), lines
    print(f"rounds where both approvals overlapped and the claim decided: {overlapped}/{ROUNDS}")


# -- in-process races: both approvals start on one loop, so they always overlap ------------------
def request_for(model: str, version: str) -> PromotionRequest:
    return PromotionRequest(
        model=model,
        version=version,
        target="champion",
        requester="carol",
        requested_at=datetime(2026, 11, 29, 14, tzinfo=UTC),
        backend="mlflow",
    )


async def test_two_approvals_of_one_request_at_the_same_moment(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend
):
    model = mlflow_model_name
    v1, v2 = mlflow_server.seed_model(model, mlflow_experiment[0])
    mlflow_server.set_alias(model, "champion", v1)
    seed_request(mlflow_server, model, v2)
    dave, erin = make_backend(), make_backend()
    await dave.open()
    await erin.open()
    at = datetime.now(UTC)
    results = await asyncio.gather(
        dave.approve_promotion(request_for(model, v2), "dave", at),
        erin.approve_promotion(request_for(model, v2), "erin", at),
        return_exceptions=True,
    )
    ok = [u for u, r in zip(("dave", "erin"), results) if r is None]
    assert len(ok) == 1, results
    (loser_error,) = [r for r in results if r is not None]
    assert isinstance(loser_error, PromotionConflict)
    assert f"{ok[0]} approved this request at the same moment" in str(loser_error)
    assert mlflow_server.alias_version(model, "champion") == v2
    assert promotion_tags(mlflow_server, model, v2)[PROMOTION + "decided_by"] == ok[0]
    assert model_claims(mlflow_server, model) == {}


async def test_two_requests_for_one_alias_approved_at_the_same_moment(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend
):
    model = mlflow_model_name
    v1, v2, v3 = mlflow_server.seed_model(model, mlflow_experiment[0], versions=3)
    mlflow_server.set_alias(model, "champion", v1)
    seed_request(mlflow_server, model, v2)
    seed_request(mlflow_server, model, v3)
    dave, erin = make_backend(), make_backend()
    await dave.open()
    await erin.open()
    at = datetime.now(UTC)
    results = await asyncio.gather(
        dave.approve_promotion(request_for(model, v2), "dave", at),
        erin.approve_promotion(request_for(model, v3), "erin", at),
        return_exceptions=True,
    )
    outcomes = dict(zip((v2, v3), results))
    won = [v for v, r in outcomes.items() if r is None]
    assert len(won) == 1, results
    (lost,) = {v2, v3} - set(won)
    error = outcomes[lost]
    assert isinstance(error, PromotionConflict)
    assert "moving under this approval" in str(error) and f"v{won[0]}" in str(error)
    assert mlflow_server.alias_version(model, "champion") == won[0]
    lost_tags = promotion_tags(mlflow_server, model, lost)
    assert PROMOTION + "state" not in lost_tags  # still pending: nothing was written
    assert lost_tags[PROMOTION + "requester"] == "carol"


class ReReadFails:
    """Fault injection: the client answers the alias move, then fails every later alias read."""

    def __init__(self, client) -> None:
        self._client = client
        self.moved = False

    def __getattr__(self, name):
        return getattr(self._client, name)

    async def post(self, path, body):
        answer = await self._client.post(path, body)
        if path == "/registered-models/alias":
            self.moved = True
        return answer

    async def get(self, path, params=None):
        if self.moved and path == "/registered-models/alias":
            raise BackendUnavailable("MLflow at 127.0.0.1 did not answer in time")
        return await self._client.get(path, params)


async def test_a_move_answered_then_a_failed_re_read_is_unknown_never_ok(
    mlflow_server, mlflow_experiment, mlflow_model_name, make_backend, tmp_path
):
    model = mlflow_model_name
    v1, v2 = mlflow_server.seed_model(model, mlflow_experiment[0])
    mlflow_server.set_alias(model, "champion", v1)
    seed_request(mlflow_server, model, v2)
    backend = make_backend("mlflow", experiments=[mlflow_experiment[1]])
    hub = Hub([backend], refresh_seconds=60)
    hub.start()
    try:
        hub.wait_for_first_poll(30)
        backend._client = ReReadFails(backend.client)
        audit = AuditLog(tmp_path / "audit.jsonl")
        bob = Actions(hub, audit, user="bob")
        with pytest.raises(ActionRefused) as refused:
            await bob.approve(request_for(model, v2), expected_holder=v1)
    finally:
        hub.stop(5)
    assert "unknown — check" in str(refused.value)
    assert "ok" not in [e["outcome"] for e in audit.entries()]
    (entry,) = audit.entries()
    assert entry["outcome"] == "unknown" and "unknown — check" in entry["detail"]["error"]
    assert mlflow_server.alias_version(model, "champion") == v2  # it did move: hence "check"
    assert PROMOTION + "state" not in promotion_tags(mlflow_server, model, v2)
