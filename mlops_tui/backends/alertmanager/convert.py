"""Alertmanager API v2 wire format <-> domain models (Alert, Silence, Matcher).

Written against 0.25 and tolerant of newer releases: fields that 0.25 lacks (`mutedBy`,
silence `annotations`, ...) are optional, unknown fields are ignored. Anything that is not
the expected shape raises `WireError`, which the backend reports as a BadResponse.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mlops_tui.core.heap import settle_young_objects, settling
from mlops_tui.core.ui_turn import stepping_aside
from mlops_tui.domain import Alert, AlertState, Matcher, Silence, SilenceState
from mlops_tui.domain.alerts import Severity
from mlops_tui.domain.base import shared_fields_set

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
        alert = Alert(
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
    return shared_fields_set(alert)


def alerts_from_wire(body: Any, backend: str = "") -> list[Alert]:
    return [alert_from_wire(raw, backend) for raw in _list(body, "alerts")]


# -- big answers: a cap, and the alerts of the last poll reused ---------------------------------
_RANKS = {s.value: s.rank for s in Severity}


def _keep_key(raw: Any, acks: Collection[str]) -> tuple[int, int, str]:
    """Which alerts a cap keeps, larger is better: firing, then acked (the ack keeper keeps
    their acks alive), then other suppressed ones; then by severity; then the newest (RFC 3339
    UTC sorts as text)."""
    try:
        status, labels, started = raw["status"], raw["labels"], raw["startsAt"]
        severity = labels.get("severity")
        rank = _RANKS.get(severity)
        if rank is None:
            rank = Severity.parse(severity if isinstance(severity, str) else None).rank
        if status.get("state") != "suppressed":
            tier = 2  # firing: what on-call must see
        else:
            silenced_by = status.get("silencedBy")
            tier = 1 if acks and silenced_by and any(s in acks for s in silenced_by) else 0
        return (tier, -rank, started if isinstance(started, str) else "")
    except (KeyError, TypeError, AttributeError):  # not the expected shape: converting it will say so
        return (3, 0, "")


# See `capped`: how many kept alerts are swapped for better ones between two hand-overs of
# the young objects (each alert is ~7 objects: a walk of ~3,500, 2-3 ms).
AGE_EVERY = 500


def capped(
    raws: Iterable[Any], max_alerts: int, acks: Collection[str] = (), *, texts: bool = False
) -> tuple[list[Any], int]:
    """(at most `max_alerts` of `raws` in their own order, how many there were); 0 keeps all.

    Streams: only the best `max_alerts` seen so far are held (a heap), not the whole answer.

    `texts`: `raws` gives (alert, its JSON text) pairs (`iter_json_array(..., with_text=True)`),
    and the kept alerts' texts are given, not the alerts: one string each, which the garbage
    collector never walks, for the caller to decode one by one (`AlertReuse.convert`). Holding
    the parsed alerts instead (~7 tracked objects each, 70,000 for 10,000 alerts) made every
    full collection while a poll was read walk them: 50-100 ms on the UI thread. Decoding them
    all here and handing over the list made its caller free them all at once when done: 10,000
    alerts' dicts, 25-70 ms of one C call that no key could get between.

    Without `texts`, after every AGE_EVERY swaps the young objects are collected here, on the
    thread that reads the answer: a full heap that swaps an old alert for a new one frees as
    much as it makes, so CPython's young-collection trigger (allocations minus frees) never
    fired while tens of thousands of kept alerts' dicts piled up young, and the next young
    collection (often the UI thread's, painting a key) walked them all.
    """
    pairs: Iterable[tuple[Any, Any]] = raws if texts else ((raw, raw) for raw in raws)
    if max_alerts <= 0:
        kept = [held if texts else raw for raw, held in pairs]
        return kept, len(kept)
    # (tier, -rank, startsAt, -position, the alert or its text), the worst kept one on top: one
    # flat tuple, so with a text in it a collection untracks it and never walks it again
    heap: list[tuple[int, int, str, int, Any]] = []
    count = swaps = 0
    for count, (raw, held) in enumerate(pairs, 1):
        entry = (*_keep_key(raw, acks), -count, held)  # on a tie the earlier one stays
        if len(heap) < max_alerts:
            heapq.heappush(heap, entry)
        elif entry[:4] > heap[0][:4]:
            heapq.heapreplace(heap, entry)
            swaps += 1
            if not texts and swaps % AGE_EVERY == 0:
                settle_young_objects()
    heap.sort(key=lambda e: -e[3])  # the server's order
    return [e[4] for e in heap], count


class AlertReuse:
    """Turns each poll's alerts into domain Alerts, reusing the objects of the last poll.

    An alert whose wire form did not change is the very same `Alert` object next poll: no
    validation, no new memory, and when no alert changed the same tuple, so the snapshot's
    lookups and the screens' rows are not rebuilt. A re-send by Prometheus moves only
    `updatedAt` and, while the alert fires, its `endsAt` estimate (when it would resolve if
    never re-sent); that alone does not make a new object. Everything else counts: labels,
    annotations, startsAt, state, silencedBy, inhibitedBy, generatorURL, and an endsAt that is
    no longer in the future (the alert resolved).

    `max_alerts` > 0 keeps at most that many (see `capped`); `total` says how many the
    server sent.
    """

    def __init__(self, backend: str, mark: Callable[[Alert], Alert] | None = None) -> None:
        self.backend = backend
        self.mark = mark  # e.g. the backend's drift rules put on a new alert
        # fingerprint -> the Alert, and fingerprint -> (startsAt, endsAt) as sent: the raw dicts
        # themselves are not kept. Two maps, so that the pairs hold only text: the collector
        # stops tracking them, where 10,000 (startsAt, endsAt, Alert) triples were 10,000 more
        # objects each deep collection walked.
        self._last: dict[str, Alert] = {}
        self._last_stamps: dict[str, tuple[Any, Any]] = {}
        self._last_tuple: tuple[Alert, ...] = ()
        self.total = 0

    def convert(self, raws: Iterable[Any], max_alerts: int = 0, acks: Collection[str] = ()) -> tuple[Alert, ...]:
        """`raws`: the wire alerts (a list, or `iter_json_array(body, with_text=True)`: (alert, its
        JSON text) pairs); `acks`: ids of the ack silences, whose alerts a cap keeps before other
        suppressed ones."""
        if isinstance(raws, Iterator):
            texts, self.total = capped(raws, max_alerts, acks, texts=True)
            # decoded in the loop, one at a time: each alert's dicts are freed as the next is
            # read, not all together after the loop (see `capped`)
            raws = map(json.loads, texts)
        else:
            raws, self.total = capped(_list(raws, "alerts"), max_alerts, acks)
        last, last_stamps, now = self._last, self._last_stamps, None
        kept: dict[str, Alert] = {}
        stamps: dict[str, tuple[Any, Any]] = {}
        out: list[Alert] = []
        # 10,000 kept alerts compared with the last poll's (tens of ms): a key, or a repaint,
        # goes first (core/ui_turn.py); the new ones leave the young generations as they come,
        # not all 10,000 at once on the UI thread (core/heap.py)
        for raw in settling(stepping_aside(raws)):
            fingerprint = raw.get("fingerprint") if isinstance(raw, Mapping) else None
            if isinstance(fingerprint, str):
                before, sent = last.get(fingerprint), last_stamps.get(fingerprint)  # sent: (startsAt, endsAt)
            else:
                before = sent = None
            alert = None
            if before is not None and sent is not None and sent[0] == raw.get("startsAt") and _same_alert(before, raw):
                if raw.get("endsAt") == sent[1]:
                    alert = before
                else:  # a re-send moved the estimate: the same alert while both lie ahead
                    now = now or datetime.now(UTC)
                    ends, old = parse_time(raw.get("endsAt"), "endsAt"), before.ends_at
                    if (ends is None or ends > now) and (old is None or old > now):
                        alert = before
            if alert is None:
                alert = alert_from_wire(raw, self.backend)
                if self.mark is not None:
                    alert = shared_fields_set(self.mark(alert))  # a copy has a set of its own
            kept[alert.fingerprint] = alert
            if sent is not None and alert is before and raw.get("endsAt") == sent[1]:
                stamps[alert.fingerprint] = sent  # nothing new to hold, nor to free with the last poll's
            else:
                stamps[alert.fingerprint] = (raw.get("startsAt"), raw.get("endsAt"))
            out.append(alert)
        self._last, self._last_stamps = kept, stamps
        previous = self._last_tuple
        if len(previous) == len(out) and all(a is b for a, b in zip(previous, out)):
            return previous  # nothing changed: the same tuple as last poll
        self._last_tuple = tuple(out)
        return self._last_tuple


def _same_alert(alert: Alert, raw: Mapping[str, Any]) -> bool:
    """`raw` says what `alert` says, but for the re-send stamps (updatedAt, endsAt)."""
    status = raw.get("status")
    if not isinstance(status, Mapping):
        return False
    generator = raw.get("generatorURL") or ""
    return (
        alert.labels == raw.get("labels")
        and alert.annotations == (raw.get("annotations") or {})
        and alert.state is _ALERT_STATES.get(status.get("state", "active"), AlertState.FIRING)
        and list(alert.silenced_by) == (status.get("silencedBy") or [])
        and list(alert.inhibited_by) == (status.get("inhibitedBy") or [])
        and alert.generator_url == (generator if isinstance(generator, str) else "")
    )


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
