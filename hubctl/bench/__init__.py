"""The benchmark suite behind `make bench`: figures against their targets in docs/benchmarks.md.

The package sits in hubctl because it drives the same local stack, sandboxes and handlers
as `hubctl demo` and the tests. So ruff and mypy check it with them, and nothing of it goes
into the Lambda layer.
"""
