"""The one error type of wire parsing."""


class ProtocolError(Exception):
    """Client error: `detail` for the body / X-Sentry-Error, `status` 400/401/403/413."""

    def __init__(self, detail: str, status: int = 400):
        super().__init__(detail)
        self.detail = detail
        self.status = status
