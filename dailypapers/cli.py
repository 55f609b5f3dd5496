"""The ``dailypapers`` console script: Django's manage.py with the project's settings preset.

``dailypapers``, ``dailypapers --help`` and ``dailypapers help`` list the project's own commands first,
grouped, each with one line, then Django's; that listing is answered before Django (or any model) is
imported, so it is instant. Everything else (``dailypapers serve``, ``dailypapers import PATH…``, a
command's own ``--help``) runs through Django as usual.
"""

import importlib.util
import os
import sys
from pathlib import Path

# (group, [(command, one line)]). tests/test_cli.py checks this against the commands that
# exist, so a new command cannot be left out.
COMMANDS = [
    ("run", [
        ("serve", "serve the site with gunicorn (and the worker beside it on SQLite)"),
        ("worker", "run every scheduled job in one loop: sync, digests, embed, reindex"),
    ]),
    ("data", [
        ("import", "load papers from JSONL / API JSON files, folders or .tar.gz archives"),
        ("export", "write every paper to a JSONL file that import reads back"),
        ("sync", "fetch new papers from the enabled sources (Hugging Face, arXiv)"),
    ]),
    ("search", [
        ("embed", "compute the meaning vectors of papers that have none"),
        ("reindex", "build a new search index generation from the database"),
        ("doctor", "show the CPU, the search runtime chosen for it and the site's state"),
    ]),
    ("mail", [
        ("send_digests", "send the email digests that are due (--dry-run shows who gets what)"),
        ("unsubscribe_mail", "handle an unsubscribe request mailed to the List-Unsubscribe address"),
    ]),
    ("maintenance", [
        ("migrate", "create or upgrade the database tables"),
        ("createsuperuser", "make an admin account for /admin/ (moderation, sources)"),
        ("changepassword", "set a user's password"),
        ("backup", "copy the database to $DAILYPAPERS_HOME/backups while the site runs"),
        ("restore", "replace the database with a backup (stop web and worker first)"),
        ("collectstatic", "gather the static files that serve hands out"),
        ("check", "look for configuration problems (--deploy for production)"),
    ]),
]
HELP_FLAGS = ("-h", "--help", "help")


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    if len(argv) == 1 or (len(argv) == 2 and argv[1] in HELP_FLAGS):
        sys.stdout.write(overview(Path(argv[0]).name or "dailypapers"))
        return 0
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


def overview(prog):
    """The grouped listing: ours with a line each, then the rest by name."""
    lines = [f"Usage: {prog} COMMAND [options]   ({prog} COMMAND --help for a command's options)", ""]
    width = max(len(name) for _group, commands in COMMANDS for name, _line in commands)
    for group, commands in COMMANDS:
        lines.append(f"{group}:")
        lines += [f"  {name:<{width}}  {line}" for name, line in commands]
        lines.append("")
    ours = {name for _group, commands in COMMANDS for name, _line in commands}
    others = sorted(set(django_commands()) - ours)
    lines += ["Django's own commands:", *_columns(others, indent="  "), ""]
    return "\n".join(lines)


def django_commands():
    """Names of the commands of Django and of the other apps in INSTALLED_APPS, found on disk without
    importing the apps (so without setting Django up)."""
    settings = importlib.import_module(os.environ.get("DJANGO_SETTINGS_MODULE", "dailypapers.settings"))
    names = []
    others = [app for app in settings.INSTALLED_APPS if not app.startswith("dailypapers.")]
    for package in ("django.core", *others):
        spec = importlib.util.find_spec(package)
        for folder in spec.submodule_search_locations or ():
            commands = Path(folder) / "management" / "commands"
            names += [p.stem for p in commands.glob("*.py") if not p.name.startswith("_")]
    return names


def _columns(names, indent, width=100):
    rows, row = [], indent
    for name in names:
        if len(row) + len(name) + 2 > width and row.strip():
            rows.append(row.rstrip())
            row = indent
        row += name + "  "
    return [*rows, row.rstrip()] if row.strip() else rows


if __name__ == "__main__":
    sys.exit(main())
