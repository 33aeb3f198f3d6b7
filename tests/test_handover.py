"""The shortcut of handover: a map or list reaches the program as the JSON text the Pulumi CLI
hands over would give it, without writing that text."""

from __future__ import annotations

import math
import random

from patching_components.config import StackConfig
from patching_components.config.handover import config_text, handed_over, program_value
from patching_components.config.stack_yaml import parse

SCALARS = ["", "null", "x", "9", "true", 0, 7, -3, 9.0, 2.5, 1e300, math.inf, True, False, None, "é😀", '{"a": 1}']


def random_value(rng: random.Random, depth: int = 0):
    if depth > 3 or rng.random() < 0.4:
        return rng.choice(SCALARS)
    if rng.random() < 0.5:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {str(rng.choice(SCALARS)): random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def test_every_value_of_every_key_reads_as_through_the_json_text():
    keys = [f.alias for f in StackConfig.model_fields.values()] + ["unknownKey"]
    rng = random.Random(8)
    for _ in range(3000):
        key, value = rng.choice(keys), random_value(rng)
        assert handed_over(key, value) == program_value(key, config_text(value)), (key, value)


def test_a_parsed_stack_file_value_too():
    value = parse("a: [1, 2.0, 0x1f, .inf, ~, yes, '9', {b: [true]}]\n").value
    assert handed_over("tags", value) == program_value("tags", config_text(value)) == value
    assert handed_over("customer", value) == config_text(value)  # a text setting takes the JSON text
