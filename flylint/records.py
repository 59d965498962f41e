"""`@record`: `@dataclass` whose methods other than `__init__` are written once, not per class.

Before Python 3.13, `@dataclass` builds every method it adds (`__repr__`, `__eq__`, `__hash__`,
and a frozen class's `__setattr__`/`__delattr__`) from source text with its own `exec()`. With
about 90 model classes that was a third of a cold `flylint check`. `record` keeps dataclass's
`__init__`, `fields()`, `replace()` and `__match_args__`, and gives each class closures over its
field names that behave as the generated methods do:

- `__repr__`: `Name(a=1, b='x')` over the fields with `repr=True`, `...` on recursion;
- `__eq__`: same class and equal tuples of the `compare=True` fields, else `NotImplemented`;
- `__hash__`: the hash of that tuple when frozen or `unsafe_hash=True` (`hash=` on a field as in
  dataclass); `None` (unhashable) otherwise;
- frozen: a field can be set once (by `__init__`) and never reassigned or deleted;
  `FrozenInstanceError` as dataclass raises it. Methods a class defines itself are kept.

`__init__` binds arguments as dataclass's does; a generic one serves a class's first
GENERIC_INITS instances, and dataclass's own is written (an exec) only for a class that makes
more. Unlike dataclass, a class without a docstring gets none (dataclass computes one from the
signature, which costs as much again).
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from operator import attrgetter
from reprlib import recursive_repr
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type checkers see a dataclass
    from dataclasses import dataclass as record
else:

    def record(cls=None, /, *, frozen=False, repr=True, eq=True, unsafe_hash=False, **options):
        """`@record`, `@record(frozen=True, kw_only=True)`, ...: as `@dataclass`."""

        def wrap(c):
            init = options.get("init", True) and "__init__" not in c.__dict__
            made = _dataclass(c, **{**options, "init": False})
            if init:
                _set(made, "__init__", _lazy_init(made, _binder(made)))
            return _finish(made, frozen=frozen, repr=repr, eq=eq, hashed=frozen or unsafe_hash)

        return wrap if cls is None else wrap(cls)


def _dataclass(cls, **options):
    """dataclass() without the methods `_finish` adds; a class without a docstring keeps none
    (dataclass would compute one with inspect.signature, ~0.1 ms a class)."""
    undocumented = cls.__doc__ is None
    if undocumented:
        cls.__doc__ = "-"
    made = dataclass(cls, repr=False, eq=False, frozen=False, **options)
    if undocumented:
        made.__doc__ = None
    return made


# Instances a class makes through the generic __init__ before dataclass writes its own (writing
# one costs about as much as a hundred generic calls; 30 measured best on the fixtures).
GENERIC_INITS = 30


def _lazy_init(cls, binder):
    """cls's __init__: a generic one (`binder`) for the first GENERIC_INITS instances, then the
    one dataclass writes, put in its place. Most classes make a few instances in a run, or none,
    and writing an __init__ (an exec of generated source) is most of what a class costs."""
    made = 0

    def __init__(self, *args, **kwargs) -> None:
        nonlocal made
        if binder is not None and made < GENERIC_INITS:
            made += 1
            binder(self, args, kwargs)
            return
        if cls.__dict__.get("__init__") is __init__:
            # dataclass writes __init__ for a subclass from the fields it inherits: the same
            # parameters, defaults and __post_init__ call as it would have written for cls.
            shadow = type(cls.__name__, (cls,), {"__module__": cls.__module__})
            shadow.__qualname__ = cls.__qualname__
            _set(cls, "__init__", _dataclass(shadow).__init__)
        cls.__init__(self, *args, **kwargs)

    return __init__


def _binder(cls):
    """What dataclass's __init__ for cls does, in plain Python: bind the arguments (positional,
    then keyword-only fields), fill defaults and default factories, set every field in order
    (through __setattr__, as the generated code does), call __post_init__. None for a class it
    does not cover (InitVar pseudo-fields). Also raises dataclass's definition-time TypeError
    for a field without a default after one with a default."""
    flds = fields(cls)
    for pseudo in cls.__dataclass_fields__.values():
        if pseudo not in flds and "ClassVar" not in str(pseudo.type):
            return None  # an InitVar: leave it to dataclass
    positional = tuple(f.name for f in flds if f.init and not f.kw_only)
    accepted = frozenset(f.name for f in flds if f.init)
    seen_default = None
    for f in flds:
        if not f.init or f.kw_only:
            continue
        if f.default is not MISSING or f.default_factory is not MISSING:
            seen_default = f.name
        elif seen_default is not None:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    steps = tuple((f.name, f.init, f.default, f.default_factory) for f in flds)
    post_init = hasattr(cls, "__post_init__")
    where = f"{cls.__qualname__}.__init__()"

    def bind(self, args: tuple, kwargs: dict) -> None:
        if len(args) > len(positional):
            raise TypeError(f"{where} takes {len(positional) + 1} positional arguments")
        given = dict(zip(positional, args, strict=False))  # len(args) checked above
        for name, value in kwargs.items():
            if name not in accepted or name in given:
                raise TypeError(f"{where} got an unexpected or repeated argument {name!r}")
            given[name] = value
        for name, init, default, factory in steps:
            if init and name in given:
                value = given[name]
            elif factory is not MISSING:
                value = factory()
            elif default is not MISSING:
                value = default
            elif init:
                raise TypeError(f"{where} missing required argument {name!r}")
            else:
                continue
            setattr(self, name, value)
        if post_init:
            self.__post_init__()

    return bind


def _getter(names: tuple[str, ...]):
    """self -> tuple of the named attributes (always a tuple, as dataclass compares tuples)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        (name,) = names
        return lambda self: (getattr(self, name),)
    return lambda self: ()


def _set(cls, name: str, fn) -> None:
    fn.__qualname__ = f"{cls.__qualname__}.{name}"
    setattr(cls, name, fn)


def _finish(cls, *, frozen: bool, repr: bool, eq: bool, hashed: bool):
    own = cls.__dict__
    flds = fields(cls)
    # As dataclass: a __hash__ written in the class body is kept (Python sets it to None itself
    # when the body defines only __eq__).
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if "__slots__" in own and frozen:
        raise TypeError(f"{cls.__name__}: a frozen record cannot have slots")

    if repr and "__repr__" not in own:
        shown = tuple(f.name for f in flds if f.repr)

        @recursive_repr()
        def __repr__(self) -> str:
            inner = ", ".join([f"{n}={getattr(self, n)!r}" for n in shown])
            return f"{self.__class__.__qualname__}({inner})"

        _set(cls, "__repr__", __repr__)

    if eq and "__eq__" not in own:
        compared = _getter(tuple(f.name for f in flds if f.compare))

        def __eq__(self, other):
            if other.__class__ is self.__class__:
                return compared(self) == compared(other)
            return NotImplemented

        _set(cls, "__eq__", __eq__)

    if eq and not explicit_hash:
        if hashed:
            hashed = _getter(
                tuple(f.name for f in flds if (f.compare if f.hash is None else f.hash))
            )

            def __hash__(self) -> int:
                return hash(hashed(self))

            _set(cls, "__hash__", __hash__)
        else:
            cls.__hash__ = None

    if frozen:
        names = frozenset(f.name for f in flds)
        # The next __setattr__ after this class's, skipping other records' (they would only
        # repeat these tests): object's, unless a plain base class defines its own.
        base_setattr = next(
            k.__dict__["__setattr__"]
            for k in cls.__mro__[1:]
            if "__setattr__" in k.__dict__ and not hasattr(k.__dict__["__setattr__"], "_record")
        )

        def __setattr__(self, name: str, value) -> None:
            # __init__ sets each field once; any later assignment is a mutation.
            if (name in self.__dict__) if name in names else type(self) is cls:
                raise FrozenInstanceError(f"cannot assign to field {name!r}")
            base_setattr(self, name, value)

        def __delattr__(self, name: str) -> None:
            if type(self) is cls or name in names:
                raise FrozenInstanceError(f"cannot delete field {name!r}")
            super(cls, self).__delattr__(name)

        __setattr__._record = True
        _set(cls, "__setattr__", __setattr__)
        _set(cls, "__delattr__", __delattr__)
    return cls
