"""The Bemakers integration hub's shared layer: models, mapping, connectors and the sync ledger."""
