from toshokan.federation.tests.registry.conftest import registry_loaded

__all__ = ["registry_loaded"]
