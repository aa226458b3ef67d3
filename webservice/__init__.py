"""webservice."""
