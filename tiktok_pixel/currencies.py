"""The currencies TikTok accepts in ``currency`` (ISO 4217, uppercase).

Source: TikTok's "About Parameters" help page (zh version, 2025), 61 codes. TikTok rejects or
ignores other codes, so a value in an unsupported currency cannot be optimised on.
"""

from __future__ import annotations

SUPPORTED_CURRENCIES: frozenset[str] = frozenset(
    """
    AED ARS AUD BDT BHD BIF BOB BRL CAD CHF CLP CNY COP CRC CZK DKK DZD EGP EUR GBP GTQ HKD HNL HUF
    IDR ILS INR ISK JPY KES KHR KRW KWD KZT MAD MOP MXN MYR NGN NIO NOK NZD OMR PEN PHP PKR PLN PYG
    QAR RON RUB SAR SEK SGD THB TRY TWD UAH USD VES VND ZAR
    """.split()
)


def normalise_currency(code: object) -> str | None:
    """Return ``code`` trimmed and uppercased if TikTok supports it, else ``None``."""
    if not isinstance(code, str):
        return None
    code = code.strip().upper()
    return code if code in SUPPORTED_CURRENCIES else None
