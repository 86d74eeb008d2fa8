"""The metaclass of the wire models: ``help(Model)`` shows the model's fields, at no import cost."""

from __future__ import annotations

from pydantic._internal._model_construction import ModelMetaclass

__all__ = ["WireModelMeta"]


class WireModelMeta(ModelMetaclass):
    """``Model.__doc__`` is the class docstring followed by a table of the model's fields
    (:func:`mesodesk.contract.fields.model_doc`), built when something reads it (``help(Model)``,
    an IDE): importing the models builds nothing. Instances keep the plain docstring."""

    @property
    def __doc__(cls) -> str | None:  # type: ignore[override]
        own = cls.__dict__.get("__doc__")
        plain = own if isinstance(own, str) else None
        try:
            from mesodesk.contract.fields import model_doc

            return model_doc(cls, plain)  # type: ignore[arg-type]
        except Exception:  # never break help() over a table
            return plain
