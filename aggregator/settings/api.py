"""The REST API at /api/0/ (api/): tokens or the session, JSON only, throttled per token."""

from .base import env

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # with CSRF
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "api.errors.handle",
}
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="1200/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Aggregator API",
    "DESCRIPTION": "The Sentry-compatible web API: organizations, projects, issues, events, keys.",
    "VERSION": "0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/0/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RuleMatchEnum": "api.rule_serializers.MATCH",
        "RuleStatusEnum": "api.rule_serializers.RULE_STATUS",
        "DeliveryStatusEnum": "alerts.models.Delivery.Status",
        "MemberRoleEnum": "api.member_views.ROLES",  # role and orgRole: one name
    },
    # A summary on every operation for the docs page (api/summaries.py), after the default.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.summaries.add_summaries",
    ],
}
