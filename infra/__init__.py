"""Deploying to AWS: the Lambda package (package.py) and the CDK app that stands the service up."""
