"""The operator mistyping a port or a worker count gets one line saying what is expected."""

from __future__ import annotations

import pytest

from kiosk.cli.main import build_parser


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["serve", "--port", "70000"], "expected a port from 0 to 65535, not '70000'"),
        (["demo", "--simulator-port", "x"], "expected a port from 0 to 65535, not 'x'"),
        (["serve", "--workers", "0"], "expected a whole number of at least 1, not '0'"),
    ],
)
def test_numbers_out_of_range_are_refused(argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        build_parser().parse_args(argv)
    assert refused.value.code == 2 and said in capsys.readouterr().err


def test_numbers_in_range_are_taken() -> None:
    args = build_parser().parse_args(["serve", "--port", "0", "--workers", "4"])
    assert (args.port, args.workers) == (0, 4)
