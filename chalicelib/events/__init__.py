"""Thin entry points for schedules, SQS and direct invocations: parse, call one use case, render."""
