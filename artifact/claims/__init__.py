"""Every quantitative statement of the paper as a checked claim (claims/ holds them).

`verify_claims(aggregate)` judges each claim against one aggregate.json; `audit_paper()` checks
the paper's numbers against each other. Both return pydantic reports whose
`.model_dump(mode="json")` is what `artifact verify-claims --format json` and
`artifact audit-paper --format json` print.
"""

from artifact.claims.audit.paper_audit import (
    AuditReport,
    Finding,
    audit_paper,
    audit_registry,
    marked_claims,
)
from artifact.claims.registry.loader import CLAIMS_DIR, Registry, load_registry
from artifact.claims.verify.verdicts import VERDICTS, ClaimResult, ClaimsReport, verify_claims

__all__ = [
    "CLAIMS_DIR",
    "VERDICTS",
    "AuditReport",
    "ClaimResult",
    "ClaimsReport",
    "Finding",
    "Registry",
    "audit_paper",
    "audit_registry",
    "load_registry",
    "marked_claims",
    "verify_claims",
]
