"""The rules package's refusals, in the domain's words (no HTTP: `chalicelib/api/errors.py` maps
`InvalidInput` and its subclasses to 400 with `problems` in the body)."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.errors import InvalidInput

__all__ = ["RulesCsvInvalid", "RulesInvalid"]


class RulesInvalid(InvalidInput):
    """One or more rules cannot be used; `problems` maps where (the rule and its field) to what is wrong,
    e.g. `rules[2] 'PayPal deposits' conditions[0].value` -> `must be a number such as 100.00`."""

    lead = "The rules cannot be used"

    def __init__(self, problems: Mapping[str, str]) -> None:
        detail = "; ".join(f"{k}: {v}" for k, v in problems.items())
        super().__init__(f"{self.lead}: {detail}", details={"fields": dict(problems)})


class RulesCsvInvalid(RulesInvalid):
    """A rules CSV file with problems; `problems` maps `row N, column C` to what is wrong. The whole file is
    refused: no rule of it is kept."""

    lead = "The rules file was not imported"
