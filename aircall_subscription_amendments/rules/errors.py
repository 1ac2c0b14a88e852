"""The one exception the rules raise for bad input."""


class RuleError(ValueError):
    """Bad input to a rule. ``field`` names the offending input (e.g. "quantity")."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
