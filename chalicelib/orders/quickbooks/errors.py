"""What cannot be posted to QuickBooks, in words written for the merchant."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["OrderNotPostable", "TotalsMismatch"]


class OrderNotPostable(ValueError):
    """The order cannot be expressed in QuickBooks; the message is written for the merchant."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TotalsMismatch(OrderNotPostable):
    """The order's parts do not add up to its total (to the cent)."""

    def __init__(self, difference: Decimal, computed: Decimal, expected: Decimal) -> None:
        self.difference = difference
        self.computed = computed
        self.expected = expected
        direction = "more" if difference > 0 else "less"
        super().__init__(
            f"The order's lines, shipping, fees and tax, less discounts, add up to {computed:.2f}, "
            f"which is {abs(difference):.2f} {direction} than the order total of {expected:.2f}. "
            "QuickBooks would record a different total, so the order was not posted; "
            "correct the order in the store and sync it again."
        )
