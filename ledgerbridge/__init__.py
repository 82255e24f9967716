"""Developer and operator tooling: the `ledgerbridge` CLI, the local stack and the simulators.

Nothing here is deployed to Lambda; the service itself lives in `chalicelib/`.
"""
