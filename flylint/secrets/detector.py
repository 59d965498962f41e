"""Offline secret detection: decide whether a literal value found in a committed file is a secret.

Pure functions, no I/O, never any network. Every FLY6xx rule calls `classify`, and FLY606 calls
`find_known_tokens` over whole files. Signals are tried in order of confidence (secrets.md §1):

1. **Known credential formats** (tier A): Fly.io `fo1_` and macaroon tokens (`fm1a_`, `fm1r_`,
   `fm2_`, also as `FlyV1 a,b` pairs), GitHub tokens, AWS access key IDs, Stripe secret and
   restricted keys, PEM private key blocks. No name needed; a per-format entropy floor and filler
   checks reject fixtures such as `fo1_xxxx…`.
2. **References** are never secrets (`System.get_env`, `${VAR}`, `${{ secrets.X }}`, `<%= %>`,
   `/run/secrets/…`, …), except that a literal *fallback* (`System.get_env("X") || "lit"`,
   `${X:-lit}`) is extracted and classified on its own.
3. **Credentialed URLs** (tier B): a database/broker URL with a literal password that is neither a
   reference nor a placeholder (`ecto://USER:PASS@HOST`).
4. **Placement** (tier C): `Base.decode64!("…")` literals in Elixir config are key material; in
   shell lines, workflow `run:` scripts and vm.args, `NAME=value`, `--flag value` and
   `-setcookie value` pairs are extracted and classified by name.
5. **Secret-ish name + literal value** (tier D): whole-word name match (`is_secret_name`), then
   placeholder rejection (`is_placeholder`) and length/alphabet-aware entropy gates
   (`looks_random`). Entropy is only ever used to *reject* a value.

Nameless high-entropy scanning (tier E) is deliberately absent: it flags commit SHAs, image
digests and lockfile checksums.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from functools import lru_cache

from flylint.lazyre import lazy
from flylint.records import record

CONTEXTS = frozenset(
    {
        "fly_env",  # fly.toml [env] (committed, shown in Machine config)
        "build_arg",  # fly.toml [build.args], Dockerfile ARG defaults
        "dockerfile_env",  # Dockerfile ENV (baked into image layers)
        "elixir_config",  # prod-applicable Elixir config and mix.exs
        "workflow",  # .github/workflows values (CI: weak test passwords are fine)
        "shell",  # rel/env.sh.eex, overlay scripts, RUN lines, .env files, Makefiles
        "vm_args",  # rel/vm.args*
        "generic",  # anything else (docs, check headers, raw files)
    }
)
# Committed configuration that is always deployed: low-entropy literals under secret-ish names
# still count here (secrets.md §9), and weak defaults like `postgres` are real passwords.
_STRICT_CONTEXTS = frozenset({"fly_env", "build_arg", "dockerfile_env"})
# Where `postgres`/`root`/`admin`… are real (weak) passwords rather than dev/CI defaults.
_WEAK_IS_REAL_CONTEXTS = frozenset({"fly_env", "elixir_config"})
# Contexts whose nameless values are command lines / scripts worth splitting into pairs.
_SCANNED_CONTEXTS = frozenset({"shell", "workflow", "vm_args", "dockerfile_env", "build_arg"})


@record(frozen=True)
class TokenMatch:
    """A known credential format found in a text: `text[start:end]` is the credential."""

    kind: str
    start: int
    end: int


@record(frozen=True)
class Detection:
    """A secret inside a value: `value[start:end]` is the secret, `value_len` its length.

    `kind` is one of `KNOWN_TOKEN_KINDS` (tier A, FLY606), `url-password`, `decoded-key`,
    `cookie` (FLY605), `password` or `secret`. `reason` never contains any part of the value.
    """

    kind: str
    reason: str
    start: int
    end: int
    value_len: int


KNOWN_TOKEN_KINDS = frozenset(
    {
        "fly-token",
        "github-token",
        "aws-access-key",
        "stripe-secret-key",
        "stripe-test-key",
        "private-key",
    }
)
_KIND_LABEL = {
    "fly-token": "Fly.io access token",
    "github-token": "GitHub token",
    "aws-access-key": "AWS access key ID",
    "stripe-secret-key": "Stripe live/restricted secret key",
    "stripe-test-key": "Stripe test-mode secret key",
    "private-key": "PEM private key block",
}


def kind_label(kind: str) -> str:
    """A human label for a Detection/TokenMatch kind (`GitHub token`, `URL password`, ...)."""
    return _KIND_LABEL.get(kind) or _OTHER_KIND_LABEL.get(kind, "secret")


_OTHER_KIND_LABEL = {
    "url-password": "password in a connection URL",
    "decoded-key": "key decoded from a literal",
    "cookie": "Erlang cookie",
    "password": "literal password",
    "secret": "literal secret",
}


def _wordset(text: str) -> frozenset[str]:
    """A set of whitespace-separated words (keeps long word lists readable)."""
    return frozenset(text.split())


# ---------------------------------------------------------------------------------------------
# Entropy


def entropy(value: str) -> float:
    """Shannon entropy of `value` in bits per character (0.0 for the empty string)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_HEX_RE = lazy(r"[0-9a-f]+|[0-9A-F]+")


def looks_random(value: str) -> bool:
    """False when `value` has too little entropy to be a random secret of its length and alphabet.

    Entropy is capped by log2(min(length, alphabet size)), so the test is on the ratio to that cap
    (secrets.md §7): hex needs ≥ 0.65 below 32 chars and ≥ 0.75 from 32 on, decimal ≥ 0.75, any
    other alphabet (base64, alphanumeric) ≥ 0.75. These sit below the 1st percentile of random
    strings, so a real random secret is almost never rejected. UUID-shaped values are judged on
    their hex digits; a value with vendor parts (`key-…`, `xoxb-…-…-…`) passes when its longest
    `-`/`_`/`.`-separated part (16+ chars) passes on its own. Under
    8 characters nothing can be told: False.
    """
    if re.fullmatch(r"[0-9a-fA-F]+(?:-[0-9a-fA-F]+)+", value):
        value = value.replace("-", "")  # UUID-shaped: judge the hex digits
    if _looks_random(value):
        return True
    # `key-<hex>`, `xoxb-<digits>-<digits>-<random>`: judge the longest part on its own alphabet.
    longest = max(re.split(r"[-_.]", value), key=len)
    return len(longest) >= 16 and longest != value and _looks_random(longest)


def _looks_random(value: str) -> bool:
    n = len(value)
    if n < 8:
        return False
    if value.isdigit():
        size, floor = 10, 0.75
    elif _HEX_RE.fullmatch(value):
        size, floor = 16, (0.65 if n < 32 else 0.75)
    else:
        size, floor = 64, 0.75
    cap = math.log2(min(n, size))
    return entropy(value) / cap >= floor


# ---------------------------------------------------------------------------------------------
# Placeholders

_PLACEHOLDER_WORDS = _wordset(
    """
    changeme change_me change-me changeit change_it replace_me replace-me replaceme todo tbd
    fixme none null nil undefined true false yes no on off enabled disabled
    secret secrets password passw0rd pass passwd pwd token key apikey api_key api-key
    example sample dummy fake test testing placeholder redacted hidden nokey no_key no-key
    mysecret my_secret my-secret supersecret super_secret secretkey secret_key secret-key
    mypassword my_password letmein qwerty asdf default empty unset required notset not_set
    xxx n/a na tba insert_here set_me setme ignored unused
    """
)
# Substrings that mark a value as a placeholder wherever they appear (case-insensitive).
_PLACEHOLDER_SUBSTRINGS = (
    "example",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "dummy",
    "redacted",
    "replace_me",
    "replace-me",
    "replaceme",
    "your_",
    "your-",
    "yourkey",
    "notasecret",
    "not_a_secret",
    "not-a-secret",
)
# Weak defaults: placeholders in dev/test/CI, real (weak) passwords in fly.toml and prod config.
WEAK_DEFAULTS = frozenset(
    {"postgres", "postgresql", "root", "admin", "user", "guest", "mysql", "rabbitmq", "default"}
)
_SEQUENCE = "0123456789abcdefghijklmnopqrstuvwxyz"
_FILLER_RE = lazy(r"[x*.0#?_\-\s]+", re.IGNORECASE)
_BRACKETED_RE = lazy(r"<[^<>]*>|\[[^\[\]]*\]|\{[^{}]*\}")
_VOWELS = set("aeiouyAEIOUY")


def _wordlike(part: str) -> bool:
    """A part that reads like a (dictionary or config) word rather than random characters."""
    if not (2 <= len(part) <= 12) or not part.isalpha():
        return False
    if not (part.islower() or part.isupper() or (part[0].isupper() and part[1:].islower())):
        return False
    if not _VOWELS.intersection(part):
        return False
    consonants = 0
    for ch in part.lower():
        consonants = 0 if ch in "aeiouy" else consonants + 1
        if consonants > 3:
            return False
    return True


def _is_words(value: str) -> bool:
    """Two or more word-like parts joined by `-`, `_` or `.` (`your_api_key_here`, `demo-app`)."""
    split = re.sub(r"([a-z])([A-Z])", r"\1.\2", value)  # `UserToken` reads as two words
    parts = [p for p in re.split(r"[-_.]+", split) if p]
    if len(parts) < 2:
        return False
    alpha = 0
    for part in parts:
        if part.isdigit() and len(part) <= 4:
            continue
        if not _wordlike(part):
            return False
        alpha += 1
    return alpha >= 2


def _is_sequential(value: str) -> bool:
    """Mostly ascending runs over 0-9a-z (`0123456789abcdef`, `abcdefgh`), case-insensitive."""
    v = value.lower()
    if len(v) < 6:
        return False
    steps = 0
    for a, b in itertools.pairwise(v):
        if a in _SEQUENCE and b in _SEQUENCE and _SEQUENCE.index(b) == _SEQUENCE.index(a) + 1:
            steps += 1
    return steps / (len(v) - 1) >= 0.6


def _is_repeated_unit(value: str) -> bool:
    """`abab…`, `123123…`: a unit of up to 4 characters repeated over the whole value."""
    n = len(value)
    return any(n >= 2 * k and (value[:k] * (n // k + 1))[:n] == value for k in range(1, 5))


def _has_filler_run(value: str) -> bool:
    """`xxxxxxxx`/`********` runs, or x/* making up half the value (`sk_test_xxxxxxxxxxxx`).

    A 4-character run alone is not enough: random base62 strings contain `XxXx` by chance.
    """
    if re.search(r"[xX]{8,}|\*{4,}", value):
        return True
    return sum(c in "xX*" for c in value) * 2 >= len(value) and len(value) >= 4


def _is_template_words(value: str) -> bool:
    """All-caps template words such as `USER`, `PASS`, `HOST`, `YOUR_API_KEY`."""
    if len(value) > 32 or not re.fullmatch(r"[A-Z]+(?:[_-][A-Z]+)*", value):
        return False
    return all(len(seg) <= 10 and _wordlike(seg) for seg in re.split(r"[_-]", value))


def is_placeholder(value: str) -> bool:
    """True when the whole value is a recognisable placeholder (secrets.md §6).

    Case-insensitive: empty; `changeme`, `nokey`, `secret`, `password`, `example`, `dummy`…;
    `<your-key>`, `[token]`, `{key}`; a `...`/`…` suffix; filler (`xxxx`, `****`, `0000`, one
    repeated character or a short repeated unit); sequential runs (`0123456789abcdef`); all-caps
    template words (`USER`, `PASS`, `HOST` as in `ecto://USER:PASS@HOST/db`); `your_…`/`…_here`;
    anything containing `example`, `changeme`, `placeholder`, `dummy`, `redacted`, `xxxx`.
    Weak defaults (`postgres`, `root`, `admin`…) are NOT placeholders here; see `is_weak_default`.
    """
    if not isinstance(value, str):
        return False
    v = value.strip().strip("\"'").strip()
    if not v:
        return True
    low = v.lower()
    if low in _PLACEHOLDER_WORDS:
        return True
    if any(s in low for s in _PLACEHOLDER_SUBSTRINGS) or _has_filler_run(v):
        return True
    if low.endswith(("...", "…")):
        return True
    if _BRACKETED_RE.fullmatch(v):
        return True
    if _FILLER_RE.fullmatch(v) or len(set(v)) <= 2 or _is_repeated_unit(v):
        return True
    if _is_sequential(v):
        return True
    if _is_template_words(v):
        return True
    if low.startswith(("your", "my-", "my_")) and _is_words(v):
        return True
    return low.endswith(("_here", "-here", " here"))


def is_weak_default(value: str) -> bool:
    """A default such as `postgres`, `root`, `admin`: fine in dev/CI, a weak password in prod."""
    return isinstance(value, str) and value.strip().lower() in WEAK_DEFAULTS


# ---------------------------------------------------------------------------------------------
# References

# One reference token; `${X:-default}` is checked for a literal default separately.
_REF_TOKEN_RE = re.compile(
    r"""
      \$\$?\{\{.*?\}\}                 # ${{ expr }} (GitHub Actions)
    | \$\$?\{[^}]*\}                   # ${VAR}, ${VAR:-default}, ${VAR:?msg}
    | \$\$?\([^)]*\)?                  # $(command), Makefile $$(command)
    | \$\$?[A-Za-z_][A-Za-z0-9_]*      # $VAR, Makefile $$VAR
    | `[^`]*`                          # backticks
    | <%[=-]?.*?%>                     # EEx
    | \{\{.*?\}\}                      # mustache/Jinja
    | %[A-Za-z_][A-Za-z0-9_]*%         # %VAR%
    | @[A-Za-z_][A-Za-z0-9_]*@         # @VAR@
    | \#\{.*?\}                        # Elixir interpolation
    """,
    re.VERBOSE | re.DOTALL,
)
_SHELL_DEFAULT_RE = re.compile(r"\$\$?\{([A-Za-z_][A-Za-z0-9_]*)(:?[-=])(.*)\}", re.DOTALL)
_PATH_REF_RE = re.compile(
    r"(?:/run/secrets/|/etc/|/app/|/var/|/tmp/|/usr/|/opt/|/srv/|/home/|/root/|/data/|/mnt/"
    r"|priv/|\./|\.\./|~/|file://)\S*"
)
_ELIXIR_LOOKUP_RE = re.compile(
    r"(System\.(?:get_env|fetch_env!?)|Application\.(?:get_env|fetch_env!?|compile_env!?"
    r"|get_all_env))\s*\("
)
_SYSTEM_TUPLE_RE = re.compile(r"\{\s*:system\s*,\s*\"[^\"]*\"\s*\}")
_MFA_RE = re.compile(r"\{\s*:?[A-Za-z][\w.]*\s*,\s*:\w+[!?]?\s*,\s*\[.*\]\s*\}", re.DOTALL)
_CAPTURE_RE = re.compile(r"&[A-Za-z][\w.]*[!?]?/\d+")


def _ref_default_is_literal(token: str) -> bool:
    """`${X:-lit}` / `${X=lit}` with a non-empty default that is not itself a reference."""
    m = _SHELL_DEFAULT_RE.fullmatch(token)
    if not m:
        return False
    default = m.group(3).strip().strip("\"'")
    return bool(default) and not is_reference(default)


def _matching_close(text: str, open_idx: int) -> int | None:
    """Index of the bracket closing `text[open_idx]`, skipping string literals."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    i = open_idx
    while i < len(text):
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if ch in pairs:
            stack.append(pairs[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i
        i += 1
    return None


def _split_args(text: str) -> list[str]:
    """Split call arguments on top-level commas."""
    args, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    if tail or args:
        args.append(tail)
    return args


def _is_string_literal(text: str) -> bool:
    return bool(re.fullmatch(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', text.strip(), re.DOTALL))


def _elixir_lookup_is_ref(v: str) -> bool | None:
    """For `System.get_env(…)`-style expressions: True if it has no literal fallback.

    None when `v` is not such an expression.
    """
    m = _ELIXIR_LOOKUP_RE.match(v)
    if not m:
        return None
    close = _matching_close(v, m.end() - 1)
    if close is None:
        return False
    args = _split_args(v[m.end() : close])
    default_idx = 1 if m.group(1).startswith("System.") else 2
    if len(args) > default_idx:
        default = args[default_idx]
        if _is_string_literal(default) and default.strip()[1:-1].strip():
            return is_reference(default.strip()[1:-1])
    rest = v[close + 1 :].strip()
    if not rest or rest.startswith("|>"):
        return True
    if rest.startswith("||"):
        rhs = rest[2:].strip()
        return rhs.startswith("raise") or rhs == "nil" or is_reference(rhs)
    return False


def is_reference(value: str) -> bool:
    """True when the whole value only refers to a secret kept elsewhere.

    Elixir `System.get_env/fetch_env!`, `Application.get_env/fetch_env!/compile_env` (without a
    non-empty literal default or `|| "literal"` fallback; `|| raise …` is fine), `{:system, "X"}`,
    MFA tuples, `&Mod.fun/0`, strings made only of `#{…}` interpolation; shell `$VAR`, `${VAR}`
    (not `${VAR:-literal}`), `$(…)`, backticks, Makefile `$$…`; GitHub `${{ … }}`; EEx `<%= %>`,
    `{{ }}`, `%VAR%`, `@VAR@`; secret paths (`/run/secrets/…`, `/etc/…`, `/app/…`, `priv/…`).
    Reference tokens may be joined by punctuation only (`${A}@${B}`), never by letters or digits.
    """
    if not isinstance(value, str):
        return False
    v = value.strip()
    if not v:
        return False
    lookup = _elixir_lookup_is_ref(v)
    if lookup is not None:
        return lookup
    if v.startswith("(") and v.endswith(")") and _matching_close(v, 0) == len(v) - 1:
        return is_reference(v[1:-1])
    if _SYSTEM_TUPLE_RE.fullmatch(v) or _MFA_RE.fullmatch(v) or _CAPTURE_RE.fullmatch(v):
        return True
    if _PATH_REF_RE.fullmatch(v.strip("\"'")):
        return True
    found = False
    leftover: list[str] = []
    pos = 0
    for m in _REF_TOKEN_RE.finditer(v):
        if _ref_default_is_literal(m.group(0)):
            return False
        leftover.append(v[pos : m.start()])
        pos = m.end()
        found = True
    leftover.append(v[pos:])
    return found and not any(ch.isalnum() for ch in "".join(leftover))


def _ref_fragment(text: str) -> bool:
    """A fragment that starts like a reference (URL passwords such as `${DB_PASS}`, `$(…)`)."""
    t = text.strip()
    return t.startswith(("$", "<%", "{{", "#{", "%{")) or is_reference(t)


# ---------------------------------------------------------------------------------------------
# Tier A: known credential formats

_FO1_RE = lazy(r"(?<![A-Za-z0-9_])fo1_([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")
_MACAROON = r"fm(?:1a|1r|2)_[A-Za-z0-9+/]+={0,3}"
_FLY_MACAROON_RE = lazy(
    rf"(?<![A-Za-z0-9_])(FlyV1\s+)?({_MACAROON}(?:,{_MACAROON})*)(?![A-Za-z0-9+/=_-])"
)
_GITHUB_RE = lazy(r"(?<![A-Za-z0-9_])gh[pousr]_([A-Za-z0-9]{36,255})(?![A-Za-z0-9_])")
_GITHUB_PAT_RE = lazy(r"(?<![A-Za-z0-9_])github_pat_([A-Za-z0-9_]{82,255})(?![A-Za-z0-9_])")
_AWS_RE = lazy(r"(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})(?![A-Za-z0-9])")
_STRIPE_RE = lazy(
    r"(?<![A-Za-z0-9_])(?:sk|rk)_(live|test|prod)_([A-Za-z0-9]{10,99})(?![A-Za-z0-9_])"
)
_PEM_BEGIN_RE = lazy(r"-----BEGIN ((?:[A-Z0-9]+ ){0,2}PRIVATE KEY(?: BLOCK)?)-----")
_PEM_HEADER_LINE_RE = lazy(r"^[A-Za-z-]+:.*$", re.MULTILINE)
_PEM_MAX_BODY = 20000
# Every format above starts with one of these: one scan rules out the common case (no token)
# before the per-format expressions run. Keep it a superset of the prefixes above. Every
# alternative starts with a literal character, so that `re` skips ahead to the next f, g, A, s,
# r or P instead of trying each alternative at every position (3x faster on whole files).
_ANY_TOKEN_PREFIX_RE = re.compile(
    r"fo1_|fm1a_|fm1r_|fm2_|gh[pousr]_|github_pat_|AKIA|ASIA|ABIA|ACCA|A3T"
    r"|sk_(?:live|test|prod)_|rk_(?:live|test|prod)_|PRIVATE KEY"
)


def _filler_body(body: str) -> bool:
    low = body.lower()
    return (
        len(set(body)) <= 3
        or _has_filler_run(body)
        or "example" in low
        or _is_repeated_unit(body)
        or _is_sequential(body)
    )


def _fly_tokens(text: str) -> list[TokenMatch]:
    out = []
    for m in _FO1_RE.finditer(text):
        body = m.group(1)
        if entropy(body) > 4.0 and not _filler_body(body):
            out.append(TokenMatch("fly-token", m.start(), m.end()))
    for m in _FLY_MACAROON_RE.finditer(text):
        parts = m.group(2).split(",")
        bodies = [p.split("_", 1)[1].rstrip("=") for p in parts]
        longest = max(len(b) for b in bodies)
        # A bare macaroon needs 100+ body chars; after `FlyV1 ` the pair as a whole does.
        if longest < 100 and not (m.group(1) and sum(map(len, bodies)) >= 100):
            continue
        joined = "".join(bodies)
        if entropy(joined) > 4.0 and not _filler_body(joined):
            out.append(TokenMatch("fly-token", m.start(2), m.end(2)))
    return out


def _pem_blocks(text: str) -> list[TokenMatch]:
    out = []
    for m in _PEM_BEGIN_RE.finditer(text):
        end_marker = f"-----END {m.group(1)}-----"
        end_idx = text.find(end_marker, m.end(), m.end() + _PEM_MAX_BODY)
        if end_idx >= 0:
            body, stop = text[m.end() : end_idx], end_idx + len(end_marker)
        else:
            # Truncated block: take the base64 run that follows the BEGIN line.
            run = re.match(r"(?:[A-Za-z0-9+/=\s]|\\n)*", text[m.end() : m.end() + _PEM_MAX_BODY])
            body = run.group(0) if run else ""
            stop = m.end() + len(body.rstrip())
        body = _PEM_HEADER_LINE_RE.sub("", body.replace("\\n", "\n"))
        b64 = re.sub(r"[^A-Za-z0-9+/=]", "", body)
        if len(b64) >= 64 and entropy(b64) > 4.0 and not _filler_body(b64):
            out.append(TokenMatch("private-key", m.start(), stop))
    return out


def find_known_tokens(text: str) -> list[TokenMatch]:
    """All known credential formats in `text`, sorted by start, without overlaps.

    Fly.io `fo1_` + 43 URL-safe chars; `fm1a_`/`fm1r_`/`fm2_` + 100+ base64 chars, and comma-joined
    pairs reported once (span from the first macaroon to the end of the last; a leading `FlyV1 `
    is not part of the span); GitHub `ghp_/gho_/ghu_/ghs_/ghr_` + 36 alphanumerics and
    `github_pat_` + 82 word chars; AWS access key IDs (`AKIA`, `ASIA`, `ABIA`, `ACCA`, `A3T?` + 16
    of A-Z2-7; `…EXAMPLE` ignored); Stripe `sk_`/`rk_` + `live|prod` (kind `stripe-secret-key`) or
    `test` (kind `stripe-test-key`: it grants full access to the test-mode account, so it is
    reported, at a lower severity if the rule wishes); PEM `-----BEGIN … PRIVATE KEY-----` blocks
    with a real base64 body. Prefixes must not follow a word character. Bodies below the
    per-format entropy floor (Fly 4.0, GitHub/AWS 3.0, Stripe 2.0) or made of filler are ignored.
    """
    if not isinstance(text, str) or not text or not _ANY_TOKEN_PREFIX_RE.search(text):
        return []
    found: list[TokenMatch] = []
    found += _fly_tokens(text)
    for rx in (_GITHUB_RE, _GITHUB_PAT_RE):
        for m in rx.finditer(text):
            body = m.group(1)
            if entropy(body) > 3.0 and not _filler_body(body):
                found.append(TokenMatch("github-token", m.start(), m.end()))
    for m in _AWS_RE.finditer(text):
        key = m.group(1)
        if not key.endswith("EXAMPLE") and entropy(key) > 3.0 and not _filler_body(key[4:]):
            found.append(TokenMatch("aws-access-key", m.start(1), m.end(1)))
    for m in _STRIPE_RE.finditer(text):
        body = m.group(2)
        if entropy(body) > 2.0 and not _filler_body(body) and "example" not in body.lower():
            kind = "stripe-test-key" if m.group(1) == "test" else "stripe-secret-key"
            found.append(TokenMatch(kind, m.start(), m.end()))
    found += _pem_blocks(text)
    found.sort(key=lambda t: (t.start, -(t.end - t.start)))
    result: list[TokenMatch] = []
    for t in found:
        if not result or t.start >= result[-1].end:
            result.append(t)
    return result


# ---------------------------------------------------------------------------------------------
# Tier B: credentialed URLs

URL_SCHEMES = frozenset(
    {
        "postgres",
        "postgresql",
        "ecto",
        "mysql",
        "redis",
        "rediss",
        "amqp",
        "amqps",
        "mongodb",
        "mongodb+srv",
    }
)
_URL_START_RE = re.compile(r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]*)://")
_URL_STOP_RE = lazy(r"[\s\"'`<>]")
_HOST_RE = lazy(
    r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._%~\-]+|\$\{[^}]*\}|\{\{[^}]*\}\})(?=[:/?#,;)\]}\\]|$)"
)
_LOCAL_HOSTS = frozenset(
    {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "host.docker.internal"}
)


@record(frozen=True)
class _UserInfo:
    scheme: str
    user: str
    host: str
    pw_start: int
    pw_end: int


def _userinfos(text: str, schemes: frozenset[str] | None) -> list[_UserInfo]:
    """`scheme://user:password@host` occurrences (any scheme when `schemes` is None)."""
    out: list[_UserInfo] = []
    if "://" not in text:  # the expression below tries every position otherwise
        return out
    for m in _URL_START_RE.finditer(text):
        scheme = m.group(1).lower()
        if schemes is not None and scheme not in schemes:
            continue
        start = m.end()
        stop_m = _URL_STOP_RE.search(text, start)
        rest = text[start : stop_m.start() if stop_m else len(text)]
        # The first `@` followed by something host-shaped ends the userinfo: passwords may
        # contain a raw `@` or `/`, query strings after the host may contain `@`.
        for at in (i for i, ch in enumerate(rest) if ch == "@"):
            userinfo = rest[:at]
            if any(c in userinfo.split(":", 1)[0] for c in "/?#"):
                break
            host_m = _HOST_RE.match(rest, at + 1)
            if host_m is None or ":" not in userinfo:
                continue
            colon = userinfo.index(":")
            out.append(
                _UserInfo(
                    scheme,
                    userinfo[:colon],
                    host_m.group(0),
                    start + colon + 1,
                    start + at,
                )
            )
            break
    return out


def url_password_spans(text: str) -> list[tuple[int, int]]:
    """Spans of every `scheme://user:password@host` password in `text`, any scheme, unfiltered.

    For masking: placeholders and references are included (masking them costs nothing).
    """
    if not isinstance(text, str):
        return []
    return [(ui.pw_start, ui.pw_end) for ui in _userinfos(text, None) if ui.pw_end > ui.pw_start]


def _is_local_host(host: str) -> bool:
    h = host.lower()
    # A single-label name (`db`, `postgres`) is a compose/CI service container.
    return h in _LOCAL_HOSTS or h.startswith("127.") or ("." not in h and ":" not in h)


def url_password(value: str, *, context: str = "generic") -> tuple[int, int] | None:
    """Span of the literal password in a database/broker URL inside `value`, or None.

    Schemes: postgres, postgresql, ecto, mysql, redis, rediss, amqp, amqps, mongodb,
    mongodb+srv. Ignored: empty passwords, references (`${DB_PASS}`, `<%= … %>`), placeholders
    (`PASS` in `ecto://USER:PASS@HOST/db`, `password`, `changeme`), and weak defaults
    (`postgres:postgres@…`) on a local/service host or in a CI workflow.
    """
    if not isinstance(value, str):
        return None
    for ui in _userinfos(value, URL_SCHEMES):
        pw = value[ui.pw_start : ui.pw_end]
        if _credential_password_ok(pw, ui.host, context):
            return ui.pw_start, ui.pw_end
    return None


def _credential_password_ok(pw: str, host: str, context: str) -> bool:
    if not pw or _ref_fragment(pw) or is_placeholder(pw):
        return False
    return not (is_weak_default(pw) and (_is_local_host(host) or context == "workflow"))


# ---------------------------------------------------------------------------------------------
# Tier D: names

_PASSWORD_WORDS = frozenset({"password", "passwd", "passphrase", "pwd", "pass"})
_COOKIE_WORDS = frozenset({"cookie", "setcookie"})
_SECRET_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "token",
        "tokens",
        "apikey",
        "credential",
        "credentials",
        "creds",
        "auth",
        "authorization",
        "bearer",
        "signer",
        "pem",
        "dsn",
        "privatekey",
        "secretkey",
        "accesskey",
        "jwk",
    }
)
_DATASTORE_WORDS = frozenset(
    {
        "database",
        "db",
        "repo",
        "redis",
        "postgres",
        "postgresql",
        "pg",
        "mysql",
        "mongo",
        "mongodb",
        "amqp",
        "rabbitmq",
        "cloudamqp",
        "broker",
        "ecto",
        "valkey",
        "upstash",
    }
)
# Words anywhere in the name that make it not a secret.
_ANY_EXCLUDE = frozenset({"salt", "salts", "public", "publishable", "pub", "csrf", "dummy"})
# Last words that make the name describe metadata about a secret rather than hold one.
_LAST_EXCLUDE = _wordset(
    """
    name names id ids file filename files path paths dir directory url uri urls endpoint header
    headers length len size ttl seconds secs ms timeout min max provider providers type algo
    algorithm alg version issuer prefix suffix field enabled enable disabled required mode env
    count user username login email host hostname port region format hint label location expiry
    expires expiration lifetime duration interval days hours minutes policy strategy method
    scheme realm audience scope scopes validity age domain secure samesite httponly store
    storage backend adapter module class kind hash digest source sources mount mounts ref arn
    sid ip ips addr address
    """
)
_KEY_PREFIX_EXCLUDE = _wordset(
    """
    primary foreign cache sort partition idempotency routing site session recv object lookup
    map shard dedup unique cursor group translation i18n hot short dict sorting
    """
)


def _name_words(name: str) -> list[str]:
    n = name.strip().strip(":").lstrip("-@$")
    n = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", n)
    n = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", n)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", n) if w]


def _name_class(name: str | None) -> str | None:
    """`password`, `cookie`, `url`, `key` or None for a variable/key name."""
    if not isinstance(name, str):
        return None
    return _name_class_of(name)


@lru_cache(maxsize=4096)  # the same key names come back in every scan, rule and app
def _name_class_of(name: str) -> str | None:
    words = _name_words(name)
    while words and words[-1].isdigit():
        words.pop()
    if not words:
        return None
    if _ANY_EXCLUDE.intersection(words):
        return None
    last = words[-1]
    if last in {"url", "uri", "urls", "dsn"} and _DATASTORE_WORDS.intersection(words[:-1]):
        return "url"
    if last in _LAST_EXCLUDE:
        return None
    if "sentry" in words and "dsn" in words:
        return None  # Sentry DSNs are public client keys
    if _COOKIE_WORDS.intersection(words):
        return "cookie"
    # `pass` only as the last word (`SMTP_PASS`), `pwd` never alone (`PWD` is the cwd).
    strong_pw = _PASSWORD_WORDS - {"pass", "pwd"}
    if strong_pw.intersection(words) or last == "pass" or ("pwd" in words and len(words) > 1):
        return "password"
    if _SECRET_WORDS.intersection(words):
        return "key"
    if last in {"key", "keys"} and len(words) > 1 and words[-2] not in _KEY_PREFIX_EXCLUDE:
        return "key"
    if words[0] == "key" and len(words) == 2 and words[1] in {"octet", "material", "bytes"}:
        return "key"  # Joken `key_octet:`
    if "secret" in "".join(words) and "key" in "".join(words):
        return "key"  # run-together spellings such as SECRETKEYBASE
    return None


def name_class(name: str | None) -> str | None:
    """`password`, `cookie`, `url` (datastore URL), `key` (any other secret) or None for a name.

    The class `is_secret_name` is built on; rules use it to route cookies to their own rule."""
    return _name_class(name)


def is_secret_name(name: str) -> bool:
    """Whether a variable/config key name says it holds a secret (whole-word match).

    The name is split on `_`, `-`, `.`, `:`, spaces and camelCase, then: `secret`, `token`,
    `apikey`/`api_key`, `credentials`, `auth`/`authorization`, `signer`, `dsn` (not Sentry),
    `pem`, `cookie`/`setcookie`, `password`/`passwd`/`passphrase`, `pass` (last word), `pwd`
    (not alone: `PWD` is the working directory), `key` as the last word after another word
    (`HEX_ORGANIZATION_KEY`, not `cache_key`/`primary_key`/`session key`), and datastore URLs
    (`DATABASE_URL`, `REDIS_URL`). Not secrets: anything with `salt`, `public`, `publishable`,
    `csrf`, `dummy`; names ending in metadata words (`_name`, `_id`, `_file`, `_path`, `_url`,
    `_header`, `_length`, `_ttl`, `_seconds`, `_timeout`, `_type`, `_version`, `_user`, …).
    """
    return _name_class(name) is not None


# ---------------------------------------------------------------------------------------------
# Extraction helpers

_STR = r'"((?:[^"\\]|\\.)*)"'
_ENV_NAME = r"\"([A-Za-z_][A-Za-z0-9_]*)\""
# Each pattern captures (environment variable name, literal default).
_FALLBACK_RES = (
    re.compile(
        r"(?:System\.(?:get_env|fetch_env!?)|Application\.(?:get_env|fetch_env!?))"
        rf"\s*\(\s*(?:{_ENV_NAME})?[^()]*\)\s*\|\|\s*{_STR}"
    ),
    re.compile(rf"System\.get_env\(\s*{_ENV_NAME}\s*,\s*{_STR}\s*\)"),
    re.compile(rf"Application\.get_env\(\s*[^,()]+,\s*:?(\w+)\s*,\s*{_STR}\s*\)"),
    re.compile(rf"\{{\s*:system\s*,\s*{_ENV_NAME}\s*,\s*{_STR}\s*\}}"),
)
_SHELL_FALLBACK_RE = re.compile(r"\$\$?\{([A-Za-z_][A-Za-z0-9_]*):?[-=]([^}]*)\}")
_DECODE_RE = re.compile(rf"Base\.(?:url_)?decode(?:64|32|16)!?\s*\(\s*{_STR}")
_ELIXIR_CODE_RE = re.compile(r"(?:[A-Za-z_][\w.]*[!?]?\s*\(|[:@&{\[%~]|.*\|>)", re.DOTALL)
_AUTH_SCHEME_RE = lazy(r"(?i)(?:bearer|basic|token|bot|digest)\s+(\S+)\s*$")
_SHELL_VALUE = (
    r"""(?:\$\$?\{\{.*?\}\}|\$\$?\{[^}]*\}|\$\$?\([^)]*\)|"(?:[^"\\]|\\.)*"|'[^']*'|[^\s;&|"'])+"""
)
_ASSIGN_RE = re.compile(rf"(?<![\w$/.-])([A-Za-z_][A-Za-z0-9_]*)=({_SHELL_VALUE})")
_FLAG_RE = re.compile(rf"(?<![\w-])--?([A-Za-z][\w-]*)(?:=|[ \t]+)(?!-)({_SHELL_VALUE})")
_SECRET_MOUNT_RE = re.compile(r"--mount=\S*type=secret")


def _unquote(value: str) -> tuple[int, str] | None:
    """(offset, content) when the whole value is one quoted string literal."""
    for rx in (
        re.compile(r'"""\n?(.*?)"""', re.DOTALL),
        re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL),
        re.compile(r"'([^']*)'", re.DOTALL),
    ):
        m = rx.fullmatch(value)
        if m:
            return m.start(1), m.group(1)
    return None


def _fallback_literal(value: str) -> tuple[int, int, str | None] | None:
    """(start, end, variable name) of the literal default of an env lookup inside `value`."""
    for rx in (*_FALLBACK_RES, _SHELL_FALLBACK_RE):
        m = rx.search(value)
        if m and m.group(2).strip():
            return m.start(2), m.end(2), m.group(1)
    return None


def _pairs(value: str, context: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of `NAME=value`, `--flag value`, `-setcookie value` inside a line."""
    if _SECRET_MOUNT_RE.search(value):
        return []  # BuildKit secret mounts are the recommended way, never a finding
    out: list[tuple[str, int, int]] = []
    # Both expressions start with a lookbehind, so `re` tries every position: skip the scan
    # when the character each needs is absent.
    for m in _ASSIGN_RE.finditer(value) if "=" in value else ():
        out.append((m.group(1), m.start(2), m.end(2)))
    for m in _FLAG_RE.finditer(value) if "-" in value else ():
        flag, arg = m.group(1), m.group(2)
        if re.match(r"[A-Za-z_][A-Za-z0-9_]*=", arg):
            continue  # `--build-secret NAME=value`: the assignment is classified by its name
        if flag == "setcookie" or (flag in {"key", "keys"} and context != "vm_args"):
            out.append(("cookie" if flag == "setcookie" else "api_key", m.start(2), m.end(2)))
        elif _name_class(flag) is not None:
            out.append((flag, m.start(2), m.end(2)))
    out.sort(key=lambda p: p[1])
    return out


# ---------------------------------------------------------------------------------------------
# Gates for tier D


def _classes(v: str) -> int:
    return sum(
        (
            any(c.islower() for c in v),
            any(c.isupper() for c in v),
            any(c.isdigit() for c in v),
            any(not c.isalnum() for c in v),
        )
    )


def _key_gate(v: str, strict_ctx: bool) -> bool:
    """Token/key-like names: random-looking, long enough, not words, not a URL or prose."""
    if any(c.isspace() for c in v) or "://" in v or _is_words(v):
        return False
    if len(v) < (10 if strict_ctx else 16):
        return False
    if not (any(c.isdigit() for c in v) or _classes(v) >= 2):
        return False
    return looks_random(v)


def _password_gate(v: str, strict_ctx: bool) -> bool:
    """Password-like names: humans pick these, so only length, prose and entropy floors."""
    if "://" in v or len(v.split()) >= 3:
        return False
    if strict_ctx:
        return len(v) >= 6
    return len(v) >= 8 and entropy(v) >= 2.5


def _cookie_gate(v: str, strict_ctx: bool) -> bool:
    if any(c.isspace() for c in v) or "://" in v:
        return False
    if strict_ctx:
        return len(v) >= 8
    return len(v) >= 16 and entropy(v) >= 3.0


# ---------------------------------------------------------------------------------------------
# The entry point


def _shift(d: Detection | None, offset: int) -> Detection | None:
    if d is None or offset == 0:
        return d
    return Detection(d.kind, d.reason, d.start + offset, d.end + offset, d.value_len)


def _detection(kind: str, reason: str, start: int, end: int) -> Detection:
    return Detection(kind, reason, start, end, end - start)


def classify(name: str | None, value: str, context: str = "generic") -> Detection | None:
    """Is `value` (found under `name`, in `context`) a secret? The secret's span, or None.

    `context` is one of `CONTEXTS`; unknown contexts count as `generic`. `value` is the literal
    as written (surrounding quotes are allowed) or, for Elixir, the source of the value
    expression (`System.get_env("X") || "lit"`, `Base.decode64!("…")`); for `shell`, `workflow`
    `run:` scripts and `vm_args` it may be a whole command line with `name=None`.

    Order (first hit wins): known token formats anywhere in the value; whole-value references →
    None; a single quoted literal is unwrapped; credentialed URLs; literal fallbacks of env
    lookups (classified under the same name); `Base.decode64!("…")` literals; `NAME=value` /
    `--flag value` / `-setcookie value` pairs in command lines; finally the name-based tier, which
    requires a secret-ish name, a non-placeholder literal, and passing the length/entropy gates
    for its class (key-like, password, cookie, datastore URL). In fly.toml, build args and
    Dockerfile ENV the gates are lower (always committed, always deployed); weak defaults such as
    `postgres` count as passwords only in fly.toml `[env]` and Elixir config.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    ctx = context if context in CONTEXTS else "generic"
    try:
        return _classify(name, value, ctx, 0)
    except RecursionError:  # pathological nesting: be total rather than clever
        return None


def _classify(name: str | None, value: str, ctx: str, depth: int) -> Detection | None:
    tokens = find_known_tokens(value)
    if tokens:
        t = tokens[0]
        return _detection(t.kind, f"{_KIND_LABEL[t.kind]} format", t.start, t.end)
    if depth > 4 or not value.strip() or is_reference(value):
        return None

    unq = _unquote(value.strip())
    if unq is not None:
        lead = len(value) - len(value.lstrip())
        return _shift(_classify(name, unq[1], ctx, depth + 1), lead + unq[0])

    url = url_password(value, context=ctx)
    if url is not None:
        return _detection("url-password", "database/broker URL with a literal password", *url)

    fb = _fallback_literal(value)
    if fb is not None:
        start, end, var = fb
        inner = _classify(name or var, value[start:end], ctx, depth + 1)
        if inner is not None:
            reason = f"literal fallback of an env lookup: {inner.reason}"
            inner = Detection(inner.kind, reason, inner.start, inner.end, inner.value_len)
        return _shift(inner, start)

    if ctx == "elixir_config":
        m = _DECODE_RE.search(value)
        if m and not (name and "salt" in _name_words(name)):
            lit = m.group(1)
            if _key_gate(lit, False) and not is_placeholder(lit):
                return _detection("decoded-key", "key material decoded from a literal", *m.span(1))
            return None

    if name is None or (ctx == "workflow" and name == "run"):
        if ctx not in _SCANNED_CONTEXTS:
            return None
        for pname, s, e in _pairs(value, ctx):
            d = _classify(pname, value[s:e], ctx, depth + 1)
            if d is not None:
                return _shift(d, s)
        return None

    if ctx == "elixir_config" and _ELIXIR_CODE_RE.match(value.strip()):
        return None  # an expression, not a literal: only tiers A/B apply
    return _named(name, value, ctx)


def _named(name: str, value: str, ctx: str) -> Detection | None:
    cls = _name_class(name)
    if cls is None:
        return None
    lead = len(value) - len(value.lstrip())
    v = value.strip()
    auth = _AUTH_SCHEME_RE.match(v)
    if auth and cls in {"key", "password"}:
        lead += auth.start(1)
        v = auth.group(1)
        if is_reference(v):
            return None
    if is_placeholder(v) or _ref_fragment(v):
        return None
    strict = ctx in _STRICT_CONTEXTS
    label = f"literal under the secret-ish name {name.strip()!s:.60}"
    if cls == "url":
        m = re.search(r"(?i)\b(?:password|pwd)=([^\s;&]+)", v)
        if m and _credential_password_ok(m.group(1), "", ctx):
            return _detection(
                "url-password",
                "connection string with a literal password",
                lead + m.start(1),
                lead + m.end(1),
            )
        return None
    if cls == "password":
        if is_weak_default(v) and ctx not in _WEAK_IS_REAL_CONTEXTS:
            return None
        if _password_gate(v, strict):
            return _detection("password", label, lead, lead + len(v))
        return None
    if cls == "cookie":
        if _cookie_gate(v, strict):
            return _detection(
                "cookie", f"Erlang distribution cookie ({label})", lead, lead + len(v)
            )
        return None
    if _key_gate(v, strict):
        return _detection("secret", label, lead, lead + len(v))
    return None
