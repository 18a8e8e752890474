"""The first look at the command line: Hydra's composition errors, held while it composes and said in one line."""

from __future__ import annotations

import os

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException

from lrsweep._paths import config_dir
from lrsweep._preflight import composition_error, hold_composition_errors, release_composition_errors
from lrsweep.config import register_configs


def hydra_error(*overrides: str) -> ConfigCompositionException:
    """What Hydra raises composing lrsweep's config with ``overrides`` (its sweeper config included)."""
    register_configs()
    with (
        initialize_config_dir(str(config_dir()), version_base=None),
        pytest.raises(ConfigCompositionException) as raised,
    ):
        compose("config", overrides=list(overrides), return_hydra_config=True)
    return raised.value


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("trainer.batch_size=big", "`trainer.batch_size` must be an int. Received: trainer.batch_size='big'"),
        ("schedule.initial_learning_rate=fast", "must be a float. Received: schedule.initial_learning_rate='fast'"),
        ("hydra.sweeper.n_trials=1.5", "`hydra.sweeper.n_trials` must be an int. Received: hydra.sweeper.n_trials="),
        ("trainer.reuse=maybe", "`trainer.reuse` must be a bool (true or false). Received: trainer.reuse='maybe'"),
        ("trainer.epoch=2", "`trainer.epoch` must be a key of `trainer`: one of ['batch_size', 'direction', 'epochs'"),
    ],
)
def test_a_composition_error_is_one_line_naming_key_value_and_what_is_allowed(override, message):
    error = composition_error(hydra_error("+sweep=constant", override), [override])  # the sweep: lrsweep's sweeper
    assert message in str(error) and "\n" not in str(error)


def test_an_unknown_key_says_how_to_add_one():
    assert "(+model.width=... adds a new one). Received: model.width='8'" in str(
        composition_error(hydra_error("model.width=8"), ["model.width=8"])
    )


def test_held_only_while_composing_and_never_over_the_users_own_switch(monkeypatch):
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    assert hold_composition_errors() and os.environ["HYDRA_FULL_ERROR"] == "1"
    release_composition_errors()  # the job or the sweeper starts: its workers do not inherit the switch
    assert "HYDRA_FULL_ERROR" not in os.environ
    monkeypatch.setenv("HYDRA_FULL_ERROR", "0")  # the user's "off": held all the same, and given back
    assert hold_composition_errors() and os.environ["HYDRA_FULL_ERROR"] == "1"
    release_composition_errors()
    assert os.environ["HYDRA_FULL_ERROR"] == "0"
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")  # the user's: Hydra's traceback, as they asked, and kept
    assert not hold_composition_errors()
    release_composition_errors()
    assert os.environ["HYDRA_FULL_ERROR"] == "1"


def test_an_error_that_names_no_key_is_left_in_hydras_words():
    """``+trainer.epochs=3`` (the key exists): Hydra's sentence names no override key to rewrite around."""
    assert composition_error(hydra_error("+trainer.epochs=3"), ["+trainer.epochs=3"]) is None
