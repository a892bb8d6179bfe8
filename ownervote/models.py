"""Import every model so that ``Base.metadata`` knows the whole schema."""

from identity.store import models as identity_models  # noqa: F401
from identity.store import sessions as identity_sessions  # noqa: F401
from ledger.store import models as ledger_models  # noqa: F401
from ownervote import audit  # noqa: F401
from ownervote.db import Base
from voting.store import models as voting_models  # noqa: F401

metadata = Base.metadata
