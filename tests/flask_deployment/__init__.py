"""Tests of the web form (flask_deployment)."""
