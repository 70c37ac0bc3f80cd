"""The `helpline` console command: Django's management commands with Helpline's settings preset.

Startup errors (`StartupError`) are printed as one line naming what to fix, without a
traceback; so is an interruption (Ctrl-C, SIGTERM) before the server runs."""

import os
import sys

from helpline.core.startup import StartupError


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.config.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["helpline", *sys.argv[1:]])
    except StartupError as exc:
        sys.stderr.write(f"helpline: {exc}\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("helpline: interrupted.\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
