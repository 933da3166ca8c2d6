"""Adapters behind the ports: AWS ones and local ones."""
