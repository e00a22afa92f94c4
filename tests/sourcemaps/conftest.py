from tests.api.conftest import alice, charlie, org_a, org_b, project  # noqa: F401
from tests.support.world import store_events  # noqa: F401
