"""Why an edge did not take a payload: one exception for every edge and every step.

A `Refusal` carries a reason code (a key of REASONS), a detail for the sender, and, for
refusals that pass with time, the seconds to wait. Parsing raises it, and so does admission
(events/ingest/admission.py). Each edge turns it into its protocol's answer: `status` is
the HTTP status of the Sentry endpoints; the Airbrake endpoint answers some reasons with
another status, and UDP, which has no answer, counts the reason (`manage.py udpstats`).
"""

from typing import NamedTuple


class Reason(NamedTuple):
    status: int  # the HTTP status the Sentry endpoints answer with
    meaning: str


REASONS: dict[str, Reason] = {
    # The payload: the sender's fault, sending it again will not help.
    "bad_request": Reason(400, "the request is malformed (length, path, form fields)"),
    "bad_encoding": Reason(400, "the body could not be decompressed"),
    "bad_payload": Reason(400, "payload is not JSON, zlib or base64(zlib)"),
    "bad_json": Reason(400, "payload decodes to invalid JSON or not an object"),
    "bad_envelope": Reason(400, "the envelope's framing or headers are invalid"),
    "bad_dsn": Reason(400, "an envelope's `dsn` header is not a DSN"),
    "bad_version": Reason(400, "the protocol version is not a number or not supported"),
    "bad_project": Reason(400, "the project is not a project id"),
    "bad_notice": Reason(400, "an Airbrake notice of the wrong shape"),
    "bad_xml": Reason(422, "an Airbrake v2 notice that is not well-formed XML"),
    "bad_checkin": Reason(400, "a cron check-in or its monitor_config is invalid"),
    "bad_feedback": Reason(400, "user feedback of the wrong shape"),
    "too_large": Reason(413, "datagram, body or decoded event over the size limit"),
    "method_not_allowed": Reason(405, "the endpoint takes another HTTP method"),
    # Who sends it.
    "missing_auth": Reason(401, "no key in the request"),
    "bad_auth": Reason(401, "auth header malformed, or keys that disagree"),
    "unknown_key": Reason(403, "no project key with this public key"),
    "wrong_project": Reason(403, "the project named is not the key's project"),
    "disabled_key": Reason(403, "the key is disabled"),
    "filtered": Reason(403, "the project's inbound filters drop requests from this IP or agent"),
    # Not the sender's fault: try again later.
    "rate_limited": Reason(
        429,
        "a limit is reached: the key's or project's events per minute, the project's"
        " quota per hour, day or month, or the organization's monthly quota",
    ),
    "overloaded": Reason(
        429, "the ingest backlog is past its bound, or queue and spool are unusable"
    ),
    "keys_unavailable": Reason(503, "the database is down and the key is in no cache"),
    "backlog_full": Reason(503, "the UDP listener had more unprocessed datagrams than it keeps"),
    "internal_error": Reason(500, "a bug: logged with its traceback"),
}


class Refusal(Exception):
    """`reason` names the cause (REASONS), `detail` says it to the sender."""

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        retry_after: int | None = None,
        scope: str = "",
        quota: str = "",
    ):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after  # seconds, for refusals that pass with time
        self.scope = scope  # what a rate limit applies to: "key", "project" or "organization"
        # which limit: "rate_limited" (per minute), "hourly_quota", "daily_quota", "monthly_quota"
        self.quota = quota

    @property
    def status(self) -> int:
        return REASONS[self.reason].status


def too_large(what: str, limit: int) -> Refusal:
    return Refusal("too_large", f"{what} too large: more than {limit} bytes")
