"""Stock levels into Bemakers: sources that read levels, the store of pushed levels and the push core."""
