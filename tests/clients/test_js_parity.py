"""The JS client and the Python runtime agree: on random texts built from many encodings of
tricky values (redaction), and on random strings of placeholder pieces (templating)."""

from __future__ import annotations

import base64
import html
import json
import random
import subprocess
from urllib.parse import quote, quote_plus

from shared.runtime.redact import Redactor
from shared.runtime.templating import TemplateError, render
from tests.clients.conftest import ROOT

VALUES = ["sk_test_fake_p@ss \"q\"/+&=?\\ <é€😀>'s", "sk_test_fake_4eC39HqLyjWDarjt", "ab1",
          "  sk_test_fake_ws_0001\n", "-----BEGIN FAKE-----\nsk_test_fake_line_AAAA\n-----END FAKE-----",
          '"sk_test_fake_quoted"']
SECRETS = {"A": "sk_test_fake_a", "B_2": "sk_test_fake_{{secrets.A}}"}


def run_js(payload: dict) -> dict:
    out = subprocess.run(["node", str(ROOT / "tests" / "clients" / "parity.mjs")], input=json.dumps(payload),
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def forms(value: str) -> list[str]:
    data = value.encode()
    return [value, value.strip(), quote(value, safe=""), quote_plus(value), quote(value, safe="!'()*").lower(),
            json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], html.escape(value),
            value.replace("'", "''"), base64.b64encode(data).decode(), base64.urlsafe_b64encode(b"x" + data).decode(),
            base64.b64encode(b"yz" + data + b"!").decode(), json.dumps(json.dumps(value)[1:-1])[1:-1]]


def test_js_and_python_redact_random_texts_alike(js_client):
    rng = random.Random(15)
    pieces = [f for value in VALUES for f in forms(value)] + ["a", " ", "1", "é", "/", "+", "_", "\n", "😀", '"']
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12))) for _ in range(300)]
    redactor = Redactor(VALUES)
    expected = [redactor.redact_text(text) for text in texts]
    got = run_js({"values": VALUES, "texts": texts, "configs": [], "secrets": {}})["redacted"]
    assert [i for i, (a, b) in enumerate(zip(got, expected)) if a != b] == []
    assert sum(text != out for text, out in zip(texts, expected)) > 250  # the texts did hold values


def python_render(config):
    try:
        return {"ok": render(config, SECRETS)}
    except TemplateError as error:
        return {"error": type(error).__name__, "names": getattr(error, "names", None) or error.placeholders}


def test_js_and_python_render_random_placeholders_alike(js_client):
    rng = random.Random(16)
    pieces = ["{{", "}}", "{", "}", "secrets", ".", " ", "\t", "A", "B_2", "b_2", "my-key", "1x", "_", "x" * 130,
              "{{secrets.A}}", "{{ secrets.B_2 }}", "{{input.x}}", "{{ steps.s.output }}", "{{secrets.NOPE}}",
              "{{secrets.", "{{ secrets .", "{{ secrets.my-key }}", "{{secrets." + "Y" * 128]
    configs = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9))) for _ in range(400)]
    configs += [{"k": [c, {"n": 1, "deep": c}]} for c in configs[:50]]
    got = run_js({"values": [], "texts": [], "configs": configs, "secrets": SECRETS})["rendered"]
    expected = [python_render(config) for config in configs]
    assert [configs[i] for i, (a, b) in enumerate(zip(got, expected)) if a != b] == []
    kinds = {r.get("error", "ok") for r in expected}
    assert kinds == {"ok", "UnknownSecretError", "MalformedPlaceholderError"}
