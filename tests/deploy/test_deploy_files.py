"""The files in deploy/ are valid as their tools read them: nginx -t, systemd-analyze verify."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, missing

DEPLOY = REPO_ROOT / "deploy"


def tool(name, package):
    if not (path := shutil.which(name)):
        missing(f"{name} not found (apt-get install {package})", "the deploy/ checks")
    return path


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = tool("nginx", "nginx-light")
    openssl = tool("openssl", "openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem"], check=True, capture_output=True)
    site = (DEPLOY / "nginx" / "dailypapers.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/papers.example.org/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/letsencrypt/live/papers.example.org/privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n")
    checked = subprocess.run([nginx, "-t", "-q", "-c", tmp_path / "nginx.conf"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("unit", ["dailypapers-web.service", "dailypapers-worker.service"])
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path, unit):
    analyze = tool("systemd-analyze", "systemd")
    # The units name /srv/dailypapers/.venv: verify wants the program to exist, so point it at ours.
    text = (DEPLOY / "systemd" / unit).read_text()
    text = text.replace("/srv/dailypapers/.venv/bin", str(Path(sys.executable).parent))
    (tmp_path / unit).write_text(text.replace("/etc/dailypapers/env", f"{tmp_path}/env"))
    (tmp_path / "env").write_text((DEPLOY / "env.example").read_text())
    checked = subprocess.run([analyze, "verify", tmp_path / unit], capture_output=True, text=True)
    problems = [line for line in checked.stderr.splitlines() if unit in line]
    assert checked.returncode == 0 and problems == [], checked.stderr
