"""Caption templates: a lesson's caption quotes the numbers the screen shows at its moment.

A caption is text with fields in braces, e.g.
``"L1's |∇W| is {L6.grad_norm / L1.grad_norm:,.0f}× smaller than L6's ({L1.grad_norm:.1e})"``.
A field is an arithmetic expression over metric names and numbers (``+ - * /``,
parentheses, unary minus), then optionally ``:SPEC``, a small format spec (``.2f``,
``,.0f``, ``.1e``, ``.0%``). Names are what the screen draws: ``step``, ``epoch``, ``lr``,
``loss``, ``acc``, ``val_loss``, ``val_acc``, a hidden layer's latest statistic
``L<i>.<key>`` (``grad_norm``, ``mean``, ``std``, ``p15``, ``p50``, ``p85``, ``sat``,
``update``, ``gamma``, ``beta``, …), ``ics_l2`` / ``ics_cos`` (ICS of layers 2…head over
the last ``ICS_WINDOW`` steps, as view 6 prints it; ``ics_from``: the window's first
step), ``beta_smooth`` (the newest β-smoothness, view 6's last row), and ``twin:NAME`` for
the twin's in compare mode. ``{{`` and ``}}`` are literal
braces.

A claim of the registry (``bntui.experiments.claims``) is quoted by its id, never copied:
``{claim:ics-cos}`` is its sentence, ``{claim:ics-cos:paper}`` what the cited paper found
(both in the caption's language), ``{claim:ics-cos:run}`` what this run measured for it:
the claim's ``run_metric`` on the BN twin against the plain twin, judged by the claim's
own direction and tie (``run_outcome``), as a word ("agrees", "does not agree", "is a
tie"; view 6 prints the same word). An unknown id is an error naming the known ones.

Templates are untrusted (a lesson file): ``parse_template`` reads them with the tiny
grammar above — nothing is ever evaluated as Python — and raises ValueError with a
one-line message. ``fill`` takes the values from a Frame (``frame_value``): the one the
screen draws at the caption's moment, so the caption and the screen agree on every seed
and CPU. A value the screen does not show (no statistics yet) fills as ``—``.
No Textual and no Rich in here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bntui.live.frame import LAST_KEYS, Needs, build_frame

TWIN = "twin:"
TOP_NAMES = (
    "step", "epoch", "lr", "loss", "acc", "val_loss", "val_acc",
    "ics_l2", "ics_cos", "ics_from", "beta_smooth",
)  # fmt: skip
ICS_NAMES = ("ics_l2", "ics_cos", "beta_smooth")  # Frame.ics: view 6's numbers
CLAIM = "claim:"
CLAIM_PARTS = ("", "paper", "run")
SERIES_NAMES = ("loss", "acc", "val_loss", "val_acc")  # drawn from the loss chart's series
MAX_DEPTH_NAME = 32
MISSING = "—"
_SPEC = re.compile(r"^([+-]?)(,?)(?:\.(\d))?([efg%])?$")
_NAME = re.compile(r"(?:twin:)?(?:L(\d+)\.)?([A-Za-z_][A-Za-z0-9_]*)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
MAX_FIELD = 200  # characters in one field
MAX_FIELDS = 20


# ---------------------------------------------------------------------- the grammar
@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Name:
    name: str  # e.g. "twin:L1.grad_norm"


@dataclass(frozen=True)
class Neg:
    arg: Any


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class ClaimText:
    """``{claim:ID}`` (part ""), ``{claim:ID:paper}`` or ``{claim:ID:run}``."""

    id: str
    part: str

    @property
    def name(self) -> str:
        """The value name a ``run`` part is filled from (its outcome code)."""
        return f"{CLAIM}{self.id}:run"


@dataclass(frozen=True)
class Field:
    """One ``{expr:spec}``: its expression tree, spec and the text as written."""

    expr: Any
    spec: str
    source: str


@dataclass(frozen=True)
class Template:
    """A parsed caption: literal text and fields, in order."""

    parts: tuple[str | Field, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every metric name the fields use, in order of first use."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, Field):
                for name in _names(part.expr):
                    if name not in out:
                        out.append(name)
        return tuple(out)

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(p for p in self.parts if isinstance(p, Field))

    def fill(self, value: Callable[[str], float | None], lang: str = "en") -> str:
        """The caption with every field replaced by its formatted value (a claim's text in
        ``lang``)."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part.expr, ClaimText):
                out.append(claim_text(part.expr, value, lang))
            else:
                out.append(format_value(evaluate(part.expr, value), part.spec))
        return "".join(out)


def claim_text(ref: ClaimText, value: Callable[[str], float | None], lang: str) -> str:
    """A claim field's text: the sentence, the paper's finding or this run's word."""
    from bntui.experiments.claims import claim, run_word

    c = claim(ref.id)
    if ref.part == "paper":
        return c.paper(lang)
    if ref.part == "run":
        code = value(ref.name)
        return run_word(None if code is None or math.isnan(code) else int(code), lang)
    return c.text(lang)


def parse_claim(body: str) -> ClaimText:
    """``claim:ID[:paper|:run]`` -> ClaimText; ValueError (one line) for an unknown id or
    part, or ``:run`` of a claim a lesson run cannot measure."""
    from bntui.experiments.claims import CLAIMS

    cid, _sep, part = body.strip()[len(CLAIM) :].partition(":")
    cid, part = cid.strip(), part.strip()
    if cid not in CLAIMS:
        raise ValueError(f"{{{body}}}: unknown claim {cid!r}; the registry has {', '.join(CLAIMS)}")
    if part not in CLAIM_PARTS:
        uses = f"{{claim:{cid}}}, {{claim:{cid}:paper}} or {{claim:{cid}:run}}"
        raise ValueError(f"{{{body}}}: use {uses}")
    if part == "run" and not CLAIMS[cid].run_metric:
        measured = ", ".join(k for k, c in CLAIMS.items() if c.run_metric)
        raise ValueError(
            f"{{{body}}}: a lesson run does not measure claim {cid!r} (only {measured}); "
            f"quote its sentence as {{claim:{cid}}}"
        )
    return ClaimText(cid, part)


def _names(node: Any) -> list[str]:
    if isinstance(node, ClaimText):
        return [node.name] if node.part == "run" else []
    if isinstance(node, Name):
        return [node.name]
    if isinstance(node, Neg):
        return _names(node.arg)
    if isinstance(node, BinOp):
        return _names(node.left) + _names(node.right)
    return []


def check_name(name: str) -> None:
    """ValueError unless ``name`` is something the screen draws (see the module doc)."""
    inner = name.removeprefix(TWIN)
    if inner in TOP_NAMES:
        return
    m = re.fullmatch(r"L(\d+)\.([a-z_0-9]+)", inner)
    if m:
        layer, key = int(m.group(1)), m.group(2)
        if not 1 <= layer <= MAX_DEPTH_NAME:
            raise ValueError(f"layer {layer} out of range 1..{MAX_DEPTH_NAME} in {name!r}")
        if key in LAST_KEYS:
            return
        raise ValueError(
            f"unknown layer statistic {name!r}: the screen shows L<i>.({'|'.join(LAST_KEYS)})"
        )
    raise ValueError(
        f"unknown name {name!r}: use {', '.join(TOP_NAMES)}, L<i>.<statistic> or twin:NAME"
    )


class _Parser:
    """Recursive descent over one field's expression (at most MAX_FIELD characters)."""

    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0

    def fail(self, why: str) -> ValueError:
        return ValueError(f"{{{self.text}}}: {why} at character {self.i + 1}")

    def skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i] == " ":
            self.i += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.i] if self.i < len(self.text) else ""

    def parse(self) -> Any:
        node = self.expr(0)
        if self.peek():
            raise self.fail(f"unexpected {self.peek()!r}")
        return node

    def expr(self, depth: int) -> Any:
        if depth > 20:
            raise self.fail("nested too deeply")
        node = self.term(depth)
        while self.peek() in ("+", "-"):
            op = self.text[self.i]
            self.i += 1
            node = BinOp(op, node, self.term(depth))
        return node

    def term(self, depth: int) -> Any:
        node = self.factor(depth)
        while self.peek() in ("*", "/"):
            op = self.text[self.i]
            self.i += 1
            node = BinOp(op, node, self.factor(depth))
        return node

    def factor(self, depth: int) -> Any:
        c = self.peek()
        if c == "(":
            self.i += 1
            node = self.expr(depth + 1)
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.i += 1
            return node
        if c == "-":
            self.i += 1
            return Neg(self.factor(depth + 1))
        m = _NUMBER.match(self.text, self.i)
        if m:
            self.i = m.end()
            return Num(float(m.group()))
        m = _NAME.match(self.text, self.i)
        if m:
            self.i = m.end()
            check_name(m.group())
            return Name(m.group())
        raise self.fail("expected a name, a number or '('" if c else "expression ends early")


def _split_spec(body: str) -> tuple[str, str]:
    """``"a / b:,.0f"`` -> ("a / b", ",.0f"); ``"twin:loss"`` -> ("twin:loss", "")."""
    head, sep, tail = body.rpartition(":")
    if sep and _SPEC.match(tail.strip()) and tail.strip():
        return head, tail.strip()
    return body, ""


def parse_template(text: str) -> Template:
    """Parse a caption; ValueError (one line) on a bad field. Text without braces is
    a template with no fields."""
    parts: list[str | Field] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "{}" and text[i : i + 2] in ("{{", "}}"):
            literal.append(c)
            i += 2
            continue
        if c == "}":
            raise ValueError(f"a '}}' without its '{{' at character {i + 1} (write '}}}}')")
        if c != "{":
            literal.append(c)
            i += 1
            continue
        end = text.find("}", i + 1)
        if end < 0:
            raise ValueError(f"a '{{' without its '}}' at character {i + 1} (write '{{{{')")
        body = text[i + 1 : end]
        if "{" in body:
            raise ValueError(f"{{{body}}}: fields do not nest")
        if len(body) > MAX_FIELD:
            raise ValueError(f"a field longer than {MAX_FIELD} characters")
        if not body.strip():
            raise ValueError(f"an empty field '{{}}' at character {i + 1}")
        if body.strip().startswith(CLAIM):
            expr: Any = parse_claim(body)
            spec = ""
        else:
            expr_text, spec = _split_spec(body)
            expr = _Parser(expr_text.strip()).parse()
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(Field(expr, spec, body))
        if len(parts) > 2 * MAX_FIELDS + 1:
            raise ValueError(f"more than {MAX_FIELDS} fields in one caption")
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return Template(tuple(parts))


# ---------------------------------------------------------------------- values
def evaluate(node: Any, value: Callable[[str], float | None]) -> float | None:
    """The expression's value; None when a name has no value (or it divides by zero)."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Name):
        v = value(node.name)
        return None if v is None else float(v)
    if isinstance(node, Neg):
        v = evaluate(node.arg, value)
        return None if v is None else -v
    a, b = evaluate(node.left, value), evaluate(node.right, value)
    if a is None or b is None:
        return None
    if node.op == "+":
        return a + b
    if node.op == "-":
        return a - b
    if node.op == "*":
        return a * b
    if b == 0:
        return None
    return a / b


def format_value(x: float | None, spec: str) -> str:
    """``x`` by ``spec`` (``.2f``, ``,.0f``, ``.1e``, ``.0%``); no spec: as the panels print a
    number (0.97, 1.4, 3.1e-02); ``—`` for no value; NaN and inf as such."""
    if x is None:
        return MISSING
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if not spec:
        if x.is_integer() and abs(x) < 1e15:  # a step, an epoch: as the status line prints it
            return str(int(x))
        if x != 0 and (abs(x) < 1e-2 or abs(x) >= 1e4):
            return f"{x:.1e}"
        return f"{x:.3g}"
    return format(x, spec)


def frame_value(frame: Any, name: str) -> float | None:
    """The value of ``name`` as the screen draws it from ``frame`` (None: not shown)."""
    if name.startswith(TWIN):
        twin = getattr(frame, "twin", None)
        return None if twin is None else frame_value(twin, name[len(TWIN) :])
    if name.startswith(CLAIM):
        return claim_value(frame, name[len(CLAIM) :].removesuffix(":run"))
    if name in ICS_NAMES:
        v = frame.ics.get(name)
        return None if v is None else float(v)
    if name == "ics_from":
        return None if frame.ics_from is None else float(frame.ics_from)
    if name == "step":
        return float(frame.step)
    if name == "epoch":
        return float(frame.epoch)
    if name == "lr":
        return float(frame.config.lr)
    if name in SERIES_NAMES:
        view = frame.loss.get(name) if frame.loss else None
        if view is not None and len(view):
            return float(view.last[-1])  # what the loss chart's subtitle prints
        fallback = {"loss": frame.loss_last, "val_loss": frame.val_loss, "val_acc": frame.val_acc}
        v = fallback.get(name)
        return None if v is None else float(v)
    m = re.fullmatch(r"L(\d+)\.([a-z_0-9]+)", name)
    if m:
        i = int(m.group(1))
        if not 1 <= i <= len(frame.layers):
            return None
        v = frame.layers[i - 1].last.get(m.group(2))
        return None if v is None else float(v)
    return None


def sides(frame: Any) -> tuple[Any, Any] | None:
    """(the BN twin's frame, the plain twin's) in compare mode with BN on one side only;
    None otherwise (a claim about BN needs both)."""
    twin = getattr(frame, "twin", None)
    if twin is None or frame.bn == twin.bn:
        return None
    return (frame, twin) if frame.bn else (twin, frame)


def claim_value(frame: Any, claim_id: str) -> float | None:
    """This run's outcome for a registry claim (``run_outcome``: 1, -1, 0) from ``frame``:
    its ``run_metric`` on the BN twin (a) against the plain twin (b); None when not
    measured (no twin, or no value yet)."""
    from bntui.experiments.claims import claim, run_outcome

    c = claim(claim_id)
    pair = sides(frame)
    if pair is None or not c.run_metric:
        return None
    a, b = (frame_value(f, c.run_metric) for f in pair)
    outcome = run_outcome(c, a, b)
    return None if outcome is None else float(outcome)


def fill(template: str, frame: Any) -> tuple[str, tuple[tuple[str, float | None], ...]]:
    """(the caption filled from ``frame``, the values it used by name); ValueError on a
    bad template."""
    parsed = parse_template(template)
    values = tuple((n, frame_value(frame, n)) for n in parsed.names)
    table = dict(values)
    return parsed.fill(table.get), values


def fill_values(template: str, values: Mapping[str, float | None], lang: str = "ko") -> str:
    """The template filled from values already taken (the Korean caption, from the
    English one's values; a claim's text in ``lang``); a name not among them fills as
    ``—``; a bad template is left as it is (it was checked when the lesson loaded)."""
    try:
        return parse_template(template).fill(lambda n: values.get(n), lang)
    except ValueError:
        return template


def from_frame(
    session: Any, twin: Any, labels: tuple[str, str] | None, template: str
) -> tuple[str, tuple[tuple[str, float | None], ...]]:
    """A caption template filled from the Frame the screen draws now (``build_frame``) and
    the values it quoted: the ``CaptionFiller`` every Pair that plays a lesson is given
    (``bntui.training.captioning``: its captions, replays included, go through it)."""
    frame = build_frame(session, Needs(loss_points=8, ics=True), twin=twin, labels=labels)
    return fill(template, frame)
