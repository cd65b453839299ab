"""Rows found by an email address, however it is spelt: the one match that leads, trapped
submissions and email deliveries share (each keeps its address's normalised form,
validators.email_key, in an indexed column of its own)."""

from typing import Self

from django.db import models
from django.db.models import Q

from .validators import email_key


class AddressQuerySet(models.QuerySet):
    """Rows by email address, however it is spelt: each row keeps its address's normalised form
    (validators.email_key) in the indexed column ADDRESS_KEY, beside the address as typed.

    The one way a lead, a trapped submission or an email delivery is found by its address.
    Normalising takes Python (IDNA), so the key is a column of its own, written with the
    address by every path that writes one; a match is then one probe of the key's index.
    """

    ADDRESS_KEY = "email_key"

    def with_address(self, *addresses: str) -> Self:
        """Rows with any of these addresses, in any spelling that reaches the same mailbox
        (letter case, Unicode forms, IDNA); none for no address or an empty one."""
        return self.filter(self.address_match(*addresses))

    @classmethod
    def address_match(cls, *addresses: str) -> Q:
        """with_address()'s condition, to combine with others in one filter."""
        keys = sorted({key for key in map(email_key, addresses) if key})
        return Q(**{f"{cls.ADDRESS_KEY}__in": keys})
