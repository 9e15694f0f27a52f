"""The settings file, contexts, paths, secret references and identity."""

from __future__ import annotations

import json
import re
import string
import tempfile
from pathlib import Path
from typing import Literal

import keyring
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from keyring.backends import fail
from pydantic import BaseModel, ConfigDict

from mlops_tui.backends.base import Backend, BackendOptions, Capability
from mlops_tui.backends.registry import BackendLoadError
from mlops_tui.config import loader
from mlops_tui.config import (
    ConfigError,
    SecretError,
    Settings,
    audit_log_path,
    cache_dir,
    config_path,
    current_user,
    data_dir,
    delete_secret,
    find_settings,
    list_secret_names,
    load_settings,
    parse_settings,
    resolve_secret,
    store_secret,
)
from mlops_tui.config.secrets import INDEX_ENTRY, SERVICE

# -- backend kinds for the tests ---------------------------------------------------------------


class AuthOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["bearer", "basic"] = "bearer"
    token: str | None = None
    username: str | None = None
    password: str | None = None


class MlflowOptions(BackendOptions):
    url: str
    auth: AuthOptions | None = None
    verify_tls: bool = True


class FakeMlflow(Backend):
    kind = "mlflow"
    description = "test stand-in for an MLflow tracking server"
    capabilities = frozenset({Capability.RUNS, Capability.REGISTRY})
    Options = MlflowOptions


class AlertmanagerOptions(BackendOptions):
    url: str


class FakeAlertmanager(Backend):
    kind = "alertmanager"
    capabilities = frozenset({Capability.ALERTS})
    Options = AlertmanagerOptions


FAKE_KINDS: dict[str, type[Backend]] = {"mlflow": FakeMlflow, "alertmanager": FakeAlertmanager}


def install_fake_kinds(mp: pytest.MonkeyPatch) -> None:
    """Make the loader see `mlflow` and `alertmanager` next to the installed kinds."""
    real_available, real_load = loader.available_kinds, loader.load_kind

    def available():
        return {**real_available(), **{name: None for name in FAKE_KINDS}}

    def load(name: str):
        if name in FAKE_KINDS:
            return FAKE_KINDS[name]
        return real_load(name)

    mp.setattr(loader, "available_kinds", available)
    mp.setattr(loader, "load_kind", load)


@pytest.fixture
def kinds(monkeypatch):
    install_fake_kinds(monkeypatch)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    for var, sub in (("XDG_CONFIG_HOME", "cfg"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("MLOPS_TUI_CONFIG", raising=False)
    monkeypatch.delenv("MLOPS_TUI_USER", raising=False)


CONTRACT = """\
user = "alice"
theme = "oncall-dark"
refresh_seconds = 15
read_only = false
default_context = "prod"
[contexts.prod]
read_only = true
[[contexts.prod.backends]]
name = "mlflow"
kind = "mlflow"
url = "https://mlflow.example.internal"
auth = { type = "bearer", token = "keyring:prod-mlflow" }
[[contexts.prod.backends]]
name = "am-eu"
kind = "alertmanager"
url = "http://alertmanager-eu:9093"
"""


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    err = info.value
    assert err.path == path
    rendered = err.render()
    assert str(path) in rendered
    # words, not pydantic's dump
    for noise in ("validation error", "errors.pydantic.dev", "Input should", "Traceback"):
        assert noise not in rendered
    return err


# -- valid files -------------------------------------------------------------------------------
def test_contract_file_loads_with_contexts_and_flat_backend_options(tmp_path, kinds):
    s = load_settings(write(tmp_path, CONTRACT))
    assert s.user == "alice"
    assert s.refresh_seconds == 15
    assert s.read_only is False
    assert s.four_eyes is True and s.bell is False
    name, ctx = s.context(None)
    assert name == "prod"
    assert ctx.read_only is True
    assert ctx.effective_read_only(False) is True
    assert [b.name for b in ctx.backends] == ["mlflow", "am-eu"]
    mlflow = ctx.backends[0]
    assert mlflow.kind == "mlflow"
    assert mlflow.options == {
        "url": "https://mlflow.example.internal",
        "auth": {"type": "bearer", "token": "keyring:prod-mlflow"},
    }
    assert ctx.backends[1].options == {"url": "http://alertmanager-eu:9093"}


def test_top_level_backends_form_is_a_context_named_default(tmp_path, kinds):
    s = load_settings(
        write(
            tmp_path,
            'read_only = true\n[[backends]]\nname = "am"\nkind = "alertmanager"\nurl = "http://am:9093"\n',
        )
    )
    assert list(s.contexts) == ["default"]
    name, ctx = s.context(None)
    assert name == "default"
    assert ctx.read_only is None
    assert ctx.effective_read_only(s.read_only) is True
    assert ctx.backends[0].options == {"url": "http://am:9093"}


def test_defaults_apply_to_an_empty_file(tmp_path):
    s = load_settings(write(tmp_path, "# nothing yet\n"))
    assert s.theme == "oncall-dark"
    assert s.refresh_seconds == 15
    assert s.contexts == {}
    assert s.context(None)[0] == "default"


def test_context_falls_back_to_first_and_rejects_unknown_names(tmp_path, kinds):
    text = (
        '[contexts.staging]\n[[contexts.staging.backends]]\nname = "a"\nkind = "alertmanager"\n'
        'url = "http://a"\n[contexts.prod]\n'
    )
    s = load_settings(write(tmp_path, text))
    assert s.context(None)[0] == "staging"
    assert s.context("prod")[0] == "prod"
    with pytest.raises(ConfigError) as info:
        s.context("prd")
    assert "prd" in info.value.problem
    assert "'prod'" in info.value.fix and "staging" in info.value.fix


def test_env_reference_is_accepted_for_secrets(tmp_path, kinds):
    text = CONTRACT.replace('"keyring:prod-mlflow"', '"env:MLFLOW_TOKEN"')
    s = load_settings(write(tmp_path, text))
    assert s.contexts["prod"].backends[0].options["auth"]["token"] == "env:MLFLOW_TOKEN"


# -- errors ------------------------------------------------------------------------------------
def test_toml_syntax_error_names_line_and_column(tmp_path):
    err = error_for(tmp_path, 'user = "alice"\ntheme = \nrefresh_seconds = 15\n')
    assert err.line == 2
    assert err.column is not None
    assert "line 2" in err.render()
    assert "TOML syntax error" in err.problem
    assert "quotes" in err.fix


def test_key_set_twice_names_the_key_and_its_line(tmp_path):
    err = error_for(tmp_path, 'user = "a"\ntheme = "x"\nuser = "b"\n')
    assert err.line == 3
    assert "user is set twice" in err.problem
    assert "keep only one" in err.fix


def test_table_declared_twice_is_explained(tmp_path):
    err = error_for(tmp_path, "[contexts.prod]\n[contexts.prod]\n")
    assert "[contexts.prod] is declared twice" in err.problem
    assert err.line == 2


def test_unknown_top_level_key_suggests_the_closest(tmp_path):
    err = error_for(tmp_path, 'thme = "oncall-dark"\n')
    assert err.where == "thme"
    assert err.line == 1
    assert "Did you mean 'theme'?" in err.fix


def test_unknown_context_key_suggests_the_closest(tmp_path):
    err = error_for(tmp_path, "[contexts.prod]\nread_onyl = true\n")
    assert err.where == "contexts.prod.read_onyl"
    assert err.line == 2
    assert "Did you mean 'read_only'?" in err.fix


def test_backend_setting_written_on_the_context_says_where_it_belongs(tmp_path):
    err = error_for(tmp_path, '[contexts.prod]\nurl = "http://x"\n')
    assert "[[contexts.prod.backends]]" in err.fix


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("refresh_seconds = -1\n", "refresh_seconds", "must be greater than 0 (got -1)"),
        ("refresh_seconds = 0\n", "refresh_seconds", "must be greater than 0"),
        ('refresh_seconds = "15"\n', "refresh_seconds", "must be a number"),
        ("refresh_seconds = inf\n", "refresh_seconds", "finite"),
        ('read_only = "yes"\n', "read_only", "must be true or false"),
        ("theme = 3\n", "theme", "must be a string in quotes"),
        ('theme = ""\n', "theme", "must not be empty"),
        ("[contexts.prod]\nread_only = 1\n", "contexts.prod.read_only", "must be true or false"),
    ],
)
def test_bad_values_are_put_into_words(tmp_path, text, where, words):
    err = error_for(tmp_path, text)
    assert err.where == where
    assert words in err.problem
    assert err.line is not None


def test_several_errors_report_the_first_and_count_the_rest(tmp_path):
    err = error_for(tmp_path, 'refresh_seconds = -1\nread_only = "no"\n')
    assert err.where == "refresh_seconds"
    assert "1 more problem" in err.problem


def test_backend_without_name(tmp_path, kinds):
    err = error_for(tmp_path, '[[contexts.p.backends]]\nkind = "alertmanager"\nurl = "http://x"\n')
    assert err.where == "contexts.p.backends[0]"
    assert err.line == 1
    assert "no name" in err.problem
    assert 'name = "' in err.fix


def test_backend_without_kind_lists_installed_kinds(tmp_path, kinds):
    err = error_for(tmp_path, '[[contexts.p.backends]]\nname = "am"\nurl = "http://x"\n')
    assert "no kind" in err.problem
    assert "alertmanager" in err.fix and "mlflow" in err.fix


def test_duplicate_backend_names_in_a_context(tmp_path, kinds):
    text = (
        '[[contexts.p.backends]]\nname = "am"\nkind = "alertmanager"\nurl = "http://a"\n'
        '[[contexts.p.backends]]\nname = "am"\nkind = "alertmanager"\nurl = "http://b"\n'
    )
    err = error_for(tmp_path, text)
    assert err.where == "contexts.p.backends[1].name"
    assert err.line == 6
    assert "used twice" in err.problem and "backends[0]" in err.problem


def test_same_backend_name_in_two_contexts_is_fine(tmp_path, kinds):
    text = "".join(
        f'[[contexts.{c}.backends]]\nname = "am"\nkind = "alertmanager"\nurl = "http://a"\n' for c in ("a", "b")
    )
    assert set(load_settings(write(tmp_path, text)).contexts) == {"a", "b"}


def test_unknown_kind_lists_installed_kinds_and_the_closest(tmp_path, kinds):
    err = error_for(tmp_path, '[[contexts.p.backends]]\nname = "m"\nkind = "mlfow"\n')
    assert err.where == "contexts.p.backends[0].kind"
    assert err.line == 3
    assert "unknown backend kind 'mlfow'" in err.problem
    assert "Did you mean 'mlflow'?" in err.fix
    assert "alertmanager" in err.fix and "demo" in err.fix


def test_kind_that_fails_to_import_is_a_config_error(tmp_path, kinds, monkeypatch):
    def broken(name):
        raise BackendLoadError(f"backend kind {name!r} (x:Y) failed to import: boom")

    monkeypatch.setattr(loader, "load_kind", broken)
    err = error_for(tmp_path, '[[backends]]\nname = "am"\nkind = "alertmanager"\nurl = "http://a"\n')
    assert err.where == "backends[0].kind"
    assert "failed to import: boom" in err.problem
    assert "mlops-tui backends" in err.fix


def test_unknown_option_names_the_closest_valid_option(tmp_path, kinds):
    err = error_for(tmp_path, '[[backends]]\nname = "m"\nkind = "mlflow"\nurl = "http://m"\nverify_tsl = false\n')
    assert err.where == "backends[0].verify_tsl"
    assert err.line == 5
    assert "unknown option for backend kind 'mlflow': 'verify_tsl'" in err.problem
    assert "Did you mean 'verify_tls'?" in err.fix


def test_unknown_nested_option_names_the_closest_valid_option(tmp_path, kinds):
    text = '[[backends]]\nname = "m"\nkind = "mlflow"\nurl = "http://m"\nauth = { tyep = "bearer" }\n'
    err = error_for(tmp_path, text)
    assert err.where == "backends[0].auth.tyep"
    assert "Did you mean 'type'?" in err.fix


def test_option_values_are_checked_by_the_backends_own_model(tmp_path, kinds):
    err = error_for(
        tmp_path,
        '[[contexts.prod.backends]]\nname = "m"\nkind = "mlflow"\nurl = "http://m"\ntimeout_seconds = "soon"\n',
    )
    assert err.where == "contexts.prod.backends[0].timeout_seconds"
    assert "must be a number" in err.problem
    assert err.line == 5


def test_required_option_missing(tmp_path, kinds):
    err = error_for(tmp_path, '[[backends]]\nname = "m"\nkind = "mlflow"\n')
    assert err.where == "backends[0].url"
    assert "required" in err.problem


def test_single_table_instead_of_list_of_backends(tmp_path, kinds):
    err = error_for(tmp_path, '[contexts.prod.backends]\nname = "m"\n')
    assert "list of tables" in err.problem
    assert "[[contexts.prod.backends]]" in err.fix


def test_default_context_must_exist(tmp_path, kinds):
    err = error_for(tmp_path, 'default_context = "prd"\n[contexts.prod]\n')
    assert err.where == "default_context"
    assert "Did you mean 'prod'?" in err.fix


def test_top_level_backends_and_contexts_do_not_mix(tmp_path, kinds):
    err = error_for(
        tmp_path,
        '[[backends]]\nname = "am"\nkind = "alertmanager"\nurl = "http://a"\n[contexts.prod]\n',
    )
    assert err.where == "backends"
    assert "[[contexts.NAME.backends]]" in err.fix


SECRET = "s3cr3t-Value-9f8e7d"


@pytest.mark.parametrize(
    ("option_line", "where", "key"),
    [
        (f'auth = {{ type = "bearer", token = "{SECRET}" }}', "backends[0].auth.token", "token"),
        (f'password = "{SECRET}"', "backends[0].password", "password"),
        (f'api_key = "{SECRET}"', "backends[0].api_key", "api_key"),
        (f'client_secret = "{SECRET}"', "backends[0].client_secret", "client_secret"),
        (f'headers = [{{ bearer_token = "{SECRET}" }}]', "backends[0].headers[0].bearer_token", "bearer_token"),
    ],
)
def test_literal_secrets_are_refused_without_repeating_them(tmp_path, kinds, option_line, where, key):
    text = f'[[backends]]\nname = "mlflow"\nkind = "mlflow"\nurl = "http://m"\n{option_line}\n'
    err = error_for(tmp_path, text)
    assert err.where == where
    assert err.line == 5
    assert "secret written out" in err.problem
    assert "mlops-tui auth set default-mlflow" in err.fix
    assert f'{key} = "keyring:default-mlflow' in err.fix
    assert "env:VAR" in err.fix
    for shown in (str(err), err.render(), repr(err), err.problem, err.fix, str(err.args)):
        assert SECRET not in shown


def test_literal_secret_for_an_unknown_kind_is_not_repeated(tmp_path, kinds):
    err = error_for(tmp_path, f'[[backends]]\nname = "x"\nkind = "nope"\ntoken = "{SECRET}"\n')
    assert SECRET not in err.render()


def test_malformed_secret_reference_is_refused(tmp_path, kinds):
    text = CONTRACT.replace('"keyring:prod-mlflow"', '"keyring:"')
    err = error_for(tmp_path, text)
    assert err.where == "contexts.prod.backends[0].auth.token"
    assert "malformed secret reference" in err.problem


def test_non_utf8_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'user = "al\xffice"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "UTF-8" in info.value.problem


def test_config_path_that_is_a_directory(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert "directory" in info.value.problem


# -- the demo kind, once it is installed -------------------------------------------------------
def test_real_demo_kind_validates_its_own_options(tmp_path):
    try:
        loader.load_kind("demo")
    except BackendLoadError as exc:  # pragma: no cover - depends on the demo backend
        pytest.skip(f"demo backend not importable yet: {exc}")
    assert load_settings(write(tmp_path, '[[backends]]\nname = "d"\nkind = "demo"\n'))
    err = error_for(tmp_path, '[[backends]]\nname = "d"\nkind = "demo"\nno_such_option = 1\n')
    assert err.where == "backends[0].no_such_option"
    assert "unknown option for backend kind 'demo'" in err.problem


# -- paths -------------------------------------------------------------------------------------
def test_config_path_precedence(tmp_path, monkeypatch):
    assert config_path(None) == tmp_path / "cfg" / "mlops-tui" / "config.toml"
    monkeypatch.setenv("MLOPS_TUI_CONFIG", str(tmp_path / "env.toml"))
    assert config_path(None) == tmp_path / "env.toml"
    assert config_path(str(tmp_path / "flag.toml")) == tmp_path / "flag.toml"


def test_data_cache_and_audit_paths_follow_xdg(tmp_path):
    assert data_dir() == tmp_path / "data" / "mlops-tui"
    assert cache_dir() == tmp_path / "cache" / "mlops-tui"
    assert audit_log_path() == tmp_path / "data" / "mlops-tui" / "audit.jsonl"


def test_find_settings_without_any_file_means_no_settings(tmp_path):
    settings, path = find_settings(None)
    assert settings is None
    assert path == tmp_path / "cfg" / "mlops-tui" / "config.toml"


def test_find_settings_reads_the_default_file(tmp_path):
    path = tmp_path / "cfg" / "mlops-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('user = "bob"\n')
    settings, found = find_settings(None)
    assert found == path and settings is not None and settings.user == "bob"


def test_find_settings_explicit_missing_file_is_an_error(tmp_path, monkeypatch):
    with pytest.raises(ConfigError) as info:
        find_settings(str(tmp_path / "missing.toml"))
    assert info.value.path == tmp_path / "missing.toml"
    assert "mlops-tui init --config" in info.value.fix
    monkeypatch.setenv("MLOPS_TUI_CONFIG", str(tmp_path / "also-missing.toml"))
    with pytest.raises(ConfigError) as info:
        find_settings(None)
    assert info.value.path == tmp_path / "also-missing.toml"


def test_find_settings_uses_the_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_CONFIG", str(write(tmp_path, 'user = "carol"\n', "env.toml")))
    settings, _ = find_settings(None)
    assert settings is not None and settings.user == "carol"


# -- identity ----------------------------------------------------------------------------------
def test_identity_precedence(monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "osuser")
    assert current_user(None) == "osuser"
    assert current_user(Settings(user="alice")) == "alice"
    monkeypatch.setenv("MLOPS_TUI_USER", "envuser")
    assert current_user(Settings(user="alice")) == "envuser"


def test_identity_without_any_os_user(monkeypatch):
    def no_user():
        raise OSError("no user")

    monkeypatch.setattr("getpass.getuser", no_user)
    assert current_user(None) == "unknown"


# -- secrets -----------------------------------------------------------------------------------
@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_keyring_reference_resolves(memory_keyring):
    store_secret("prod-mlflow", "tok-123")
    assert memory_keyring.store[(SERVICE, "prod-mlflow")] == "tok-123"
    assert resolve_secret("keyring:prod-mlflow") == "tok-123"


def test_missing_keyring_entry_says_how_to_store_it(memory_keyring):
    with pytest.raises(SecretError) as info:
        resolve_secret("keyring:nope")
    assert "nope" in info.value.problem
    assert "mlops-tui auth set nope" in info.value.fix


def test_env_reference_resolves(monkeypatch):
    monkeypatch.setenv("MY_TOKEN", "from-env")
    assert resolve_secret("env:MY_TOKEN") == "from-env"


def test_unset_env_reference(monkeypatch):
    monkeypatch.delenv("MY_TOKEN", raising=False)
    with pytest.raises(SecretError) as info:
        resolve_secret("env:MY_TOKEN")
    assert "MY_TOKEN is not set" in info.value.problem


def test_a_literal_is_not_a_reference_and_is_not_repeated():
    with pytest.raises(SecretError) as info:
        resolve_secret(SECRET)
    assert SECRET not in info.value.render()
    assert "keyring:NAME" in info.value.fix


def test_no_keyring_offers_env_and_keyrings_alt(no_keyring):
    for call in (lambda: resolve_secret("keyring:x"), lambda: store_secret("x", "v"), list_secret_names):
        with pytest.raises(SecretError) as info:
            call()
        fix = info.value.fix
        assert "env:" in fix
        assert "pip install keyrings.alt" in fix
        assert "plain-text" in fix


def test_secret_names_are_indexed_and_listed_without_values(memory_keyring):
    assert list_secret_names() == []
    store_secret("b-token", "vb")
    store_secret("a-token", "va")
    store_secret("a-token", "va2")  # overwrite keeps one entry
    assert list_secret_names() == ["a-token", "b-token"]
    index = memory_keyring.store[(SERVICE, INDEX_ENTRY)]
    assert json.loads(index) == ["a-token", "b-token"]
    assert "va" not in index
    delete_secret("a-token")
    assert list_secret_names() == ["b-token"]
    assert (SERVICE, "a-token") not in memory_keyring.store
    with pytest.raises(SecretError) as info:
        delete_secret("a-token")
    assert "no secret named 'a-token'" in info.value.problem


def test_bad_secret_names_are_refused(memory_keyring):
    for name in ("", "has space", INDEX_ENTRY, "-dash-first"):
        with pytest.raises(SecretError):
            store_secret(name, "v")
    assert memory_keyring.store == {}


# -- property: anything in, Settings or ConfigError out ---------------------------------------
def _toml_literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ "
            + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml_literal(v)}" for k, v in value.items())
            + " }"
        )
    raise AssertionError(value)


toml_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
scalars = st.one_of(st.booleans(), st.integers(), st.floats(), toml_text)
toml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(toml_text, inner, max_size=3)),
    max_leaves=6,
)
key_names = st.one_of(
    st.sampled_from(
        [
            "name",
            "kind",
            "url",
            "auth",
            "token",
            "password",
            "read_only",
            "backends",
            "theme",
            "contexts",
            "default_context",
            "refresh_seconds",
            "user",
            "timeout_seconds",
            "type",
        ]
    ),
    st.text(alphabet=string.ascii_letters + "_-.", min_size=1, max_size=10),
)

LINES = CONTRACT.splitlines()


@st.composite
def mutated_configs(draw) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        op = draw(
            st.sampled_from(
                ["value", "value", "value", "key", "key", "delete", "duplicate", "insert", "insert", "chars", "header"]
            )
        )
        if not lines:
            lines.append(draw(st.text(max_size=30)))
        elif op == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {_toml_literal(draw(toml_values))}"
        elif op == "key" and "=" in lines[i]:
            lines[i] = f"{draw(key_names)} = {lines[i].split('=', 1)[1]}"
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "insert":
            lines.insert(i, f"{draw(key_names)} = {_toml_literal(draw(toml_values))}")
        elif op == "header":
            ctx = draw(st.sampled_from(["prod", "staging", "x y"]))
            lines.insert(
                i,
                draw(
                    st.sampled_from(
                        [
                            f"[contexts.{ctx}]",
                            f"[[contexts.{ctx}.backends]]",
                            "[[backends]]",
                            "[contexts]",
                            f'[contexts."{ctx}"]',
                        ]
                    )
                ),
            )
        else:
            text = lines[i]
            at = draw(st.integers(0, len(text)))
            lines[i] = text[:at] + draw(st.text(max_size=5)) + text[at + draw(st.integers(0, 3)) :]
    return "\n".join(lines) + "\n"


def _check_anything(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            result = load_settings(path)
        except ConfigError as err:
            rendered = err.render()
            assert str(path) in rendered
            assert "Traceback" not in rendered and "pydantic" not in rendered
            assert len(rendered.splitlines()) <= 24  # one screen
        else:
            assert isinstance(result, Settings)


PROPERTY = hsettings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(text=mutated_configs())
def test_mutated_config_gives_settings_or_config_error(kinds, text):
    _check_anything(text)


@PROPERTY
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_arbitrary_input_gives_settings_or_config_error(kinds, text):
    _check_anything(text)


@PROPERTY
@given(secret=st.text(alphabet=string.ascii_letters + string.digits + "!#%&*+/=?^_~", min_size=10, max_size=40))
def test_no_literal_secret_ever_appears_in_an_error(kinds, secret):
    text = CONTRACT.replace('"keyring:prod-mlflow"', json.dumps(secret))
    with pytest.raises(ConfigError) as info:
        parse_settings(text, Path("config.toml"))
    assert secret not in info.value.render()
    assert re.search(r"auth set \S+", info.value.fix)
