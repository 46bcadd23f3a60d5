from pathlib import Path

import pytest
import yaml

from application.errors import ConfigurationError
from entrypoints.container import sqlite_path
from entrypoints.settings import VARIABLES, Settings

ROOT = Path(__file__).resolve().parents[3]
REQUIRED = {
    "B24_CLIENT_ID": "local.app",
    "B24_CLIENT_SECRET": "s3cret",
    "B24_PUBLIC_URL": "https://names.example.com/",
}


def test_defaults_use_embedded_storage_and_bitrix_oauth() -> None:
    settings = Settings.from_env(REQUIRED)

    assert settings.storage_url == "sqlite:///data/b24names.sqlite3"
    assert settings.oauth_url == "https://oauth.bitrix.info"
    assert settings.events_url == "https://names.example.com/events"


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_missing_required_variable_is_named(missing: str) -> None:
    environ = {k: v for k, v in REQUIRED.items() if k != missing}

    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env(environ)


def test_public_url_must_be_http() -> None:
    with pytest.raises(ConfigurationError, match="B24_PUBLIC_URL"):
        Settings.from_env({**REQUIRED, "B24_PUBLIC_URL": "ftp://x"})


def test_client_secret_is_not_in_repr() -> None:
    assert "s3cret" not in repr(Settings.from_env(REQUIRED))


def test_compose_sets_exactly_variables_the_service_reads() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    environment = compose["services"]["app"]["environment"]

    assert set(environment) <= set(VARIABLES)
    assert set(REQUIRED) | {"B24_STORAGE_URL"} <= set(environment)
    assert environment["B24_STORAGE_URL"].startswith("mongodb://mongo:")
    assert "mongo" in compose["services"]["app"]["depends_on"]
    data_dir = environment["B24_DATA_DIR"]
    assert any(
        v.endswith(f":{data_dir}") for v in compose["services"]["app"]["volumes"]
    )


def test_public_url_with_query_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="query"):
        Settings.from_env({**REQUIRED, "B24_PUBLIC_URL": "https://x.example/a?q=1"})


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/b24names.sqlite3", "data/b24names.sqlite3"),
        ("sqlite:////var/lib/b24names.sqlite3", "/var/lib/b24names.sqlite3"),
    ],
)
def test_sqlite_urls_name_relative_and_absolute_files(url: str, path: str) -> None:
    assert sqlite_path(url) == Path(path)


def test_default_database_is_under_the_working_folder() -> None:
    settings = Settings.from_env(REQUIRED)

    assert not sqlite_path(settings.storage_url).is_absolute()
