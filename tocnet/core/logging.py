import logging


class RefusalWithoutTraceback(logging.Filter):
    """Keep the one-line record of a 403/404 but drop its traceback.

    Django logs refused requests with the exception attached, which prints a full traceback in
    the console for every permission check that says no; only 5xx deserve one.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
