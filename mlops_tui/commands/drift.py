"""`mlops-tui drift list [--drifted] [--json]`: the latest drift score of every feature.

The score is said with its kind and direction, as the Drift view says it: `p 0.035 < 0.05`
(a p-value drifts below its threshold), `dist 0.31 > 0.2` (a distance drifts above it).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from mlops_tui.commands.session import list_output, open_session, session_options
from mlops_tui.core.wording import drift_rule, drift_score_text, drift_verdict
from mlops_tui.domain import DriftScore


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("drift", help="drift scores: which features drifted, by how much")
    actions = p.add_subparsers(dest="drift_command", metavar="ACTION", required=True)
    a = actions.add_parser("list", parents=[*parents, session_options()], help="every feature's latest score")
    a.add_argument("--drifted", action="store_true", help="only the features past their threshold")
    a.add_argument("--json", action="store_true", help="print JSON")
    a.set_defaults(handler=cmd_list)


def _extra(d: DriftScore) -> dict[str, Any]:
    # JSON has no NaN or Inf: the score's words and the verdict go with the raw number
    return {
        "score": d.score if math.isfinite(d.score) else None,
        "shown": drift_score_text(d),
        "rule": drift_rule(d),
        "verdict": drift_verdict(d),
    }


def cmd_list(args: argparse.Namespace) -> int:
    with open_session(args, capability="drift") as (_, snap):
        scores = [d for d in snap.latest_drift if d.drifted or not args.drifted]
        scores.sort(key=lambda d: (not d.drifted, not d.has_value, d.model, d.feature))
        return list_output(
            args,
            snap,
            "drift",
            scores,
            ["model", "feature", "method", "score vs threshold", "verdict", "source"],
            lambda d: [
                d.model,
                d.feature,
                d.method or "-",
                drift_score_text(d),
                drift_verdict(d),
                d.source or d.backend,
            ],
            extra=_extra,
        )
