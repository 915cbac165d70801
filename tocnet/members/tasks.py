from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tocnet.members.importing.retention import import_previews_expire


@db_periodic_task(crontab(hour="2", minute="40"))
def import_previews_expire_task() -> None:
    """Nightly: previews nobody confirmed within 7 days lose their parsed personal data."""
    import_previews_expire()
