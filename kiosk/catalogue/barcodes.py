"""Barcodes an item may carry: EAN-13, UPC-A and Code 128.

EAN-13 and UPC-A are digits with a check digit (GS1's mod-10: weights 1 and 3 from the left for
EAN-13, 3 and 1 for UPC-A — the same sum read from the right), so a mistyped or misread code is
caught. Code 128 carries any printable ASCII; its check symbol is in the bars, not in the text a
scanner sends, so only its characters and length are checked. A scanner sends the code as keys
followed by Enter; `normalize` takes what it (or a person) typed.
"""

from __future__ import annotations

from dataclasses import dataclass

EAN13, UPCA, CODE128 = "ean13", "upca", "code128"
KINDS = {EAN13: "EAN-13", UPCA: "UPC-A", CODE128: "Code 128"}
CODE128_MAX = 48  # what fits a shelf label; Code 128 itself has no fixed limit


class BarcodeError(ValueError):
    """Not a valid barcode of its kind; the message says why."""


@dataclass(frozen=True)
class Barcode:
    kind: str
    code: str


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of the digits before it (EAN-8/13, UPC-A, GTIN-14)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize(text: str) -> str:
    """What was scanned or typed, without surrounding blanks."""
    return text.strip()


def _gs1(code: str, length: int, name: str) -> Barcode:
    if not code.isdigit() or not code.isascii() or len(code) != length:
        raise BarcodeError(f"An {name} barcode is {length} digits.")
    if gs1_check_digit(code[:-1]) != int(code[-1]):
        raise BarcodeError(f"{code} is not a valid {name} barcode: its check digit is wrong (a typo or a misread).")
    return Barcode(EAN13 if length == 13 else UPCA, code)


def parse(text: str, kind: str = "") -> Barcode:
    """A barcode of the given kind, or of the kind its shape says when none is given (12 digits:
    UPC-A, 13 digits: EAN-13, anything else: Code 128). BarcodeError if it is not valid."""
    code = normalize(text)
    if not code:
        raise BarcodeError("The barcode is empty.")
    if not kind:
        kind = {12: UPCA, 13: EAN13}.get(len(code), CODE128) if code.isdigit() else CODE128
    if kind == EAN13:
        return _gs1(code, 13, "EAN-13")
    if kind == UPCA:
        return _gs1(code, 12, "UPC-A")
    if kind != CODE128:
        raise BarcodeError("Choose the barcode's kind: EAN-13, UPC-A or Code 128.")
    if len(code) > CODE128_MAX:
        raise BarcodeError(f"A Code 128 barcode here is at most {CODE128_MAX} characters.")
    if not all(32 <= ord(c) <= 126 for c in code):
        raise BarcodeError("A Code 128 barcode has only printable ASCII characters (letters, digits, signs).")
    return Barcode(CODE128, code)


def scanned_digits_problem(code: str) -> str | None:
    """For a code not found at the till: if it looks like an EAN-13/UPC-A with a wrong check
    digit, say so (the scan was misread or the label is bad)."""
    if code.isdigit() and code.isascii() and len(code) in (12, 13):
        try:
            _gs1(code, len(code), "EAN-13" if len(code) == 13 else "UPC-A")
        except BarcodeError as exc:
            return str(exc)
    return None
