"""The setup page's snippets: how each client sends to this project, with its DSN filled in,
the project's own platform first. Pure: the view passes the addresses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    key: str  # a platform of projects/forms.py PLATFORMS, or a client of ours
    title: str
    code: str


def snippets(platform: str, *, dsn: str, secret_dsn: str, udp_dsn: str, udp_secret_dsn: str,
             base_url: str, project_id: int, public_key: str) -> list[Snippet]:  # fmt: skip
    """Every snippet, the one for `platform` first (Node's for "node", and so on)."""
    all_ = [
        Snippet("python", "Python (sentry-sdk)", f"""pip install sentry-sdk

import sentry_sdk
sentry_sdk.init(dsn="{dsn}", environment="production", release="myapp@1.0.0")"""),
        Snippet("javascript", "JavaScript in the browser (@sentry/browser)", f"""npm install @sentry/browser

import * as Sentry from "@sentry/browser";
Sentry.init({{ dsn: "{dsn}", release: "myapp@1.0.0" }});"""),
        Snippet("node", "Node.js (@sentry/node)", f"""npm install @sentry/node

const Sentry = require("@sentry/node");
Sentry.init({{ dsn: "{dsn}", release: "myapp@1.0.0" }});"""),
        Snippet("go", "Go (sentry-go)", f"""go get github.com/getsentry/sentry-go

err := sentry.Init(sentry.ClientOptions{{Dsn: "{dsn}", Release: "myapp@1.0.0"}})
defer sentry.Flush(2 * time.Second)
sentry.CaptureException(errors.New("something broke"))"""),
        Snippet("ruby", "Ruby (sentry-ruby)", f"""gem install sentry-ruby

Sentry.init do |config|
  config.dsn = "{dsn}"
  config.release = "myapp@1.0.0"
end"""),
        Snippet("php", "PHP (sentry/sentry)", f"""composer require sentry/sentry

\\Sentry\\init(['dsn' => '{dsn}', 'release' => 'myapp@1.0.0']);"""),
        Snippet("java", "Java (io.sentry:sentry)", f"""// Gradle: implementation 'io.sentry:sentry:7.+'

Sentry.init(options -> {{
    options.setDsn("{dsn}");
    options.setRelease("myapp@1.0.0");
}});"""),
        Snippet("csharp", ".NET (Sentry)", f"""dotnet add package Sentry

using var _ = SentrySdk.Init(options => {{
    options.Dsn = "{dsn}";
    options.Release = "myapp@1.0.0";
}});"""),
        Snippet("logging", "Python logging with sentry-sdk (errors and log records)", f"""import logging
import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

sentry_sdk.init(
    dsn="{dsn}",
    integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
)
logging.getLogger(__name__).error("sent as an event")"""),
        Snippet("client", "Our stdlib logging handler (no dependencies, UDP or HTTP)", f"""pip install ./client    # from this app's source folder

import logging
from aggregator_client import AggregatorHandler

# Fire and forget over UDP; or "{dsn}" over HTTP.
logging.getLogger().addHandler(AggregatorHandler("{udp_dsn}", level=logging.ERROR))"""),
        Snippet("raven", "Legacy raven (Python): HTTP, or UDP with raven 5.x", f"""pip install raven

from raven import Client
from raven.handlers.logging import SentryHandler
import logging

client = Client("{secret_dsn}")      # or over UDP: Client("{udp_secret_dsn}")
logging.getLogger().addHandler(SentryHandler(client, level=logging.ERROR))"""),
        Snippet("airbrake", "Airbrake / Errbit notifiers (pybrake, airbrake-ruby, …)", f"""pip install pybrake

import pybrake
notifier = pybrake.Notifier(project_id={project_id}, project_key="{public_key}",
                            host="{base_url}")
notifier.notify(ValueError("something broke"))"""),
    ]  # fmt: skip
    first = {"other": "python", "native": "python"}.get(platform, platform)
    return sorted(all_, key=lambda s: s.key != first)
