"""Which new passwords the kiosk accepts: long enough, and not easy to guess.

Every password set anywhere (the users admin's Add a person and New password, `kiosk create-user`)
goes through `password_problem`. The strength is zxcvbn's estimate (the Python port of Dropbox's
estimator, on PyPI as `zxcvbn`): it knows the most common passwords, English words and names,
keyboard walks (`qwertyuiop`), sequences (`12345678`, `abcdefgh`), repeats (eight spaces), dates
and l33t spellings, and the person's own username. A password is accepted when zxcvbn's score is at
least MIN_SCORE = 3, i.e. about 10^8 guesses or more: the login limit makes that hopeless online,
and it holds a while even against someone with a stolen copy of the (PBKDF2-hashed) password list.
A few unrelated words ("correct horse battery") pass easily; the refusal says why and what helps.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128  # Piccolo's own limit
MIN_SCORE = 3
# Words a guesser would try first at this kiosk, besides the person's username.
KIOSK_WORDS = ("kiosk", "till", "cashier", "admin", "shop", "store", "stripe", "pos")


def password_problem(password: str, username: str = "") -> str | None:
    """Why this password cannot be used (one sentence or three, for the person choosing it), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must be at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password can be at most {MAX_PASSWORD_LENGTH} characters."
    if password.startswith("pbkdf2_sha256"):
        return "Choose another password."  # Piccolo refuses what looks like a stored hash
    words = [word for word in (username.strip(), *KIOSK_WORDS) if word]
    estimate = zxcvbn(password, user_inputs=words)
    if int(estimate["score"]) >= MIN_SCORE:
        return None
    feedback = estimate["feedback"]
    warning = str(feedback["warning"] or "")
    if not warning:
        found_in = estimate["crack_times_display"]["offline_slow_hashing_1e4_per_second"]
        warning = f"Someone with a copy of the password list would find it within {found_in}."
    advice = " ".join(str(tip) for tip in feedback["suggestions"]) or "Add another word or two."
    return f"Too easy to guess. {warning} {advice}"
