"""Import every model so that ``Base.metadata`` knows the whole schema."""

from identity import models as identity_models  # noqa: F401
from identity import sessions as identity_sessions  # noqa: F401
from ledger import models as ledger_models  # noqa: F401
from ownervote import audit  # noqa: F401
from ownervote.db import Base
from voting import models as voting_models  # noqa: F401

metadata = Base.metadata
