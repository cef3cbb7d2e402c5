"""Tools that read what the constructs synthesized: ``constructs-pkg plan``, ``rehearse``, drain.

Nothing here imports aws_cdk: the tools run in CI on a cloud assembly, without the app.
"""

__all__: list[str] = []
