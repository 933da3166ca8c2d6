"""The Docker-free local stack: AWS's durable emulator, Lambda endpoint, HTTP API."""
