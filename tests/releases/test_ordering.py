"""Release order, table-driven: semver when both parse, else first-seen order."""

import pytest

from releases import ordering

pytestmark = pytest.mark.one_pass

# (a, b, first-seen rank of a, of b, expected compare(a, b))
CASES = [
    ("1.0.0", "1.0.1", 2, 1, -1),  # semver wins over first-seen order
    ("1.10.0", "1.9.0", 1, 2, 1),  # numeric, not text order
    ("1.0.0-rc.1", "1.0.0", 1, 2, -1),  # a pre-release comes before its release
    ("1.0.0-alpha", "1.0.0-beta", 2, 1, -1),
    ("1.0.0-alpha.2", "1.0.0-alpha.10", 2, 1, -1),  # numeric identifiers compare as numbers
    ("1.0.0-rc.1", "0.9.9", 1, 2, 1),
    ("1.0.0+build.2", "1.0.0+build.1", 1, 2, -1),  # build metadata does not order: seen order
    ("1.0.0+build.2", "1.0.0+build.1", 3, 2, 1),
    ("web@1.4.2+build.7", "web@1.4.10", 2, 1, -1),  # package@version
    ("web@2.0.0", "api@1.0.0", 1, 2, -1),  # different packages: first-seen order
    ("v1.2.3", "1.2.4", 2, 1, -1),  # a leading v is allowed
    ("1.2", "1.1.9", 1, 2, 1),  # missing minor/patch count as 0
    ("abc123", "def456", 1, 2, -1),  # commit hashes: first-seen order
    ("def456", "abc123", 2, 1, 1),
    ("abc123", "1.0.0", 2, 1, 1),  # only one parses: first-seen order
    ("release/2024-01", "release/2023-12", 1, 2, -1),  # slashes are fine, seen order
    ("1.0.0", "1.0.0", 1, 1, 0),
]


@pytest.mark.parametrize(("a", "b", "seen_a", "seen_b", "expected"), CASES)
def test_compare(a, b, seen_a, seen_b, expected):
    assert ordering.compare(a, b, seen_a, seen_b) == expected
    assert ordering.compare(b, a, seen_b, seen_a) == -expected


def test_newest_of_several():
    assert ordering.newest({"1.0.0": 1, "1.2.0-rc.1": 2, "1.1.5": 3}) == "1.2.0-rc.1"
    assert ordering.newest({"abc": 1, "def": 2}) == "def"
    assert ordering.newest({}) is None
