"""flask_deployment."""
