"""Thin HTTP entry points: parse the request, call one use case, render the answer."""
