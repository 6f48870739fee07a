"""Rendering `{{secrets.NAME}}` placeholders in a step's config (docs/integration.md)."""

from __future__ import annotations

import copy

import pytest

from shared.runtime.templating import (
    MalformedPlaceholderError,
    TemplateError,
    UnknownSecretError,
    find_secret_names,
    render,
)

VALUES = {"API_TOKEN": "fake-token-0001", "db_password": "fake-pass-0002", "_x9": "fake-0003"}


def test_finds_names_in_nested_dicts_lists_and_tuples_sorted_and_deduplicated():
    config = {
        "url": "https://api.example.com/?key={{secrets.API_TOKEN}}",
        "headers": [{"Authorization": "Bearer {{ secrets.API_TOKEN }}"}],
        "steps": ({"retry": 3, "on": None, "dsn": "{{secrets.db_password}}"}, True, 1.5),
    }
    assert find_secret_names(config) == ["API_TOKEN", "db_password"]


def test_finds_nothing_in_a_config_without_placeholders():
    assert find_secret_names({"a": [1, 2.0, None, False], "b": "{{input.body}}"}) == []


def test_renders_nested_structures_and_keeps_their_shape():
    config = {"a": {"b": ["x {{secrets.API_TOKEN}} y", ("{{secrets._x9}}", 7)]}, "n": None}
    assert render(config, VALUES) == {
        "a": {"b": ["x fake-token-0001 y", ("fake-0003", 7)]}, "n": None,
    }


def test_renders_several_placeholders_in_one_string():
    text = "{{secrets.API_TOKEN}}:{{secrets.db_password}}/{{secrets.API_TOKEN}}"
    assert render(text, VALUES) == "fake-token-0001:fake-pass-0002/fake-token-0001"


@pytest.mark.parametrize(
    "placeholder",
    ["{{secrets.API_TOKEN}}", "{{ secrets.API_TOKEN }}", "{{\tsecrets.API_TOKEN\n}}",
     "{{   secrets.API_TOKEN}}", "{{secrets.API_TOKEN    }}"],
)
def test_whitespace_inside_the_braces_is_allowed(placeholder):
    assert find_secret_names(["<" + placeholder + ">"]) == ["API_TOKEN"]
    assert render(["<" + placeholder + ">"], VALUES) == ["<fake-token-0001>"]


def test_other_placeholders_are_left_exactly_as_written():
    text = "{{input.body}} {{ steps.x.output }} {{secrets.API_TOKEN}} {{ env.HOME }} {{secretsX}}"
    assert render(text, VALUES) == (
        "{{input.body}} {{ steps.x.output }} fake-token-0001 {{ env.HOME }} {{secretsX}}"
    )


def test_unknown_names_are_all_listed_sorted_and_nothing_is_rendered():
    config = {"a": "{{secrets.ZETA}}", "b": ["{{secrets.API_TOKEN}}", "{{ secrets.alpha }}"]}
    with pytest.raises(UnknownSecretError) as caught:
        render(config, VALUES)
    assert caught.value.names == ["ZETA", "alpha"]
    assert "ZETA" in str(caught.value) and "alpha" in str(caught.value)
    assert isinstance(caught.value, LookupError) and isinstance(caught.value, TemplateError)
    # The message names secrets, never values (not even the known one's).
    assert "fake-token-0001" not in str(caught.value) + repr(caught.value)


def test_names_match_exactly_case_sensitive():
    with pytest.raises(UnknownSecretError) as caught:
        render("{{secrets.api_token}}", VALUES)
    assert caught.value.names == ["api_token"]


def test_dict_keys_are_neither_scanned_nor_rendered():
    config = {"{{secrets.API_TOKEN}}": "v", "k": {"{{secrets.MISSING}}": 1}}
    assert find_secret_names(config) == []
    assert render(config, VALUES) == config


def test_input_is_not_mutated_and_the_result_is_a_new_object():
    config = {"a": ["{{secrets.API_TOKEN}}", {"b": "{{secrets._x9}}"}]}
    before = copy.deepcopy(config)
    result = render(config, VALUES)
    assert config == before
    assert result is not config and result["a"] is not config["a"]
    assert result["a"][1] is not config["a"][1]


def test_a_value_that_looks_like_a_placeholder_is_not_expanded_again():
    values = {"A": "{{secrets.B}}", "B": "fake-0004"}
    assert render("{{secrets.A}}", values) == "{{secrets.B}}"


@pytest.mark.parametrize(
    "text",
    ["{{ secrets.my-key }}", "{{secrets.}}", "{{ secrets.9lives }}", "{{ secrets . A }}",
     "{{secrets.A | default('x')}}", "{{secrets." + "a" * 129 + "}}"],
)
def test_a_malformed_secret_placeholder_is_an_error_not_a_literal(text):
    with pytest.raises(MalformedPlaceholderError) as caught:
        render({"k": text}, VALUES)
    assert isinstance(caught.value, ValueError)
    assert caught.value.placeholders and caught.value.placeholders[0].startswith("{{")
    with pytest.raises(MalformedPlaceholderError):
        find_secret_names([text])


def test_longest_valid_name_is_accepted():
    name = "a" * 128
    assert render("{{secrets." + name + "}}", {name: "fake-0005"}) == "fake-0005"


def test_a_non_string_value_is_refused_without_showing_it():
    with pytest.raises(TypeError) as caught:
        render("{{secrets.A}}", {"A": 12345678})
    assert "12345678" not in str(caught.value)


def test_scalars_pass_through_unchanged():
    for scalar in (None, True, 0, 2.5, "plain text"):
        assert render(scalar, {}) == scalar
