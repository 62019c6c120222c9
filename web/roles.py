"""Staff roles, defined once: what each lets a member of staff do in the console."""

from __future__ import annotations

AGENT = "agent"
REVIEWER = "reviewer"
ROLES = {
    AGENT: "claims handed-over conversations, replies to customers and hands them back",
    REVIEWER: "corrects the review queue, turns conversations into test stories and exports training data",
}
DEFAULT_ROLES = (AGENT,)


def parse_roles(stored: str) -> frozenset[str]:
    """The roles of an account row (unknown names, e.g. from a newer version, are ignored)."""
    return frozenset(r.strip() for r in stored.split(",") if r.strip() in ROLES)


def format_roles(roles: tuple[str, ...] | list[str] | frozenset[str]) -> str:
    """The stored form; refuses unknown roles with the list of known ones."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise ValueError(f"roles are {', '.join(ROLES)}" + (f", not {', '.join(unknown)}" if unknown else ""))
    return ",".join(sorted(set(roles)))
