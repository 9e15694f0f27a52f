"""What the Alertmanager status panel concludes: is an HA pair split (its peers disagree)?"""

from __future__ import annotations

from collections.abc import Sequence

from mlops_tui.domain.alerts import AlertmanagerStatus


def split_problems(statuses: Sequence[AlertmanagerStatus]) -> list[str]:
    """With two or more Alertmanagers in a context they should be one cluster: each ready and
    seeing the same peers, as many as there are members. Anything else is said."""
    if len(statuses) < 2:
        return []
    problems = []
    names = ", ".join(s.backend for s in statuses)
    off = [s.backend for s in statuses if s.cluster_status == "disabled"]
    if off:
        problems.append(f"split: clustering is off on {', '.join(off)}; {names} do not share silences or acks")
    not_ready = [
        f"{s.backend} ({s.cluster_status or 'unknown'})"
        for s in statuses
        if s.cluster_status not in ("ready", "disabled")
    ]
    if not_ready:
        problems.append(f"cluster not ready: {', '.join(not_ready)}")
    views = {frozenset(p.split(" ", 1)[0] for p in s.peers) for s in statuses if s.cluster_status != "disabled"}
    if len(views) > 1:
        problems.append(
            f"split: the peers disagree ({'; '.join(f'{s.backend} sees {len(s.peers)}' for s in statuses)})"
        )
    short = [s.backend for s in statuses if s.cluster_status != "disabled" and len(s.peers) < len(statuses)]
    if short and len(views) <= 1:
        problems.append(f"split: {', '.join(short)} see fewer peers than the {len(statuses)} configured")
    return problems
