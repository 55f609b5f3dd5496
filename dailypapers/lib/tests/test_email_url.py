import os
import subprocess
import sys

import pytest

from dailypapers.lib.email_url import CONSOLE, SMTP, BadEmailUrl, EmailConfig, parse_email_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("console://", EmailConfig(CONSOLE)),
        ("smtp://127.0.0.1:1025", EmailConfig(SMTP, "127.0.0.1", 1025)),
        ("smtp://mail.example.org", EmailConfig(SMTP, "mail.example.org", 25)),
        ("smtp://me%40example.org:p%3Ass%2Fw@mail.example.org:587?tls=starttls",
         EmailConfig(SMTP, "mail.example.org", 587, "me@example.org", "p:ss/w", use_tls=True)),
        ("smtp://u:p@mail.example.org?tls=true", EmailConfig(SMTP, "mail.example.org", 587, "u", "p", use_tls=True)),
        ("smtps://u:p@mail.example.org", EmailConfig(SMTP, "mail.example.org", 465, "u", "p", use_ssl=True)),
        ("smtp://u:p@mail.example.org:2465?tls=ssl",
         EmailConfig(SMTP, "mail.example.org", 2465, "u", "p", use_ssl=True)),
    ],
)
def test_it_reads_email_urls(url, expected):
    assert parse_email_url(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://mail.example.org", "unknown scheme"),
        ("mail.example.org", "unknown scheme"),
        ("smtp://", "no host"),
        ("smtp://mail.example.org:port", "not a number"),
        ("smtp://mail.example.org?tls=maybe", "tls='maybe'"),
        ("smtp://mail.example.org?ssl=true", "unknown option"),
        ("smtps://mail.example.org?tls=starttls", "implicit TLS"),
    ],
)
def test_junk_fails_loudly_without_showing_the_password(url, problem):
    with pytest.raises(BadEmailUrl, match=problem) as caught:
        parse_email_url(url.replace("://", "://user:hunter2@", 1))
    assert "hunter2" not in str(caught.value)


def test_settings_refuse_to_start_on_a_bad_email_url(tmp_path):
    env = {**os.environ, "EMAIL_URL": "smtp://mail.example.org?tls=maybe", "DAILYPAPERS_HOME": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "dailypapers.settings"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,  # noqa: S603
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and "tls='maybe'" in result.stderr


def test_settings_take_the_smtp_server_from_email_url(tmp_path):
    env = {**os.environ, "EMAIL_URL": "smtps://u:p@mail.example.org", "DAILYPAPERS_HOME": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "dailypapers.settings"}
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_SSL, s.EMAIL_USE_TLS)")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,  # noqa: S603
                            timeout=60, check=True)
    assert result.stdout.split() == [SMTP, "mail.example.org", "465", "True", "False"]
