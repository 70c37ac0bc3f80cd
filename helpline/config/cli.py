"""The `helpline` console command: Django's management commands with Helpline's settings preset."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["helpline", *sys.argv[1:]])


if __name__ == "__main__":
    main()
