"""Credentials come from the environment or an env file outside the repository, and never show."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from installation.errors import ConfigError
from installation.outputs.publishers.credentials import (
    Secret,
    SecretRedactor,
    credentials,
    read_env_file,
)


def test_environment_first_then_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "posting.env"
    env_file.write_text("TOKEN_A=from-file-a\nTOKEN_B=from-file-b\n")
    found, missing = credentials(
        {"a": "TOKEN_A", "b": "TOKEN_B", "c": "TOKEN_C"}, env_file, {"TOKEN_A": "from-env-a"}
    )
    assert found["a"].reveal() == "from-env-a" and found["b"].reveal() == "from-file-b"
    assert missing == ["TOKEN_C"]


def test_a_secret_never_prints(tmp_path: Path) -> None:
    secret = Secret("hunter2-very-secret")
    assert "hunter2" not in f"{secret} {secret!r} {[secret]}"


def test_an_env_file_inside_a_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    inside = tmp_path / "config" / "posting.env"
    inside.parent.mkdir()
    inside.write_text("A=b\n")
    with pytest.raises(ConfigError, match="inside the git repository"):
        read_env_file(inside)


def test_a_missing_env_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist\. Create it"):
        read_env_file(tmp_path / "nope.env")


def test_the_redactor_blanks_known_secrets_whoever_logs_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    Secret("sk-live-abcdef123456")
    logger = logging.getLogger("some.library")
    caplog.handler.addFilter(SecretRedactor())
    with caplog.at_level(logging.DEBUG):
        logger.debug("Authorization: Bearer %s", "sk-live-abcdef123456")
    assert "sk-live" not in caplog.text and "Bearer ***" in caplog.text
