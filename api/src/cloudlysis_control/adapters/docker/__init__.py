"""The only code that talks to the Docker Engine (aiodocker) or reads its fixture file."""
