"""`helpline health`: print the /healthz report; exit status 1 when a part fails (for cron,
monitoring agents and container health checks)."""

import json
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the health report as JSON (as /healthz does); exit 1 when a part is failing."

    def handle(self, *args, **options):
        from helpline.core.health import health_report

        report = health_report()
        self.stdout.write(json.dumps(report, indent=2))
        if report["failing"]:
            sys.exit(1)
