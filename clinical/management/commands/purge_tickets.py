"""Delete WebSocket tickets that expired more than ``--hours`` ago (default TICKET_RETENTION_HOURS).

Each worker also does this every TICKET_PURGE_INTERVAL_SECONDS; the command is for a cron job
or an operator (README, "Configuration").
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinical.tickets import purge_old_tickets


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=float,
            default=settings.TICKET_RETENTION_HOURS,
            help="keep tickets that expired less than this many hours ago",
        )

    def handle(self, *args: Any, hours: float, **options: Any) -> None:
        if hours < 0:
            raise CommandError(f"--hours must be 0 or more, not {hours:g}")
        deleted = purge_old_tickets(timedelta(hours=hours))
        self.stdout.write(f"deleted {deleted} ticket(s) that expired more than {hours:g} h ago")
