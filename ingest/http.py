"""HTTP for connectors: authentication from environment variables, timeouts, retries with backoff.

Transient faults (connection refused or dropped, timeouts, a body cut short, 5xx, 429, a body that is
not the JSON it claims to be) are retried with exponential backoff and jitter (tenacity). An
authentication failure (401, 403) is not: retrying a wrong password only locks the account.
Options of a source entry read here:

    auth: {type: bearer, token_env: PORTAL_TOKEN}            # or
    auth: {type: basic, username_env: PORTAL_USER, password_env: PORTAL_PASSWORD}
    timeout: 30          # seconds per request (connect and read)
    retries: 4           # further attempts after the first
    backoff: 1.0         # first wait in seconds, doubling, at most max_backoff
    max_backoff: 60
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass

import orjson
import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

log = logging.getLogger(__name__)


class SourceError(Exception):
    """The source answered in a way the pull cannot use (recorded as the run's error)."""


class TransientSourceError(SourceError):
    """Worth another try: the network or the server had a moment."""


class AuthenticationError(SourceError):
    """401/403 or a missing credential: never retried."""


class NotOfferedError(SourceError):
    """404: the server has no such resource (an optional protocol extension it does not offer)."""


def secret(options: dict, key: str, source_name: str) -> str:
    """The value of the environment variable an entry names under `key` (secrets never sit in the file)."""
    var = options.get(key)
    if not var:
        raise AuthenticationError(f"source {source_name!r}: `{key}` must name an environment variable")
    value = os.environ.get(str(var))
    if not value:
        raise AuthenticationError(f"source {source_name!r}: environment variable {var} is not set")
    return value


@dataclass
class RetryPolicy:
    retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 60.0

    @classmethod
    def from_options(cls, options: dict) -> "RetryPolicy":
        return cls(int(options.get("retries", 4)), float(options.get("backoff", 1.0)),
                   float(options.get("max_backoff", 60.0)))

    def run(self, call, what: str):
        def note(state):
            log.warning("%s: attempt %d failed (%s); retrying", what, state.attempt_number,
                        state.outcome.exception())

        retrying = Retrying(stop=stop_after_attempt(self.retries + 1),
                            wait=wait_exponential_jitter(multiplier=self.backoff, max=self.max_backoff,
                                                         jitter=self.backoff / 2),
                            retry=retry_if_exception_type(TransientSourceError), reraise=True, before_sleep=note)
        return retrying(call)


def _loads(body: bytes):
    """orjson (a page of 5,000 dossiers parses ~3× faster); what only the standard parser takes (NaN, integers
    beyond 64 bits, a BOM) still parses as before."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


class HttpSource:
    """One source's HTTP session: auth, timeout and retry policy from its entry."""

    def __init__(self, source_name: str, options: dict):
        self.name = source_name
        self.options = options
        self.timeout = float(options.get("timeout", 30))
        self.policy = RetryPolicy.from_options(options)
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json, text/csv;q=0.9, */*;q=0.5"
        auth = options.get("auth") or {}
        kind = str(auth.get("type", "none")).lower()
        if kind == "bearer":
            self.session.headers["Authorization"] = f"Bearer {secret(auth, 'token_env', source_name)}"
        elif kind == "basic":
            self.session.auth = (secret(auth, "username_env", source_name), secret(auth, "password_env", source_name))
        elif kind != "none":
            raise SourceError(f"source {source_name!r}: auth type {kind!r} (use bearer or basic)")

    def _get_once(self, url: str, params: dict | None) -> requests.Response:
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
            response.content  # noqa: B018 — read the whole body here, so a cut-off body is retried too
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            raise TransientSourceError(f"GET {url}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status in (401, 403):
            raise AuthenticationError(f"GET {url}: HTTP {status} (check the credentials of source {self.name!r})")
        if status == 404:
            raise NotOfferedError(f"GET {url}: HTTP 404")
        if status == 429 or status >= 500:
            raise TransientSourceError(f"GET {url}: HTTP {status}")
        if status >= 400:
            raise SourceError(f"GET {url}: HTTP {status}: {response.text[:200]}")
        return response

    def get(self, url: str, params: dict | None = None) -> requests.Response:
        return self.policy.run(lambda: self._get_once(url, params), f"{self.name}: GET {url}")

    def get_json(self, url: str, params: dict | None = None):
        def once():
            response = self._get_once(url, params)
            try:
                return _loads(response.content)
            except (ValueError, UnicodeDecodeError) as exc:
                # A proxy's error page or a truncated body: the same request usually succeeds again.
                raise TransientSourceError(f"GET {url}: not JSON ({exc})") from exc

        return self.policy.run(once, f"{self.name}: GET {url}")

    def close(self) -> None:
        self.session.close()
