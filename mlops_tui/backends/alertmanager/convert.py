"""Alertmanager API v2 wire format <-> domain models (Alert, Silence, Matcher).

Written against 0.25 and tolerant of newer releases: fields that 0.25 lacks (`mutedBy`,
silence `annotations`, ...) are optional, unknown fields are ignored. Anything that is not
the expected shape raises `WireError`, which the backend reports as a BadResponse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mlops_tui.domain import Alert, AlertState, Matcher, Silence, SilenceState

if TYPE_CHECKING:
    from mlops_tui.domain.alerts import AlertmanagerStatus


class WireError(ValueError):
    """The server's JSON is not what the API v2 schema says."""


_ALERT_STATES = {
    "active": AlertState.FIRING,
    "unprocessed": AlertState.FIRING,  # received, not yet routed: it fires as far as anyone knows
    "suppressed": AlertState.SUPPRESSED,
}
_SILENCE_STATES = {s.value: s for s in SilenceState}


# -- times -------------------------------------------------------------------------------------
def parse_time(value: Any, field: str) -> datetime | None:
    """RFC 3339 as Alertmanager writes it -> aware UTC; Go's zero time and null -> None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise WireError(f"{field} is not a time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WireError(f"{field} is not an RFC 3339 time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.year <= 1:
        return None
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """Aware (or naive, taken as UTC) datetime -> `2026-11-27T08:18:20.782Z`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- helpers -----------------------------------------------------------------------------------
def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise WireError(f"{field} is not an object")
    return value


def _str_dict(value: Any, field: str) -> dict[str, str]:
    out = dict(_mapping(value, field))
    for key, item in out.items():
        if not isinstance(item, str):
            raise WireError(f"{field}.{key} is not a string")
    return out


def _ids(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise WireError(f"{field} is not a list of ids")
    return tuple(value)


def _list(body: Any, what: str) -> list[Any]:
    if not isinstance(body, list):
        raise WireError(f"expected a list of {what}, got {type(body).__name__}")
    return body


# -- alerts ------------------------------------------------------------------------------------
def alert_from_wire(raw: Any, backend: str = "") -> Alert:
    """One `gettableAlert` -> Alert."""
    if not isinstance(raw, Mapping):
        raise WireError("an alert is not an object")
    status = _mapping(raw.get("status"), "status")
    fingerprint = raw.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        raise WireError("an alert has no fingerprint")
    starts_at = parse_time(raw.get("startsAt"), "startsAt")
    if starts_at is None:
        raise WireError(f"alert {fingerprint} has no startsAt")
    state = _ALERT_STATES.get(status.get("state", "active"), AlertState.FIRING)
    generator = raw.get("generatorURL") or ""
    try:
        return Alert(
            fingerprint=fingerprint,
            labels=_str_dict(raw.get("labels"), "labels"),
            annotations=_str_dict(raw.get("annotations"), "annotations"),
            starts_at=starts_at,
            ends_at=parse_time(raw.get("endsAt"), "endsAt"),
            state=state,
            silenced_by=_ids(status.get("silencedBy"), "status.silencedBy"),
            inhibited_by=_ids(status.get("inhibitedBy"), "status.inhibitedBy"),
            generator_url=generator if isinstance(generator, str) else "",
            backend=backend,
        )
    except ValidationError as exc:
        raise WireError(f"alert {fingerprint}: {_first_error(exc)}") from None


def alerts_from_wire(body: Any, backend: str = "") -> list[Alert]:
    return [alert_from_wire(raw, backend) for raw in _list(body, "alerts")]


# -- matchers and silences ---------------------------------------------------------------------
def matcher_from_wire(raw: Any) -> Matcher:
    if not isinstance(raw, Mapping):
        raise WireError("a matcher is not an object")
    name, value = raw.get("name"), raw.get("value")
    if not isinstance(name, str) or not isinstance(value, str):
        raise WireError("a matcher lacks name or value")
    is_equal = raw.get("isEqual", True)  # absent before 0.22
    return Matcher(
        name=name,
        value=value,
        is_regex=bool(raw.get("isRegex", False)),
        is_equal=True if is_equal is None else bool(is_equal),
    )


def matcher_to_wire(matcher: Matcher) -> dict[str, Any]:
    return {
        "name": matcher.name,
        "value": matcher.value,
        "isRegex": matcher.is_regex,
        "isEqual": matcher.is_equal,
    }


def silence_from_wire(raw: Any, backend: str = "") -> Silence:
    """One `gettableSilence` -> Silence."""
    if not isinstance(raw, Mapping):
        raise WireError("a silence is not an object")
    sid = raw.get("id")
    if not isinstance(sid, str) or not sid:
        raise WireError("a silence has no id")
    matchers = raw.get("matchers")
    if not isinstance(matchers, list):
        raise WireError(f"silence {sid} has no matchers")
    starts_at = parse_time(raw.get("startsAt"), "startsAt")
    ends_at = parse_time(raw.get("endsAt"), "endsAt")
    if starts_at is None or ends_at is None:
        raise WireError(f"silence {sid} lacks startsAt or endsAt")
    status = _mapping(raw.get("status"), "status")
    state = _SILENCE_STATES.get(status.get("state", ""))
    if state is None:  # unknown or missing: derive it the way Alertmanager does
        now = datetime.now(UTC)
        state = (
            SilenceState.EXPIRED if ends_at <= now else SilenceState.PENDING if starts_at > now else SilenceState.ACTIVE
        )
    created_by, comment = raw.get("createdBy", ""), raw.get("comment", "")
    try:
        return Silence(
            id=sid,
            matchers=tuple(matcher_from_wire(m) for m in matchers),
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=created_by if isinstance(created_by, str) else "",
            comment=comment if isinstance(comment, str) else "",
            state=state,
            backend=backend,
        )
    except ValidationError as exc:
        raise WireError(f"silence {sid}: {_first_error(exc)}") from None


def silences_from_wire(body: Any, backend: str = "") -> list[Silence]:
    return [silence_from_wire(raw, backend) for raw in _list(body, "silences")]


def silence_to_wire(silence: Silence) -> dict[str, Any]:
    """A `postableSilence` for a new silence.

    The id is left out on purpose: Alertmanager treats a posted id as "update that silence",
    and the app's ids for silences not yet created are local placeholders.
    """
    return {
        "matchers": [matcher_to_wire(m) for m in silence.matchers],
        "startsAt": format_time(silence.starts_at),
        "endsAt": format_time(silence.ends_at),
        "createdBy": silence.created_by,
        "comment": silence.comment,
    }


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]


# -- status (on-call addition) -------------------------------------------------------------------
_RECEIVER = re.compile(r"""^\s*-\s*name:\s*(?:"([^"]*)"|'([^']*)'|(\S[^#]*?))\s*(?:#.*)?$""")


def receivers_from_config(original: str) -> tuple[str, ...]:
    """The receiver names of an Alertmanager config (YAML) without a YAML parser: the
    `- name:` items of the top-level `receivers:` block."""
    out, inside = [], False
    for line in original.splitlines():
        # a top-level key ends the block; Alertmanager re-marshals lists unindented ("- name:")
        if line and not line[0].isspace() and not line.startswith(("#", "-")):
            inside = line.split(":", 1)[0].strip() == "receivers"
            continue
        if inside and (m := _RECEIVER.match(line)):
            out.append(next(g for g in m.groups() if g is not None))
    return tuple(out)


def status_from_wire(raw: Any, backend: str = "") -> AlertmanagerStatus:
    from mlops_tui.domain.alerts import AlertmanagerStatus

    body = _mapping(raw, "status")
    cluster = _mapping(body.get("cluster"), "cluster")
    info = _mapping(body.get("versionInfo"), "versionInfo")
    config = _mapping(body.get("config"), "config")
    peers = []
    for p in cluster.get("peers") or []:
        p = _mapping(p, "cluster.peers[]")
        peers.append(f"{p.get('name', '?')} ({p.get('address', '?')})")
    original = config.get("original")
    return AlertmanagerStatus(
        backend=backend,
        version=str(info.get("version") or ""),
        uptime_since=parse_time(body.get("uptime"), "uptime"),
        cluster_name=str(cluster.get("name") or ""),
        cluster_status=str(cluster.get("status") or ""),
        peers=tuple(peers),
        receivers=receivers_from_config(original) if isinstance(original, str) else (),
    )
