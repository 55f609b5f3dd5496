"""The ``dailypapers`` console script: a grouped, described listing, answered without setting Django up."""

import subprocess
import sys
from pathlib import Path

from django.core.management import get_commands

from dailypapers import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
OURS = {name for _group, commands in cli.COMMANDS for name, _line in commands}


def test_it_lists_every_project_command_and_only_real_ones():
    on_disk = {path.stem for path in (REPO_ROOT / "dailypapers").glob("*/management/commands/*.py")
               if not path.name.startswith("_")}
    assert on_disk <= OURS, f"add to cli.COMMANDS: {sorted(on_disk - OURS)}"
    assert set(get_commands()) >= OURS, f"no such command: {sorted(OURS - set(get_commands()))}"


def test_it_groups_ours_first_with_a_line_each_and_djangos_below():
    text = cli.overview("dailypapers")
    groups = [line for line in text.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert groups == ["run:", "data:", "search:", "mail:", "maintenance:", "Django's own commands:"]
    djangos = text.index("Django's own commands:")
    for name in OURS:
        line = next(line for line in text.splitlines() if line.split()[:1] == [name])
        assert text.index(line) < djangos and len(line.split()) > 3, line
    assert text.index("startproject") > djangos and text.index("squashmigrations") > djangos
    assert "createsuperuser" in text[:djangos]


def _run(*args, code="import sys; from dailypapers.cli import main; sys.exit(main(sys.argv))"):
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                          check=False, cwd=REPO_ROOT)


def test_help_alone_or_with_a_flag_prints_the_listing():
    for args in ((), ("--help",), ("-h",), ("help",)):
        result = _run(*args)
        assert result.returncode == 0 and result.stdout.startswith("Usage:"), (args, result.stderr)
        assert "send_digests" in result.stdout


def test_help_imports_neither_django_apps_nor_models():
    """What makes it instant: no django.setup(), no models, no numpy or torch."""
    code = ("import sys; from dailypapers.cli import main; main(['dailypapers', '--help']); "
            "heavy = [m for m in ('django.apps.registry', 'django.db.models', 'dailypapers.papers.models', "
            "'numpy', 'torch', 'ninja') if m in sys.modules]; print('HEAVY', heavy, file=sys.stderr)")
    result = _run(code=code)
    assert "HEAVY []" in result.stderr, result.stderr


def test_a_commands_own_help_still_goes_to_django():
    result = _run("import", "--help")
    assert result.returncode == 0 and "--no-progress" in result.stdout
