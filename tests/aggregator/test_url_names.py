"""URL names are unique within their namespace: `reverse` and `{% url %}` return the last
pattern of a name, so a second pattern with the same name silently hides the first. The same
name on the same route is an override, not a clash (accounts/ replaces Django's
password_reset with a throttled one, included before Django's)."""

from collections import defaultdict

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.one_pass


def names_by_namespace(patterns, namespace="", prefix="", found=None):
    """{(namespace, name): [routes]} over every named pattern, nested includes too."""
    found = defaultdict(list) if found is None else found
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            names_by_namespace(p.url_patterns, ns, prefix + str(p.pattern), found)
        elif isinstance(p, URLPattern) and p.name:
            found[(namespace, p.name)].append(prefix + str(p.pattern))
    return found


def duplicates(patterns) -> dict:
    return {k: v for k, v in names_by_namespace(patterns).items() if len(set(v)) > 1}


def test_no_two_url_patterns_share_a_name_within_a_namespace():
    shared = duplicates(get_resolver().url_patterns)
    assert not shared, "\n".join(
        f"{ns or '(root)'}:{name} names {routes}" for (ns, name), routes in shared.items()
    )


def test_the_check_finds_a_shared_name():
    from django.urls import include, path

    def view(request):
        return None

    inner = ([path("a/", view, name="x"), path("b/", view, name="x")], "app")
    patterns = [path("p/", include(inner)), path("c/", view, name="x")]
    assert duplicates(patterns) == {("app", "x"): ["p/a/", "p/b/"]}
