"""Entry point used by cdk.json: ``python -m sample_app``."""

from sample_app.app import main

main()
