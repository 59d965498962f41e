"""`@record` behaves as `@dataclass` for everything flylint relies on."""

from __future__ import annotations

import dataclasses
from dataclasses import FrozenInstanceError, dataclass, field, fields, replace

import pytest

from flylint.records import record


def twins(frozen: bool):
    """The same two classes (a base and a subclass) as a dataclass and as a record."""
    made = []
    for deco in (dataclass, record):

        @deco(frozen=frozen)
        class Base:
            name: str
            count: int = 0
            tags: tuple[str, ...] = ()
            note: str = field(default="", compare=False, repr=False)

        @deco(frozen=frozen)
        class Child(Base):
            extra: list[int] | None = None

        made.append((Base, Child))
    return made


@pytest.mark.parametrize("frozen", [False, True])
def test_repr_eq_hash_match_dataclass(frozen):
    (dbase, dchild), (rbase, rchild) = twins(frozen)
    for dc, rc in ((dbase, rbase), (dchild, rchild)):
        a, b = dc("x", 2, ("t",)), rc("x", 2, ("t",))
        assert repr(a) == repr(b)
        assert rc("x", note="one") == rc("x", note="two")  # compare=False field
        assert rc("x") != rc("y")
        assert rc("x") != dc("x")  # other class: NotImplemented, then identity
        assert rc("x").__eq__(object()) is NotImplemented
        assert [f.name for f in fields(rc)] == [f.name for f in fields(dc)]
        assert replace(b, count=3).count == 3
        if frozen:
            assert hash(rc("x", 2)) == hash(rc("x", 2, note="other"))
            assert len({rc("x"), rc("x"), rc("y")}) == 2
        else:
            with pytest.raises(TypeError):
                hash(b)
            b.count = 5
            assert b.count == 5
    assert rbase("x") != rchild("x")


def test_frozen_fields_cannot_change():
    _, (rbase, rchild) = twins(True)
    for obj in (rbase("x"), rchild("x", extra=[1])):
        with pytest.raises(FrozenInstanceError, match="cannot assign to field 'count'"):
            obj.count = 1
        with pytest.raises(FrozenInstanceError, match="cannot delete field 'name'"):
            del obj.name
        with pytest.raises(FrozenInstanceError):
            obj.unknown = 1
        assert obj.count == 0


def test_post_init_and_kw_only_and_recursion():
    @record(frozen=True, kw_only=True)
    class Span:
        start: int
        end: int | None = None

        def __post_init__(self) -> None:
            if self.end is None:
                object.__setattr__(self, "end", self.start)

    assert Span(start=3) == Span(start=3, end=3)
    with pytest.raises(TypeError):
        Span(3)  # type: ignore[misc]

    @record
    class Node:
        children: list = dataclasses.field(default_factory=list)

    node = Node()
    node.children.append(node)
    assert repr(node) == "test_post_init_and_kw_only_and_recursion.<locals>.Node(children=[...])"


def test_methods_written_in_the_class_are_kept():
    @record(frozen=True)
    class Named:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __eq__(self, other) -> bool:
            return isinstance(other, Named) and other.name.lower() == self.name.lower()

        def __hash__(self) -> int:
            return hash(self.name.lower())

    assert repr(Named("A")) == "<A>"
    assert Named("A") == Named("a")
    assert hash(Named("A")) == hash(Named("a"))


def build_init_cases(deco):
    @deco(frozen=True, kw_only=True)
    class Base:
        file: str = ""
        line: int = 0

    @deco(frozen=True)
    class Leaf(Base):
        value: object
        tags: list = dataclasses.field(default_factory=list)
        hidden: int = dataclasses.field(default=7, init=False)
        plain: str = "p"

        def __post_init__(self) -> None:
            object.__setattr__(self, "hidden", self.line * 2)

    @deco(slots=True)
    class Slotted:
        a: int
        b: str = "b"
        c: list = dataclasses.field(default_factory=list, repr=False)

    return Base, Leaf, Slotted


CALLS = [
    ("Leaf", (1,), {}),
    ("Leaf", (1, [2], "q"), {"file": "x", "line": 3}),
    ("Leaf", (), {"value": 1, "plain": "z", "line": 2}),
    ("Base", (), {"line": 2}),
    ("Base", (), {}),
    ("Slotted", (1,), {}),
    ("Slotted", (1, "x"), {"c": [3]}),
    ("Slotted", (), {"b": "y", "a": 0}),
]
BAD_CALLS = [
    ("Leaf", (), {}),  # value is required
    ("Leaf", (1, [], "p", "extra"), {}),
    ("Leaf", (1,), {"hidden": 3}),  # init=False
    ("Leaf", (1,), {"value": 2}),  # twice
    ("Leaf", (1,), {"bogus": 2}),
    ("Base", ("x",), {}),  # keyword-only
    ("Slotted", (), {}),
]


@pytest.mark.parametrize("generic_inits", [0, 1000])
def test_init_binds_as_dataclass(monkeypatch, generic_inits):
    """Both the generic __init__ and the one dataclass writes later behave as dataclass's."""
    import flylint.records

    monkeypatch.setattr(flylint.records, "GENERIC_INITS", generic_inits)
    theirs = dict(zip(("Base", "Leaf", "Slotted"), build_init_cases(dataclass), strict=True))
    ours = dict(zip(("Base", "Leaf", "Slotted"), build_init_cases(record), strict=True))
    for name, args, kwargs in CALLS:
        a, b = theirs[name](*args, **kwargs), ours[name](*args, **kwargs)
        assert repr(a) == repr(b), (name, args, kwargs)
        assert [getattr(a, f.name) for f in fields(a)] == [getattr(b, f.name) for f in fields(b)]
    for name, args, kwargs in BAD_CALLS:
        with pytest.raises(TypeError):
            theirs[name](*args, **kwargs)
        with pytest.raises(TypeError):
            ours[name](*args, **kwargs)
    first, second = ours["Leaf"](1), ours["Leaf"](2)
    assert first.tags == [] and first.tags is not second.tags and first.hidden == 0
    assert not hasattr(ours["Slotted"](1), "__dict__")
    assert replace(first, value=5) == ours["Leaf"](5)


def test_dataclass_is_asked_to_write_init_for_busy_classes(monkeypatch):
    import inspect

    import flylint.records

    monkeypatch.setattr(flylint.records, "GENERIC_INITS", 3)
    _, leaf, _ = build_init_cases(record)
    _, their_leaf, _ = build_init_cases(dataclass)
    stub = leaf.__dict__["__init__"]
    made = [leaf(n, line=n) for n in range(5)]
    assert leaf.__dict__["__init__"] is not stub
    assert inspect.signature(leaf) == inspect.signature(their_leaf)
    assert [m.hidden for m in made] == [0, 2, 4, 6, 8]


def test_a_field_without_default_after_one_with_default_is_refused():
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @record
        class Bad:
            a: int = 0
            b: int
