"""Things DRF and django-filter rebuild for every request that depend on the class alone."""

from collections.abc import Callable


def built_once_per_class[T](instance: object, attribute: str, build: Callable[[], T]) -> T:
    """What `build()` makes for the first instance of `instance`'s own class, kept on that class
    under `attribute` for every later one (a subclass builds and keeps its own)."""
    cls = type(instance)
    built = cls.__dict__.get(attribute)
    if built is None:
        built = build()
        setattr(cls, attribute, built)
    return built
