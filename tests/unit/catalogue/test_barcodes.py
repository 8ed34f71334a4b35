"""Barcodes: EAN-13 and UPC-A check digits catch a misread or mistyped code; Code 128 is text."""

from __future__ import annotations

import pytest

from kiosk.catalogue.barcodes import CODE128, EAN13, UPCA, BarcodeError, parse, scanned_digits_problem


@pytest.mark.parametrize(
    ("code", "kind"),
    [("4006381333931", EAN13), ("5901234123457", EAN13), ("036000291452", UPCA), ("SHIRT-XL-42", CODE128)],
)
def test_valid_codes_are_told_apart_by_their_shape(code: str, kind: str) -> None:
    assert parse(f"  {code} ").kind == kind and parse(code).code == code


@pytest.mark.parametrize("code", ["4006381333932", "5901234123450", "036000291453"])
def test_a_wrong_check_digit_is_refused(code: str) -> None:
    with pytest.raises(BarcodeError, match="check digit is wrong"):
        parse(code)
    assert "check digit" in (scanned_digits_problem(code) or "")


def test_the_kind_chosen_is_checked() -> None:
    with pytest.raises(BarcodeError, match="EAN-13 barcode is 13 digits"):
        parse("036000291452", EAN13)
    with pytest.raises(BarcodeError, match="printable ASCII"):
        parse("café", CODE128)
    with pytest.raises(BarcodeError, match="at most 48"):
        parse("A" * 49)
    with pytest.raises(BarcodeError, match="empty"):
        parse("   ")


def test_a_good_code_has_no_scan_problem() -> None:
    assert scanned_digits_problem("4006381333931") is None and scanned_digits_problem("ABC") is None
