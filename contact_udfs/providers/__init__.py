"""Provider registry: short lowercase aliases -> classes, loaded lazily."""
