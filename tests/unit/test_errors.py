from __future__ import annotations

from aws_cdk import Duration

from constructs_pkg import ConfigurationError


def test_message_names_argument_value_allowed_and_path():
    err = ConfigurationError("percent", 150, "a whole number from 1 to 99", path="Stack/Orders")
    assert (
        str(err)
        == "[Stack/Orders] percent=150 is not allowed: expected a whole number from 1 to 99."
    )
    assert (err.argument, err.value, err.allowed, err.path) == (
        "percent",
        150,
        "a whole number from 1 to 99",
        "Stack/Orders",
    )
    assert isinstance(err, ValueError)


def test_durations_render_as_humans_write_them():
    err = ConfigurationError("interval", Duration.seconds(90), "whole minutes", reason="Why.")
    assert str(err) == "interval=<1 minute 30 seconds> is not allowed: expected whole minutes. Why."


def test_at_adds_a_path():
    assert str(ConfigurationError("x", 1, "2").at("S/F")).startswith("[S/F] x=1")
