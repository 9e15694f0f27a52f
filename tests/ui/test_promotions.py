"""Promotions in the demo world: approve (four eyes, read-only, twice), cancel, reject, request."""

from __future__ import annotations

import re

import pytest

from mlops_tui.domain import PromotionState
from mlops_tui.ui.dialogs.approval import ApprovalDialog
from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.screens.models import ModelsScreen
from tests.conftest import wait_until
from tests.ui.support import (
    SIZE,
    USER,
    audit_lines,
    box,
    cursor_to,
    demo_app,
    focused_grid,
    grid,
    poll_now,
    screen,
    type_text,
    wait_for_data,
    wait_for_dialog,
    wait_for_text,
    wait_for_writes,
)


def approvable(app, user: str = USER):
    """A pending request someone else asked for, whose target is held by another version."""
    snap = app.snapshot
    for p in snap.pending_promotions:
        holder = snap.models_by_name[p.model].aliases.get(p.target)
        if p.requester != user and holder not in (None, p.version):
            return p, holder
    raise AssertionError("the demo world has no approvable request")


def champion_of(app, model: str) -> str | None:
    return app.snapshot.models_by_name[model].aliases.get("champion")


async def select_request(app, pilot, request) -> None:
    await pilot.press("3")
    await pilot.pause()
    requests = grid(app, "#requests")
    assert requests.has_focus
    await cursor_to(pilot, requests, lambda p: p.key == request.key and p.state == PromotionState.PENDING)


async def open_approval(app, pilot, request) -> str:
    await select_request(app, pilot, request)
    await pilot.press("a")
    return await wait_for_dialog(app, pilot, ApprovalDialog, "Policy checks")


async def test_approve_shows_both_sides_and_y_moves_the_alias_once(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        request, holder = approvable(app)
        snap = app.snapshot
        text = await open_approval(app, pilot, request)

        assert f"{request.model} v{request.version} → {request.target}" in text
        assert f"requested by {request.requester}" in text
        assert f"now held by v{holder}" in text
        assert re.search(rf"metric\s+candidate v{request.version}\s+{request.target} v{holder}\s+delta", text)
        candidate = snap.runs_by_id[snap.versions_by_key[request.key].run_id].metrics
        current = snap.runs_by_id[snap.versions_by_key[(request.model, holder)].run_id].metrics
        shared = sorted(set(candidate) & set(current))
        assert shared
        for metric in shared:  # each metric: candidate, holder and the signed delta, side by side
            row = re.search(rf"\b{re.escape(metric)}\s+(\S+)\s+(\S+)\s+([+-]\d+\.\d{{4}})\s", text)
            assert row, f"no row for {metric}:\n{text}"
            shown_candidate, shown_current, shown_delta = (float(value) for value in row.groups())
            assert shown_candidate == pytest.approx(candidate[metric], abs=5e-5), metric  # shown to 4 places
            assert shown_current == pytest.approx(current[metric], abs=5e-5), metric
            assert shown_delta == pytest.approx(candidate[metric] - current[metric], abs=5e-5), metric
        assert "√ pass  candidate status READY" in text
        assert "source run FINISHED" in text
        assert f"Approve as {USER}?" in text
        assert champion_of(app, request.model) == holder

        await pilot.press("y", "y")  # an impatient double press
        await wait_until(lambda: champion_of(app, request.model) == request.version, timeout=5, pilot=pilot)
        await wait_for_text(app, pilot, f"{request.model} v{request.version} is now {request.target}")
        assert type(app.screen) is ModelsScreen
        await wait_for_writes(app, pilot)  # the second press handled, and any write it started done
        approvals = [e for e in audit_lines(tmp_path) if e["action"] == "approve promotion"]
        assert len(approvals) == 1
        assert approvals[0]["outcome"] == "ok"
        assert approvals[0]["user"] == USER
        assert approvals[0]["target"] == f"{request.model} v{request.version} -> {request.target}"
        assert approvals[0]["detail"]["previous_holder"] == holder

        # the list says so too: the request is approved, the version holds the alias
        text = await wait_for_text(app, pilot, f"Promotion requests ({len(snap.pending_promotions) - 1} pending)")
        assert grid(app, "#requests").cursor_row.state == PromotionState.APPROVED
        assert re.search(rf"{request.model}\s+{request.version} champion", box(text, "Model versions"))


async def test_n_or_esc_cancels_the_approval_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        request, holder = approvable(app)
        for key in ("n", "escape"):
            await open_approval(app, pilot, request)
            await pilot.press(key)
            await pilot.pause()
            assert type(app.screen) is ModelsScreen
            assert "Approve promotion" not in screen(app)
        await poll_now(app, pilot)  # the next snapshot: still unchanged
        assert champion_of(app, request.model) == holder
        assert audit_lines(tmp_path) == []
        assert grid(app, "#requests").cursor_row.state == PromotionState.PENDING


async def test_four_eyes_the_requester_cannot_approve(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", "bob")  # the demo's requester of fraud-xgb v9
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        request = next(p for p in app.snapshot.pending_promotions if p.requester == "bob")
        holder = champion_of(app, request.model)
        await select_request(app, pilot, request)
        await pilot.press("a")  # refused before any dialog: nothing to confirm
        await wait_for_text(app, pilot, "four-eyes rule: bob requested this promotion")
        assert "Not approved" in screen(app)
        assert isinstance(app.screen, ModelsScreen)
        assert not any(isinstance(s, ApprovalDialog) for s in app.screen_stack)
        entries = audit_lines(tmp_path)
        assert [(e["action"], e["outcome"], e["user"]) for e in entries] == [("approve promotion", "refused", "bob")]
        await poll_now(app, pilot)  # the next snapshot: still unchanged
        assert champion_of(app, request.model) == holder
        assert grid(app, "#requests").cursor_row.state == PromotionState.PENDING


async def test_read_only_refuses_to_approve(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)
    app = demo_app(tmp_path, read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        assert "READ-ONLY" in screen(app)
        request, holder = approvable(app)
        await select_request(app, pilot, request)
        assert app.screen.active_bindings["a"].enabled is False  # dimmed in the footer
        await pilot.press("a")  # asks nothing
        await pilot.pause()
        assert isinstance(app.screen, ModelsScreen)
        await pilot.press("question_mark")
        await wait_for_text(app, pilot, "Approve (unavailable: read-only mode: no writes)")
        await pilot.press("escape")
        await poll_now(app, pilot)  # the next snapshot: still unchanged
        assert champion_of(app, request.model) == holder
        assert audit_lines(tmp_path) == []  # nothing was attempted
        assert grid(app, "#requests").cursor_row.state == PromotionState.PENDING


async def test_x_rejects_with_a_required_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        request, holder = approvable(app)
        await select_request(app, pilot, request)
        # the row reads whole: who asked, how long ago ("20h00m ago", not "20h00m a…"), its state
        assert re.search(
            rf"{request.model}\s+{request.version} {request.target}\s+{request.requester}\s+\w+ ago pending",
            screen(app),
        )
        await pilot.press("x")
        text = await wait_for_dialog(app, pilot, PromptDialog, "Reject promotion")
        question = f"Reject {request.model} v{request.version} → {request.target}, requested by {request.requester}?"
        assert question in text

        await pilot.press("enter")  # no reason yet
        await wait_for_text(app, pilot, "Reason is required")
        assert isinstance(app.screen, PromptDialog)
        assert audit_lines(tmp_path) == []

        await type_text(pilot, "not better on accuracy")
        await pilot.press("enter")
        await wait_for_text(app, pilot, f"{request.model} v{request.version} rejected")

        def decided():
            stored = [
                p for p in app.snapshot.promotions if p.key == request.key and p.requested_at == request.requested_at
            ]
            return stored and stored[0].state == PromotionState.REJECTED

        await wait_until(decided, timeout=5, pilot=pilot)
        assert champion_of(app, request.model) == holder
        entries = audit_lines(tmp_path)
        assert [(e["action"], e["outcome"]) for e in entries] == [("reject promotion", "ok")]
        assert entries[0]["detail"]["reason"] == "not better on accuracy"


async def test_p_requests_a_promotion_that_then_shows_as_pending(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        snap = app.snapshot
        pending_before = len(snap.pending_promotions)
        pending_keys = {p.key for p in snap.pending_promotions}
        await pilot.press("3", "tab")
        versions = focused_grid(app)
        assert versions.id == "versions"
        version = await cursor_to(
            pilot,
            versions,
            lambda v: "challenger" in v.aliases and "champion" not in v.aliases and v.key not in pending_keys,
        )
        await pilot.press("p")
        text = await wait_for_dialog(app, pilot, PromptDialog, "Request promotion of")
        assert f"Request promotion of {version.model} v{version.version}" in text
        assert "Target alias" in text and "champion" in text and "Note" in text

        await pilot.press("enter")  # keep the target "champion"; on to the note
        await type_text(pilot, "beats v6 offline")
        await pilot.press("enter")
        await wait_for_text(app, pilot, f"Requested {version.model} v{version.version} → champion")
        text = await wait_for_text(app, pilot, f"Promotion requests ({pending_before + 1} pending)")
        assert re.search(rf"{version.model}\s+{version.version} champion\s+{USER}\s+.*pending\s+beats v6 offline", text)
        assert re.search(rf"{version.model}\s+{version.version} challenger ○", text)
        mine = [p for p in app.snapshot.pending_promotions if p.key == version.key]
        assert len(mine) == 1 and mine[0].requester == USER and mine[0].note == "beats v6 offline"
        entries = audit_lines(tmp_path)
        assert [(e["action"], e["outcome"]) for e in entries] == [("request promotion", "ok")]
