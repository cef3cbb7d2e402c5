"""Example apps quoted by the docs; tests synthesize every one of them."""
