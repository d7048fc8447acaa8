"""One email address, strictly: what a form accepts and what the sender sends to (issue 9).

A typed email must be exactly one RFC 5321 mailbox, `local@domain`, so that no form value
can reach several recipients or other ones: no display name, no angle brackets, no list
(`a@b.test, c@d.test`), no quoted local part, no comments, no IP literal, no header folded
in (`a@b.test\\nBcc: x@y.test`). The syntax is email-validator's; nothing is looked up in
DNS. Decisions (docs/security.md, "Issue 9"):

- **ASCII only.** Internationalised addresses (RFC 6531, SMTPUTF8) and IDN domains are
  refused: not every relay speaks SMTPUTF8, and one spelling per address keeps "an email has
  one account" simple.
- **Special-use domains are refused** (`.local`, `localhost`, `.invalid`, `.onion`, `.arpa`),
  except `.test` (RFC 6761), which test and demo installations use.
- The result is normalised and lower-cased, as emails are stored (SPEC §2). For an accepted
  address that is the same as the typed text trimmed and lower-cased.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 320


def mailbox(value: object) -> str | None:
    """The address, normalised and lower-cased, if value is exactly one mailbox; else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH or not value.isascii():
        return None
    if any(ord(c) <= 32 or ord(c) == 127 for c in value):  # controls and spaces: never in one
        return None
    try:
        checked = validate_email(
            value, check_deliverability=False, allow_smtputf8=False, allow_quoted_local=False,
            allow_display_name=False, allow_domain_literal=False, allow_empty_local=False,
            strict=True, test_environment=True,
        )
    except EmailNotValidError:
        return None
    if "." not in checked.ascii_domain:  # test_environment would let a bare `@test` through
        return None
    return checked.normalized.lower()
