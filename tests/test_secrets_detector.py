"""The secret detector and masking, on the labelled corpus (tests/secrets_corpus.py) and units."""

from __future__ import annotations

import random
import string

import pytest

from flylint.secrets.detector import (
    CONTEXTS,
    KNOWN_TOKEN_KINDS,
    Detection,
    classify,
    entropy,
    find_known_tokens,
    is_placeholder,
    is_reference,
    is_secret_name,
    looks_random,
    url_password,
)
from flylint.secrets.mask import mask, mask_in_line, mask_url_password
from tests.secrets_corpus import B64, HEX, PEM_RSA, Case, _Gen, build_corpus, render

CORPUS = build_corpus()
MUST = [c for c in CORPUS if c.expected]
DECOYS = [c for c in CORPUS if not c.expected]


def _id(c: Case) -> str:
    return f"{c.context}:{c.name}:{c.note}"


# ---------------------------------------------------------------------------------------------
# Corpus


def test_corpus_size_and_spread():
    assert len(MUST) >= 40 and len(DECOYS) >= 60
    for ctx in CONTEXTS:
        assert any(c.context == ctx for c in CORPUS), ctx
    assert all(c.context in CONTEXTS for c in CORPUS)


def test_corpus_is_deterministic_and_fresh_per_seed():
    assert build_corpus() == build_corpus()
    other = build_corpus(seed=7)
    assert [c.value for c in other if c.expected] != [c.value for c in MUST]


@pytest.mark.parametrize("case", MUST, ids=_id)
def test_must_flag(case: Case):
    d = classify(case.name, case.value, case.context)
    assert d is not None, case.note
    assert 0 <= d.start < d.end <= len(case.value)
    assert d.value_len == d.end - d.start


def test_decoys_flag_at_most_two(capsys):
    flagged = [c for c in DECOYS if classify(c.name, c.value, c.context) is not None]
    found = sum(classify(c.name, c.value, c.context) is not None for c in MUST)
    with capsys.disabled():
        print(
            f"\nsecrets corpus: {len(MUST)} must-flag, {len(DECOYS)} decoys; "
            f"flylint found {found}/{len(MUST)}, flagged {len(flagged)}/{len(DECOYS)} decoys"
            + "".join(f"\n  decoy flagged: {_id(c)}" for c in flagged)
        )
    assert len(flagged) <= 2


def test_other_seeds_keep_the_numbers():
    """The labels do not depend on lucky random draws."""
    for seed in (1, 2, 3, 99, 12345):
        corpus = build_corpus(seed)
        missed = [
            _id(c) for c in corpus if c.expected and classify(c.name, c.value, c.context) is None
        ]
        flagged = [c for c in corpus if not c.expected and classify(c.name, c.value, c.context)]
        assert missed == [], (seed, missed)
        assert len(flagged) <= 2, seed


def test_reasons_never_contain_the_secret():
    for c in MUST:
        d = classify(c.name, c.value, c.context)
        secret = c.value[d.start : d.end]
        assert secret[:5] not in d.reason or len(secret) < 5


def test_every_case_renders_to_a_file():
    for c in CORPUS:
        path, text = render(c)
        assert path and "\n" in text
        if c.expected:
            d = classify(c.name, c.value, c.context)
            assert c.value[d.start : d.end] in text


# ---------------------------------------------------------------------------------------------
# Masking


def _revealed(secret: str, masked: str) -> int:
    """The longest run of the secret's characters (as a substring) visible in `masked`."""
    best = 0
    for i in range(len(secret)):
        for j in range(i + best + 1, len(secret) + 1):
            if secret[i:j] in masked:
                best = j - i
            else:
                break
    return best


@pytest.mark.parametrize("case", MUST, ids=_id)
def test_mask_reveals_at_most_four_characters(case: Case):
    d = classify(case.name, case.value, case.context)
    secret = case.value[d.start : d.end]
    m = mask(secret)
    assert f"(len {len(secret)})" in m
    assert _revealed(secret, m) <= 4
    framed = mask_in_line(case.value, d.start, d.end)
    assert secret not in framed
    assert _revealed(secret, framed.replace(case.value[: d.start], "", 1)) <= 4


@pytest.mark.parametrize("n", range(1, 40))
def test_mask_short_values(n: int):
    value = "".join(random.Random(n).choice(string.ascii_letters) for _ in range(n))
    shown = mask(value).split("…")[0]
    assert value.startswith(shown)
    assert len(shown) <= 4
    if n <= 8:
        assert shown == ""  # never more than half of a short secret (here: nothing)
    assert len(shown) * 3 <= n or shown == ""


def test_mask_examples():
    assert mask("fo1_" + "a1b2" * 10 + "abc") == "fo1_…(len 47)"
    assert mask("short") == "…(len 5)"
    assert mask("") == "…(len 0)"


def test_mask_url_keeps_user_and_host():
    g = _Gen(3)
    pw = g.chars(24)
    url = f"postgresql://web:{pw}@main-db.flycast:5432/web?ssl=true"
    masked = mask_url_password(url)
    assert masked == "postgresql://web:****@main-db.flycast:5432/web?ssl=true"
    assert pw not in masked
    # A raw '@' in the password and one in the query string.
    url = f"ecto://app:{pw[:8]}@{pw[8:]}@db.example.net/app?owner=a@b.c"
    assert mask_url_password(url) == "ecto://app:****@db.example.net/app?owner=a@b.c"
    assert mask_url_password("https://demo.fly.dev/health") == "https://demo.fly.dev/health"
    two = f"A=redis://default:{pw}@a.upstash.io B=amqps://u:{pw[::-1]}@b.cloudamqp.com/v"
    assert (
        mask_url_password(two)
        == "A=redis://default:****@a.upstash.io B=amqps://u:****@b.cloudamqp.com/v"
    )


def test_mask_in_line_clamps():
    assert mask_in_line("abc", 5, 9) == "abc"
    assert mask_in_line("abc", 2, 1) == "abc"
    assert mask_in_line("x=0123456789abcdefXYZ", 2, 100) == "x=0123…(len 19)"


# ---------------------------------------------------------------------------------------------
# Units


def test_known_tokens_kinds_and_spans():
    g = _Gen(11)
    fo1, pair = g.fo1(), g.fly_header(True)
    text = f"a={fo1}\nFLY_API_TOKEN: {pair}\n"
    found = find_known_tokens(text)
    assert [t.kind for t in found] == ["fly-token", "fly-token"]
    assert text[found[0].start : found[0].end] == fo1
    # The pair is one match covering both macaroons, not the "FlyV1 " word.
    assert text[found[1].start : found[1].end] == pair.removeprefix("FlyV1 ")
    assert {t.kind for t in find_known_tokens(g.pem(PEM_RSA))} == {"private-key"}
    stripe = find_known_tokens(g.stripe("sk_test_") + " " + g.stripe())
    assert [t.kind for t in stripe] == ["stripe-test-key", "stripe-secret-key"]
    assert {t.kind for t in find_known_tokens(g.github() + " " + g.aws_key_id())} == {
        "github-token",
        "aws-access-key",
    }
    assert {t.kind for t in found} <= KNOWN_TOKEN_KINDS


@pytest.mark.parametrize(
    "text",
    [
        "fo1_" + "x" * 43,
        "fo1_" + "ab" * 22,  # 44 chars: wrong length
        "xfo1_" + "Ab3dE" * 9,
        "ghp_" + "0" * 36,
        "sk_live_" + "x" * 24,
        "pk_live_" + "Ab3dEf9hIj" * 3,
        "AKIA" + "ABCDEFGHIJ" + "EXAMPLE",
        "FM2_" + "Ab3dEf9hIj" * 12,
        "-----BEGIN RSA " + "PRIVATE KEY-----\n<your key>\n-----END RSA " + "PRIVATE KEY-----",
    ],
)
def test_known_tokens_ignore_fillers(text: str):
    assert find_known_tokens(text) == []


def test_url_password():
    pw = _Gen(21).chars(16)
    v = f"postgres://u:{pw}@db.example.net/app"
    s, e = url_password(v)
    assert v[s:e] == pw
    assert url_password("ecto://USER:PASS@HOST/DATABASE") is None
    assert url_password("postgres://user:password@host/db") is None
    assert url_password("postgres://u:${DB_PASS}@db.internal/app") is None
    assert url_password("postgres://u:<%= @pass %>@db.internal/app") is None
    assert url_password("ecto://postgres:postgres@localhost/demo_test") is None
    assert url_password("postgres://postgres:postgres@main-db.flycast/demo") is not None
    assert (
        url_password("postgres://postgres:postgres@main-db.flycast/demo", context="workflow")
        is None
    )
    assert url_password(f"https://u:{pw}@example.org/x") is None  # not a datastore scheme
    assert url_password(f"mongodb+srv://app:{pw}@c0.mongodb.net/x") is not None
    assert url_password(f"redis://default:{pw}@redis:6379") is not None  # not a weak default


@pytest.mark.parametrize(
    "value",
    [
        'System.get_env("X")',
        'System.fetch_env!("X")',
        "Application.get_env(:demo, :key)",
        'System.get_env("X") || raise "missing"',
        'System.get_env("X", "")',
        '{:system, "X"}',
        "${VAR}",
        "$VAR",
        "${{ secrets.X }}",
        "<%= @cookie %>",
        "$(mix phx.gen.secret)",
        "/run/secrets/db_password",
        '"${FLY_APP_NAME}@${FLY_PRIVATE_IP}"',
        "${X:-$(openssl rand -hex 16)}",
        "${X:?required}",
    ],
)
def test_is_reference(value: str):
    assert is_reference(value)


@pytest.mark.parametrize(
    "value",
    ['System.get_env("X") || "literal-fallback"', "${X:-literal}", "abc", "pre${X}post", ""],
)
def test_is_not_reference(value: str):
    assert not is_reference(value)


@pytest.mark.parametrize(
    "value",
    [
        "changeme",
        "CHANGEME",
        "xxxxxxxx",
        "<your-key>",
        "nokey",
        "secret",
        "PASS",
        "your_api_key_here",
        "0123456789abcdef",
        "aaaaaaaaaaaa",
        "sample-token-example",
        "...",
        "sk_live_...",
        "",
    ],
)
def test_is_placeholder(value: str):
    assert is_placeholder(value)


def test_is_placeholder_spares_random_values():
    g = _Gen(5)
    for _ in range(500):
        assert not is_placeholder(g.b64(64))
        assert not is_placeholder(g.hex(32))
    assert not is_placeholder("postgres")  # a weak default, decided by context


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY_BASE",
        "secret_key_base",
        "DATABASE_URL",
        "DB_PASSWORD",
        "SMTP_PASS",
        "apiKey",
        "HEX_ORGANIZATION_KEY",
        "RELEASE_COOKIE",
        "-setcookie",
        "X-Api-Key",
        "Authorization",
        "client_secret",
        "default_signer",
        "GH_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "credentials",
    ],
)
def test_secret_names(name: str):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_NAME",
        "API_KEY_HEADER",
        "SMTP_PASSWORD_FILE",
        "JWT_TTL_SECONDS",
        "signing_salt",
        "STRIPE_PUBLISHABLE_KEY",
        "AWS_ACCESS_KEY_ID",
        "TOKEN_LENGTH",
        "cache_key",
        "primary_key",
        "key",
        "PWD",
        "SENTRY_DSN",
        "OAUTH_REDIRECT_URL",
        "SECRET_KEY_BASE_DUMMY",
        "PHX_HOST",
        "JWT_PUBLIC_KEY",
        "TURNSTILE_SITE_KEY",
        "SESSION_COOKIE_NAME",
    ],
)
def test_not_secret_names(name: str):
    assert not is_secret_name(name)


def test_entropy_and_looks_random():
    assert entropy("") == 0.0
    assert entropy("aaaa") == 0.0
    assert abs(entropy("abcd") - 2.0) < 1e-9
    rng = random.Random(42)
    for n in (12, 16, 24, 32, 64):
        hex_misses = sum(
            not looks_random("".join(rng.choice(HEX) for _ in range(n))) for _ in range(1000)
        )
        b64_misses = sum(
            not looks_random("".join(rng.choice(B64) for _ in range(n))) for _ in range(1000)
        )
        assert hex_misses <= 10 and b64_misses <= 10, (n, hex_misses, b64_misses)
    assert not looks_random("short")  # under 8 characters nothing can be told
    assert not looks_random("aaaaaaaaaaaaaaaaaaab")
    assert not looks_random("abababababababababab")
    assert not looks_random("0000111100001111")
    assert not looks_random("deadbeefdeadbeefdeadbeefdeadbeef")


def test_random_secret_key_bases_are_always_flagged():
    """False-negative rate of the gates on `mix phx.gen.secret`-shaped values."""
    g = _Gen(8)
    for _ in range(2000):
        assert classify("SECRET_KEY_BASE", g.phx_secret(), "fly_env")
        assert classify("secret_key_base", f'"{g.phx_secret(32)}"', "elixir_config")


@pytest.mark.parametrize("ctx", [*sorted(CONTEXTS), "bogus"])
@pytest.mark.parametrize(
    "value", ["", " ", '"', "${", "$(", "((((", '"""', "postgres://:@", "-----BEGIN", "\x00" * 3]
)
def test_classify_is_total(ctx: str, value: str):
    d = classify(None, value, ctx)
    assert d is None or isinstance(d, Detection)
    classify("SECRET", value, ctx)
    classify("", value, ctx)
