"""Without SMTP, mail lands as one .eml file per message under $DAILYPAPERS_HOME/mail/."""

import email
import os
import subprocess
import sys

from django.core import mail

BACKEND = "dailypapers.ops.mailbox.FileMailBackend"


def test_it_writes_one_eml_file_per_message(settings, tmp_path):
    settings.EMAIL_BACKEND, settings.HOME = BACKEND, tmp_path
    mail.send_mail("Verify your email", "Open http://127.0.0.1:8000/verify-email/abc to confirm.",
                   "papers@example.org", ["dora@example.org"])
    message = mail.EmailMultiAlternatives("Your digest: 3 papers", "Plain text", "papers@example.org",
                                          ["ilse@example.org"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    message.send()
    files = sorted((tmp_path / "mail").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    assert files[0].name.endswith("-verify-your-email.eml")
    parsed = email.message_from_bytes(files[0].read_bytes())
    assert parsed["To"] == "dora@example.org" and parsed["Subject"] == "Verify your email"
    assert "/verify-email/abc" in parsed.get_payload(decode=True).decode()
    assert email.message_from_bytes(files[1].read_bytes()).is_multipart()


def test_it_is_the_default_without_smtp_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")} | {
        "DAILYPAPERS_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "dailypapers.settings"}
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert plain.stdout.strip() == BACKEND
    smtp = subprocess.run([sys.executable, "-c", code], env=env | {"EMAIL_URL": "smtp://mail.example.org:587"},
                          capture_output=True, text=True, check=True)
    assert smtp.stdout.strip().endswith("smtp.EmailBackend")
