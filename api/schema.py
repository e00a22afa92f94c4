"""drf-spectacular: our bearer token in the OpenAPI schema, and operation ids from paths
(several of our views answer on two paths, as Sentry's do)."""

import re

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AutoSchema(openapi.AutoSchema):
    def get_operation_id(self):
        path = re.sub(r"[{}]", "", self.path.removeprefix("/api/0/")).strip("/")
        words = re.sub(r"[^a-z0-9]+", "_", path.lower()) or "root"
        action = self.method_mapping[self.method.lower()]
        if self.method == "GET" and self._is_list_view():
            action = "list"
        return f"{words}_{action}"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (Settings -> API tokens, or manage.py createtoken).",
        }
