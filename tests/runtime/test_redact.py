"""The redactor: values masked in text, encodings, structures and log records (docs/integration.md)."""

from __future__ import annotations

import base64
import io
import json
import logging
import random
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from shared.runtime import anchors as anchors_module
from shared.runtime.redact import RedactingFilter, Redactor

TOKEN = "fake-token-0001"
# Characters every transport escapes differently: JSON, URL (+ and space), non-ASCII.
TRICKY = 'fake "pass"/0002 +&=?\\ é€😀'
MASK = "[REDACTED]"
# The masking rules by example, shared with the JS client's redactor (clients/js).
VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "redaction.json").read_text("utf-8"))


@pytest.fixture(params=["rust", "re"])
def engine(request, monkeypatch):
    """Every test of matching runs twice: with the Rust engines (pydantic-core's regex to test,
    ahocorasick-rs to locate) and with Python's own (`re` to test, `str.find` to locate)."""
    if request.param == "re":
        monkeypatch.setattr(anchors_module, "_rust_matcher", lambda literals: None)
        monkeypatch.setattr(anchors_module, "_rust_locator", lambda anchors: None)
    return request.param


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_shared_redaction_vectors(engine, vector):
    assert Redactor(vector["values"]).redact_text(vector["input"]) == vector["expected"], vector["note"]


def test_the_vectors_cover_every_form_with_unique_names():
    names = [v["name"] for v in VECTORS]
    assert len(names) == len(set(names)) >= 60
    for prefix in ("raw-", "json-", "url-", "base64-std-", "base64-url-", "whitespace-", "multiline-",
                   "xml-", "html-", "quote-doubling", "double-quoted-", "command-line-", "short-", "overlap-"):
        assert any(name.startswith(prefix) for name in names), prefix


@pytest.mark.parametrize("text", [
    TOKEN, TOKEN + " at the start", "in the middle " + TOKEN + " of it", "at the end:" + TOKEN,
    "glued" + TOKEN + "glued", TOKEN + TOKEN,
])
def test_every_occurrence_is_masked_anywhere_in_a_string(engine, text):
    out = Redactor([TOKEN]).redact_text(text)
    assert TOKEN not in out and MASK in out
    assert out.replace(MASK, "") == text.replace(TOKEN, "")


def test_text_without_values_is_returned_unchanged(engine):
    text = "GET /v1/things 200 {\"id\": 1}"
    assert Redactor([TOKEN, TRICKY]).redact_text(text) is text


@pytest.mark.parametrize("encode", [
    lambda v: json.dumps(v)[1:-1],
    lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    lambda v: json.dumps(v).replace("/", "\\/")[1:-1],  # PHP-style escaped slash
    lambda v: json.dumps(json.dumps(v)[1:-1])[1:-1],  # JSON inside a JSON string
], ids=["json-ascii", "json-unicode", "json-escaped-slash", "json-in-json"])
def test_json_escaped_values_are_masked(engine, encode):
    assert encode(TRICKY) != TRICKY
    out = Redactor([TRICKY]).redact_text('{"body": "x' + encode(TRICKY) + 'y", "ok": true}')
    assert out == '{"body": "x' + MASK + 'y", "ok": true}'


def test_a_json_document_inside_a_json_string_is_masked(engine):
    text = json.dumps({"body": json.dumps({"password": TRICKY, "user": "ada"})})
    assert Redactor([TRICKY]).redact_text(text) == (
        '{"body": "{\\"password\\": \\"' + MASK + '\\", \\"user\\": \\"ada\\"}"}'
    )


@pytest.mark.parametrize("encode", [
    lambda v: quote(v, safe=""), quote, lambda v: quote_plus(v), lambda v: quote_plus(v, safe="/"),
    lambda v: quote(v, safe="").lower(), lambda v: quote_plus(v).lower(),
    lambda v: quote(v, safe="!'()*"),  # JavaScript's encodeURIComponent
], ids=["quote", "quote-path", "quote_plus", "quote_plus-path", "quote-lower", "plus-lower", "js"])
def test_url_encoded_values_are_masked(engine, encode):
    assert encode(TRICKY) != TRICKY
    text = "https://example.com/cb?x=1&secret=" + encode(TRICKY) + "&y=2"
    out = Redactor([TRICKY]).redact_text(text)
    assert out == "https://example.com/cb?x=1&secret=" + MASK + "&y=2"


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
@pytest.mark.parametrize("padded", [True, False])
@pytest.mark.parametrize("value", [TOKEN, TRICKY, TOKEN + "x", TOKEN + "xy"])  # 3 length residues
def test_base64_of_the_value_alone_is_masked_whole(engine, encode, padded, value):
    blob = encode(value.encode()).decode()
    blob = blob if padded else blob.rstrip("=")
    out = Redactor([value]).redact_text("Authorization: Basic " + blob + " end")
    assert out == "Authorization: Basic " + MASK + " end"


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
@pytest.mark.parametrize("offset", range(6))  # each of the 3 byte alignments, twice
@pytest.mark.parametrize("value", [TOKEN, TRICKY])
def test_base64_of_a_longer_payload_masks_the_value_at_any_alignment(engine, encode, offset, value):
    # GIVEN a blob encoding other bytes, the value, other bytes
    rng = random.Random(offset)
    before, after = bytes(rng.randrange(256) for _ in range(offset)), b'", "n": 1}' * 3
    blob = encode(before + value.encode() + after).decode()
    # WHEN it is redacted
    out = Redactor([value]).redact_text("payload=" + blob)
    # THEN one mask covers every character that encodes only the value's bytes: what
    # stays visible on each side carries less than one byte of the value.
    assert out.count(MASK) == 1
    head, tail = out[len("payload="):].split(MASK)
    assert blob.startswith(head) and blob.endswith(tail)
    value_bits = (8 * len(before), 8 * (len(before) + len(value.encode())))
    assert 6 * len(head) - value_bits[0] < 8
    assert value_bits[1] - 6 * (len(blob.rstrip("=")) - len(tail.rstrip("="))) < 8


def test_base64_inside_json_and_url_encoded_is_masked(engine):
    blob = base64.b64encode(b"user:" + TRICKY.encode()).decode()
    assert "+" in blob or "/" in blob  # so the encodings below differ from the blob
    for text in (json.dumps({"auth": blob}).replace("/", "\\/"), "auth=" + quote(blob, safe="")):
        out = Redactor([TRICKY]).redact_text(text)
        assert MASK in out and blob[8:-8] not in out and quote(blob[8:-8], safe="") not in out


def test_overlapping_values_mask_the_union_of_their_spans(engine):
    first, second = "fake-aaaa-1111", "1111-fake-bbbb"
    out = Redactor([first, second]).redact_text("x fake-aaaa-1111-fake-bbbb y")
    assert out == "x " + MASK + " y"


def test_a_value_inside_another_and_adjacent_values_mask_as_one(engine):
    outer, inner, other = "fake-outer-0001-tail", "outer-0001", "fake-zzzz-9999"
    redactor = Redactor([inner, outer, other])
    assert redactor.redact_text("<fake-outer-0001-tail>") == "<" + MASK + ">"
    assert redactor.redact_text("<outer-0001>") == "<" + MASK + ">"
    assert redactor.redact_text("<fake-zzzz-9999fake-outer-0001-tail>") == "<" + MASK + ">"


def test_a_value_repeated_with_overlap_is_masked_entirely(engine):
    assert Redactor(["fake-abab"]).redact_text("fake-ababab fake-abab") == MASK + "ab " + MASK


def test_text_with_lone_surrogates_and_non_ascii_text_are_masked(engine):
    redactor = Redactor([TOKEN, TRICKY])
    assert redactor.redact_text("\udc80 " + TOKEN) == "\udc80 " + MASK
    assert redactor.redact_text("héllo " + TRICKY + " ☃") == "héllo " + MASK + " ☃"


def test_short_values_are_masked_only_as_whole_tokens(engine):
    redactor = Redactor(["ab1", "x y"])
    assert redactor.redact_text("ab1") == MASK
    assert redactor.redact_text("pin=ab1, (ab1) 'ab1'") == f"pin={MASK}, ({MASK}) '{MASK}'"
    assert redactor.redact_text("cab1 ab12 ab1_ _ab1") == "cab1 ab12 ab1_ _ab1"
    assert redactor.redact_text("q=x+y&r=x%20y") == f"q={MASK}&r={MASK}"
    # Their base64 forms are not masked: 2-4 characters occur by chance in any blob.
    blob = base64.b64encode(b"ab1").decode()
    assert redactor.redact_text(blob) == blob


def test_min_length_decides_which_values_are_short(engine):
    assert Redactor(["fake"]).redact_text("xfakex") == "x" + MASK + "x"
    assert Redactor(["fake"], min_length=5).redact_text("xfakex") == "xfakex"
    assert Redactor(["fake"], min_length=5).redact_text("x fake x") == "x " + MASK + " x"


def test_empty_values_are_ignored_and_duplicates_collapse():
    redactor = Redactor(["", TOKEN, TOKEN])
    assert repr(redactor) == "Redactor(1 value)"
    assert redactor.redact_text("a b") == "a b"


def test_the_mask_is_configurable(engine):
    assert Redactor([TOKEN], mask="***").redact_text("t=" + TOKEN) == "t=***"


def test_repr_reveals_no_value():
    redactor = Redactor([TOKEN, TRICKY, "ab1"])
    assert repr(redactor) == "Redactor(3 values)"
    assert TOKEN not in repr(redactor.logging_filter())
    with pytest.raises(TypeError):
        vars(redactor)  # no __dict__ to dump


def test_values_must_be_text():
    with pytest.raises(TypeError):
        Redactor([b"fake-bytes"])


def test_redact_copies_structures_with_keys_and_values_redacted(engine):
    data = {"headers": {"Authorization": "Bearer " + TOKEN}, TOKEN: [TOKEN, ("x", TOKEN)],
            "n": 1, "none": None, "tags": {TOKEN}}
    out = Redactor([TOKEN]).redact(data)
    assert out == {"headers": {"Authorization": "Bearer " + MASK}, MASK: [MASK, ("x", MASK)],
                   "n": 1, "none": None, "tags": {MASK}}
    assert data["headers"]["Authorization"] == "Bearer " + TOKEN  # the input is untouched


def test_redact_bytes_stay_bytes_and_invalid_utf8_round_trips(engine):
    raw = b"\xff\xfe " + TOKEN.encode() + b" \x80"
    assert Redactor([TOKEN]).redact(raw) == b"\xff\xfe " + MASK.encode() + b" \x80"
    assert Redactor([TOKEN]).redact(bytearray(TOKEN.encode())) == bytearray(MASK.encode())


def test_redact_an_exception_gives_its_redacted_line(engine):
    error = ValueError(f"upstream rejected {TOKEN}")
    assert Redactor([TOKEN]).redact(error) == f"ValueError: upstream rejected {MASK}"


def test_redact_leaves_other_objects_and_survives_cycles():
    marker = object()
    loop: list = [TOKEN]
    loop.append(loop)
    out = Redactor([TOKEN]).redact([marker, loop])
    assert out[0] is marker and out[1] == [MASK, MASK]


# --- logging ----------------------------------------------------------------------------

@pytest.fixture
def log():
    """A logger writing through a StringIO handler that carries the redacting filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(Redactor([TOKEN, TRICKY]).logging_filter())
    logger = logging.getLogger(f"test_redact.{random.random()}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.output = stream.getvalue
    yield logger
    logger.removeHandler(handler)


def test_log_args_with_percent_s_and_percent_r_are_masked(log, engine):
    log.info("token=%s repr=%r tricky=%s", TOKEN, TOKEN, TRICKY)
    assert log.output() == f"INFO token={MASK} repr='{MASK}' tricky={MASK}\n"


def test_log_dict_args_and_dict_mapping_args_are_masked(log, engine):
    log.info("headers=%s", {"Authorization": "Bearer " + TOKEN})
    log.info("%(user)s used %(token)s", {"user": "ada", "token": TOKEN})
    assert log.output() == (f"INFO headers={{'Authorization': 'Bearer {MASK}'}}\n"
                            f"INFO ada used {MASK}\n")


def test_exception_message_and_traceback_are_masked(log, engine):
    def call_upstream(token: str) -> None:
        raise RuntimeError(f"401 for token {token}")

    try:
        call_upstream(TOKEN)
    except RuntimeError:
        log.exception("step failed with %s", TOKEN)
    out = log.output()
    assert TOKEN not in out
    assert out.startswith(f"ERROR step failed with {MASK}\nTraceback (most recent call last):")
    assert f"RuntimeError: 401 for token {MASK}" in out and "call_upstream" in out


def test_the_raw_exception_is_cleared_from_the_record(engine):
    try:
        raise KeyError(TOKEN)
    except KeyError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "m", None, sys.exc_info())
    Redactor([TOKEN]).logging_filter().filter(record)
    # A handler formatting exc_info itself would see the raw exception; it only finds text.
    assert record.exc_info is None
    assert record.exc_text.startswith("Traceback")
    assert record.exc_text.endswith(f"KeyError: '{MASK}'")


def test_a_records_stack_info_and_preformatted_exc_text_are_masked(engine):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    record.stack_info = f'  File "x.py", line 1, in f\n    login("{TOKEN}")'
    record.exc_text = f"Traceback ...\nKeyError: '{TOKEN}'"
    assert Redactor([TOKEN]).logging_filter().filter(record) is True
    assert TOKEN not in record.stack_info + record.exc_text
    assert record.stack_info.endswith(f'login("{MASK}")') and record.exc_text.endswith(f"'{MASK}'")


def test_extra_fields_are_masked(engine):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s auth=%(auth)s meta=%(meta)s"))
    handler.addFilter(RedactingFilter(Redactor([TOKEN])))
    logger = logging.getLogger("test_redact.extra")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning("call", extra={"auth": "Bearer " + TOKEN, "meta": {"k": TOKEN}})
    logger.removeHandler(handler)
    assert stream.getvalue() == f"call auth=Bearer {MASK} meta={{'k': '{MASK}'}}\n"


def test_extra_fields_can_be_left_alone_for_speed():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (TOKEN,), None)
    record.auth = TOKEN
    Redactor([TOKEN]).logging_filter(redact_extra=False).filter(record)
    assert record.msg == MASK and record.args is None and record.auth == TOKEN


def test_a_non_str_message_and_a_str_subclass_message_are_masked(log, engine):
    class Token:
        def __str__(self) -> str:
            return f"object holding {TOKEN}"

    class Text(str):
        pass

    log.info(Token())
    log.info(Text("sub %s"), TOKEN)
    log.info(Text(f"plain {TOKEN}"))
    assert log.output() == f"INFO object holding {MASK}\nINFO sub {MASK}\nINFO plain {MASK}\n"


def test_a_record_class_with_its_own_get_message_is_asked_for_its_message(engine):
    class BraceRecord(logging.LogRecord):  # as a `{}`-style record factory makes them
        def getMessage(self) -> str:
            return str(self.msg).format(*self.args)

    record = BraceRecord("x", logging.INFO, __file__, 1, "token={}", (TOKEN,), None)
    Redactor([TOKEN]).logging_filter().filter(record)
    assert record.msg == f"token={MASK}" and record.args is None


def test_non_ascii_log_lines_are_masked(log, engine):
    log.warning("héllo %s ☃", TRICKY)
    assert log.output() == f"WARNING héllo {MASK} ☃\n"


def test_records_from_child_loggers_are_masked_by_the_handler_filter(engine):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redactor([TOKEN]).logging_filter())
    parent = logging.getLogger("test_redact.parent")
    parent.addHandler(handler)
    parent.propagate = False
    logging.getLogger("test_redact.parent.child").warning("token %s", TOKEN)
    parent.removeHandler(handler)
    assert stream.getvalue() == MASK.join(["token ", "\n"])


def test_the_filter_never_raises_and_drops_what_it_cannot_redact(log, capsys):
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no str")

    log.info("%s and %s", TOKEN)  # too few args: logging would print them to stderr
    log.info("%s", Broken())
    out = log.output()
    err = capsys.readouterr().err
    assert TOKEN not in out and TOKEN not in err and "Logging error" not in err
    assert out == "".join(
        f"INFO [log record dropped: redaction failed ({kind})]\n"
        for kind in ("TypeError", "RuntimeError")
    )


def test_rust_and_re_engines_agree_on_random_texts(monkeypatch):
    values = [TOKEN, TRICKY, "ab1", "fake-" + "k9" * 20]
    rng = random.Random(7)
    forms = [v for value in values for v in (value, quote(value), json.dumps(value)[1:-1],
                                              base64.b64encode(b"xy" + value.encode()).decode())]
    pieces = forms + ["a", " ", "1", "é", "/", "+", "😀", "日本"]  # 2-, 3- and 4-byte UTF-8
    texts = ["".join(rng.choice(pieces) for _ in range(30)) for _ in range(200)]
    rust = Redactor(values)
    monkeypatch.setattr(anchors_module, "_rust_matcher", lambda literals: None)
    monkeypatch.setattr(anchors_module, "_rust_locator", lambda anchors: None)
    fallback = Redactor(values)
    assert [rust.redact_text(t) for t in texts] == [fallback.redact_text(t) for t in texts]
    assert all(TOKEN not in rust.redact_text(t) for t in texts)


def test_the_rust_engines_are_used_when_available():
    # A silent fallback to `re` would still be correct, but ten times slower.
    assert anchors_module._rust_matcher(["fake-lit-0001"]) is not None
    assert anchors_module._rust_locator(["fake-lit-0001"]) is not None


def test_overlapping_and_nested_anchors_are_all_located(engine):
    # Aho-Corasick reports overlapping matches only when asked: each must be found.
    locate = anchors_module.locator(["fake-abab", "abab-fake", "bab"])
    text = "x fake-abab-fake-abab y"
    expected = sorted((i, at) for i, anchor in enumerate(["fake-abab", "abab-fake", "bab"])
                      for at in range(len(text)) if text.startswith(anchor, at))
    assert sorted(locate(text)) == expected and len(expected) == 5


def test_the_benchmark_runs_and_reports_its_figures():
    from shared.cli.bench.redact import bench_redaction

    figures = bench_redaction(records=500, rounds=1)
    assert set(figures) == {"baseline_s", "redacted_s", "overhead_pct", "formatter_s", "formatter_overhead_pct"}
    assert figures["baseline_s"] > 0 and figures["redacted_s"] > 0 and figures["formatter_s"] > 0
    assert figures["overhead_pct"] == pytest.approx(
        100 * (figures["redacted_s"] - figures["baseline_s"]) / figures["baseline_s"])
    assert figures["formatter_overhead_pct"] == pytest.approx(
        100 * (figures["formatter_s"] - figures["baseline_s"]) / figures["baseline_s"])


def test_redacting_formatter_covers_extra_fields_and_tracebacks():
    """The formatter wrapper redacts the handler's whole output, whatever the inner formatter
    put in it: here a JSON formatter that includes an `extra` field, and a traceback."""
    secret = "fake-formatter-secret-0042"

    class JsonFormatter(logging.Formatter):
        def format(self, record):
            return json.dumps({"msg": record.getMessage(), "extra": getattr(record, "ctx", None),
                                      "exc": self.formatException(record.exc_info) if record.exc_info else None})

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Redactor([secret]).formatter(JsonFormatter()))
    logger = logging.getLogger("test.redact.formatter")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("plain %s", "text", extra={"ctx": {"token": secret}})
        try:
            raise RuntimeError(f"upstream said {secret}")
        except RuntimeError:
            logger.exception("call failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert secret not in out
    assert out.count("[REDACTED]") == 2 and "upstream said [REDACTED]" in out
    assert '"msg": "plain text"' in out


def test_the_bench_rows_give_each_hook_and_the_js_redactor_a_goal_and_a_verdict():
    from shared.cli.bench.redact import bench_js_redaction, overhead_row

    # The verdict follows the figure: no timing is asserted, only how a figure is reported.
    assert overhead_row("x", "floor", 1.0, 1.04)["goal"].startswith("+4.0%, goal < 5%: met")
    assert overhead_row("x", "floor", 1.0, 1.06)["goal"].startswith("+6.0%, goal < 5%: not met")
    # MeshHook's bound is judged on the rows of its log write only.
    assert "bound" not in overhead_row("x", "floor", 1.0, 1.06)["goal"]
    assert overhead_row("x", "floor", 1.0, 1.06, bound=True)["goal"].endswith("MeshHook's bound 10%: met")
    assert overhead_row("x", "floor", 1.0, 1.11, bound=True)["goal"].endswith("MeshHook's bound 10%: NOT met")
    js = bench_js_redaction(records=1000, rounds=1)  # node and the built client are in CI
    assert js is not None and js["baseline_s"] > 0 and js["redacted_s"] > 0
    assert js["overhead_pct"] == pytest.approx(100 * (js["redacted_s"] - js["baseline_s"]) / js["baseline_s"])
    assert js["destination_overhead_pct"] == pytest.approx(
        100 * (js["destination_s"] - js["baseline_s"]) / js["baseline_s"])


def test_an_empty_redactor_masks_nothing_and_a_lone_surrogate_text_still_masks(engine):
    assert Redactor([]).redact_text("fake nothing here \ud800") == "fake nothing here \ud800"
    assert Redactor([TOKEN]).redact_text(f"\ud800 {TOKEN} {quote(TOKEN)}") == f"\ud800 {MASK} {MASK}"
