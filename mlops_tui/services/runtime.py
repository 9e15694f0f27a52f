"""Assembles what the app and the headless commands share: backends, hub, actions, audit."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mlops_tui.backends.base import Backend
from mlops_tui.backends.registry import BackendLoadError, load_kind
from mlops_tui.config.identity import current_user
from mlops_tui.config.loader import backend_error, options_error
from mlops_tui.config.settings import BackendConfig, ContextConfig, Settings
from mlops_tui.core.errors import ConfigError
from mlops_tui.core.paths import alert_journal_path, audit_log_path
from mlops_tui.services.ack_keeper import AckKeeper
from mlops_tui.services.actions import Actions
from mlops_tui.services.alert_journal import AlertJournal, JournalRecorder
from mlops_tui.services.audit import AuditLog
from mlops_tui.services.compare import MetricDirections
from mlops_tui.services.hub import Hub

DEMO_CONTEXT = "demo"
log = logging.getLogger(__name__)


@dataclass
class Runtime:
    hub: Hub
    actions: Actions
    audit: AuditLog
    context: str
    user: str
    read_only: bool
    is_demo: bool
    settings: Settings | None
    config_path: Path | None = None
    theme: str = "oncall-dark"
    bell: bool = False
    forced_read_only: bool = False  # --read-only: holds in every context
    ack_keeper: AckKeeper | None = None
    journal_recorder: JournalRecorder | None = None

    @property
    def contexts(self) -> list[str]:
        return sorted(self.settings.contexts) if self.settings is not None and not self.is_demo else []

    def reopen(self, context: str) -> Runtime:
        """A new runtime for another context of the same settings (the app swaps to it)."""
        if self.settings is None or self.is_demo:
            raise ConfigError(
                problem="the demo world has no other contexts", fix="start mlops-tui with a config file to use contexts"
            )
        return build_runtime(
            self.settings,
            context=context,
            read_only=self.forced_read_only,
            config_path=self.config_path,
            audit_path=self.audit.path,
        )

    def start(self, keep_acks: bool = False) -> None:
        """`keep_acks`: also run the ack keeper and the alert journal (the app, keep-acks)."""
        self.hub.start()
        if keep_acks:
            if not self.is_demo:  # the demo world's made-up alerts stay out of the user's journal
                self.start_journal()
            self.ack_keeper = self.new_ack_keeper().start()

    def start_journal(self) -> None:
        try:
            threshold = self.settings.flap_threshold if self.settings else 3
            self.journal_recorder = JournalRecorder(self.hub, self.open_journal(), flap_threshold=threshold).start()
        except Exception:  # a journal that cannot open must not stop the app
            log.exception("the alert journal could not be opened")

    def open_journal(self) -> AlertJournal:
        days = self.settings.history_days if self.settings else 7.0
        return AlertJournal(alert_journal_path(), max_age=timedelta(days=max(30.0, days)))

    def new_ack_keeper(self, **kwargs: Any) -> AckKeeper:
        """Acks kept alive while their alert fires (services/ack_keeper.py)."""
        s = self.settings
        return AckKeeper(
            self.hub,
            self.actions,
            ack_minutes=self.actions.ack_minutes,
            ack_max_hours=s.ack_max_hours if s else 12.0,
            **kwargs,
        )

    def stop(self) -> None:
        if self.ack_keeper is not None:
            self.ack_keeper.stop()
        if self.journal_recorder is not None:
            self.journal_recorder.stop()
            self.journal_recorder.journal.close()
        self.hub.stop()


def _demo_backends(demo_runs: int | None) -> list[Backend[Any]]:
    cls = load_kind("demo")
    return [cls("demo", {} if demo_runs is None else {"runs": demo_runs})]


def backend_from_config(
    config: BackendConfig, context: str, index: int, config_path: Path | None = None
) -> Backend[Any]:
    """Backend `index` of `context`, its options checked here and only here.

    A kind that fails to load and options the kind's own model refuses become the same
    one-screen `ConfigError` as any other mistake in the file (file, field, line, fix).
    """
    try:
        cls = load_kind(config.kind)
    except BackendLoadError as exc:
        raise backend_error(
            config_path,
            context,
            index,
            str(exc),
            "Use one of the kinds listed by `mlops-tui backends`, or reinstall the package that provides this kind.",
            key="kind",
        ) from None
    try:
        options = cls.Options.model_validate(config.options)
    except ValidationError as exc:
        raise options_error(config_path, context, index, config.kind, exc, cls.Options) from None
    except Exception as exc:  # a plugin's validator raising something odd
        raise backend_error(
            config_path,
            context,
            index,
            f"backend {config.name!r}: the {config.kind} options could not be checked: {type(exc).__name__}",
        ) from None
    return cls(config.name, options)


def configured_backends(
    settings: Settings, context: str | None = None, config_path: Path | None = None
) -> tuple[str, ContextConfig, list[Backend[Any]]]:
    """The chosen context's name, its settings and its backends, built and checked."""
    name, ctx = settings.context(context)
    backends = [backend_from_config(bc, name, i, config_path) for i, bc in enumerate(ctx.backends)]
    return name, ctx, backends


def open_runtime(
    config: str | os.PathLike[str] | None = None,
    *,
    context: str | None = None,
    demo: bool = False,
    demo_runs: int | None = None,
    read_only: bool = False,
) -> Runtime:
    """The runtime of the app and of headless commands: settings found and read, backends built.

    With no config file (none asked for, none at the default path) it is the demo world.
    """
    from mlops_tui.config.loader import find_settings

    settings, path = find_settings(config)
    return build_runtime(
        settings,
        context=context,
        demo=demo or settings is None,
        demo_runs=demo_runs,
        read_only=read_only,
        config_path=path if settings is not None else None,
    )


def build_runtime(
    settings: Settings | None,
    *,
    context: str | None = None,
    demo: bool = False,
    demo_runs: int | None = None,
    read_only: bool = False,
    config_path: Path | None = None,
    audit_path: Path | None = None,
    backends: list[Backend[Any]] | None = None,
) -> Runtime:
    """Everything a session needs; `backends` lets tests pass ready-made instances."""
    user = current_user(settings)
    # tests pass ready-made backends: a demo session only if they say so
    is_demo = demo or (settings is None and backends is None)
    ro = read_only or bool(settings and settings.read_only)  # --read-only always wins
    refresh = settings.refresh_seconds if settings else 15.0
    if backends is not None:
        ctx_name = context or ("demo" if is_demo else "default")
    elif is_demo:
        ctx_name, backends = DEMO_CONTEXT, _demo_backends(demo_runs)
    else:
        assert settings is not None
        ctx_name, ctx, backends = configured_backends(settings, context, config_path)
        # a context's own read_only overrides the top-level setting, both ways
        ro = read_only or ctx.effective_read_only(settings.read_only)
    hub = Hub(backends, refresh_seconds=refresh)
    # the demo world's writes are make-believe: never in the user's real audit log
    audit = AuditLog(audit_path or audit_log_path(demo=is_demo))
    actions = Actions(
        hub,
        audit,
        user=user,
        context=ctx_name,
        read_only=ro,
        four_eyes=settings.four_eyes if settings else True,
        policy=settings.policy if settings else None,
        ack_minutes=settings.ack_minutes if settings else 15.0,
        directions=MetricDirections.from_settings(settings).lower_is_better,
    )
    return Runtime(
        hub=hub,
        actions=actions,
        audit=audit,
        context=ctx_name,
        user=user,
        read_only=ro,
        is_demo=is_demo,
        settings=settings,
        config_path=config_path,
        theme=settings.theme if settings else "oncall-dark",
        bell=settings.bell if settings else False,
        forced_read_only=read_only,
    )
