"""The ground floor every package may import (settings, logging, customer-facing texts); operations in ``shop.ops``."""
