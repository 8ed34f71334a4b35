"""Which passwords are accepted: the common and trivially guessable ones are refused, saying why."""

from __future__ import annotations

import pytest

from kiosk.bench.stack import PASSWORD as BENCH_PASSWORD
from kiosk.cli.demo import LOGINS
from kiosk.people.passwords import password_problem
from tests.kiosk_support import PASSWORD


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password", "This is a top-10 common password."),
        ("12345678", "This is a top-10 common password."),
        (" " * 8, 'Repeats like "aaa" are easy to guess.'),
        ("qwertyuiop", "This is a top-100 common password."),
        ("P@ssw0rd", "This is similar to a commonly used password."),
        ("abcdefgh", 'Sequences like "abc" or "6543" are easy to guess.'),
        ("dana1234", "Someone with a copy of the password list would find it within"),
    ],
)
def test_guessable_passwords_are_refused_saying_why(password: str, why: str) -> None:
    problem = password_problem(password, "dana")
    assert problem is not None
    assert problem.startswith("Too easy to guess. ") and why in problem
    assert "Add another word or two." in problem  # and what helps


def test_a_few_unrelated_words_pass() -> None:
    for password in ("correct horse battery", "blue coffee mug", "tablet till seven"):
        assert password_problem(password, "dana") is None


def test_length_limits_come_first() -> None:
    assert password_problem("short", "dana") == "The password must be at least 8 characters."
    assert password_problem("x" * 129, "dana") == "The password can be at most 128 characters."


def test_the_demo_the_bench_and_the_tests_use_passwords_the_rule_accepts() -> None:
    for username, password, _admin in LOGINS:
        assert password_problem(password, username) is None
    assert password_problem(BENCH_PASSWORD, "till-0001-1") is None
    for username in ("cashier", "boss", "floater", "tablet0"):
        assert password_problem(PASSWORD, username) is None
