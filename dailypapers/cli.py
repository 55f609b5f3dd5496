"""The ``dailypapers`` console script: Django's manage.py with the project's settings preset.

``dailypapers serve`` (production server), ``dailypapers import PATH…`` and every other management
command run through here.
"""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
