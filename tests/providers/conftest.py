"""The provider tests share the simulator fixtures of :mod:`provider_fixtures`."""

from provider_fixtures import *  # noqa: F403
