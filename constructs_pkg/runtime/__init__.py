"""Code that runs inside AWS Lambda.

Everything under ``constructs_pkg.runtime`` uses the Python standard library and
boto3 only (both present in Lambda's Python runtimes) and never imports aws_cdk,
so this folder can be shipped as a Lambda asset as it is.
"""

__all__: list[str] = []
