"""Go's parsers for flag values, with Go's own error texts: what a wrong ``--flag=value`` answers.

kubectl's flags are pflag values whose ``Set`` calls Go's standard library:
``strconv.ParseBool`` (bool), ``strconv.ParseInt(s, 0, 64|32)`` (int, int32),
``time.ParseDuration`` (duration), ``encoding/csv`` (stringSlice).  A learner
who types ``--replicas=3.5`` or ``--timeout=5`` sees those functions' errors,
so they are reproduced here rule for rule: base prefixes and ``_``
separators of ``ParseInt``, ``value out of range``, the units of
``ParseDuration``, the 1-based byte columns of a CSV parse error, and
``strconv.Quote``'s escaping of the text inside the message.

Sources: ``src/strconv/atoi.go``, ``src/strconv/atob.go``,
``src/strconv/quote.go``, ``src/time/format.go`` (``ParseDuration``,
``quote``), ``src/encoding/csv/reader.go`` (Go 1.23, as kubectl v1.32 is
built with).

Simplified: ``strconv.Quote`` decides printability with Python's Unicode
categories, which can differ from Go's tables for the newest code points.
"""

from __future__ import annotations

import unicodedata

__all__ = ["GoError", "go_quote", "parse_bool", "parse_duration", "parse_int", "read_csv_record"]


class GoError(ValueError):
    """A Go ``error``: ``str()`` is exactly what Go's ``err.Error()`` returns."""


_BOOLS = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}


def _go_bytes(s: str) -> bytes:
    """The bytes Go would hold for ``s`` (lone surrogates are the undecodable bytes of a command line)."""
    return s.encode("utf-8", "surrogateescape") if _has_escaped(s) else s.encode("utf-8", "replace")


def _has_escaped(s: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in s)


def go_quote(s: str) -> str:
    """``strconv.Quote`` (and ``%q`` of a string): printable runes as they are, the rest escaped."""
    out = ['"']
    data = _go_bytes(s)
    text = data.decode("utf-8", "surrogateescape")
    for ch in text:
        code = ord(ch)
        if "\udc80" <= ch <= "\udcff":
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == " " or (code >= 0x20 and code != 0x7F and unicodedata.category(ch)[0] in "LMNPS"):
            out.append(ch)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}" if code >= 0x80 else f"\\x{code:02x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote_rune(code: int) -> str:
    """``%q`` of a byte or rune: ``'z'``, ``'\\x00'``."""
    ch = chr(code)
    if ch == "'":
        return "'\\''"
    if ch == "\\":
        return "'\\\\'"
    if ch in _ESCAPES:
        return f"'{_ESCAPES[ch]}'"
    if ch == " " or (code >= 0x20 and code != 0x7F and unicodedata.category(ch)[0] in "LMNPS"):
        return f"'{ch}'"
    return f"'\\x{code:02x}'" if code < 0x80 else f"'\\u{code:04x}'"


def _num_error(func: str, num: str, err: str) -> GoError:
    """``strconv.NumError.Error()``."""
    return GoError(f"strconv.{func}: parsing {go_quote(num)}: {err}")


def parse_bool(s: str) -> bool:
    """``strconv.ParseBool``."""
    if s in _BOOLS:
        return _BOOLS[s]
    raise _num_error("ParseBool", s, "invalid syntax")


def _underscore_ok(s: str) -> bool:
    """``strconv.underscoreOK``: ``_`` only between digits (or after a base prefix)."""
    saw, i = "^", 0
    if s[:1] in ("-", "+"):
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i, saw, hexa = 2, "0", s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
        i += 1
    return saw != "_"


def _parse_uint(s: str, bits: int) -> tuple[int, str]:
    """``strconv.ParseUint(s, 0, bits)``: the value and "" or the error ("invalid syntax", "value out of
    range")."""
    if not s:
        return 0, "invalid syntax"
    s0, base = s, 10
    if s[0] == "0":
        if len(s) >= 3 and s[1].lower() == "b":
            base, s = 2, s[2:]
        elif len(s) >= 3 and s[1].lower() == "o":
            base, s = 8, s[2:]
        elif len(s) >= 3 and s[1].lower() == "x":
            base, s = 16, s[2:]
        else:
            base, s = 8, s[1:]
    max_val = (1 << bits) - 1
    cutoff = (1 << 64) // base + 1
    n, underscores = 0, False
    for c in s:
        if c == "_":
            underscores = True
            continue
        if "0" <= c <= "9":
            d = ord(c) - 48
        elif "a" <= c.lower() <= "z" and c.isascii():
            d = ord(c.lower()) - 87
        else:
            return 0, "invalid syntax"
        if d >= base:
            return 0, "invalid syntax"
        if n >= cutoff:
            return max_val, "value out of range"
        n = n * base + d
        if n > max_val:
            return max_val, "value out of range"
    if underscores and not _underscore_ok(s0):
        return 0, "invalid syntax"
    return n, ""


def parse_int(s: str, bits: int = 64) -> int:
    """``strconv.ParseInt(s, 0, bits)``: decimal, ``0x``/``0o``/``0b``/leading-``0`` octal, ``_``
    separators."""
    if not s:
        raise _num_error("ParseInt", s, "invalid syntax")
    body, neg = s, False
    if s[0] == "+":
        body = s[1:]
    elif s[0] == "-":
        body, neg = s[1:], True
    un, err = _parse_uint(body, bits)
    if err == "invalid syntax":
        raise _num_error("ParseInt", s, err)
    cutoff = 1 << (bits - 1)
    if (not neg and un >= cutoff) or (neg and un > cutoff):
        raise _num_error("ParseInt", s, "value out of range")
    return -un if neg else un


def atoi(s: str) -> int:
    """``strconv.Atoi``: base 10 only, an optional sign, no separators."""
    body = s[1:] if s[:1] in ("+", "-") else s
    if not body or not body.isascii() or not body.isdigit():
        raise _num_error("Atoi", s, "invalid syntax")
    value = int(s)
    if not -(1 << 63) <= value < (1 << 63):
        raise _num_error("Atoi", s, "value out of range")
    return value


# --- time.ParseDuration -------------------------------------------------------------------------------------

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_UNIT_BYTES = {k.encode(): v for k, v in _UNITS.items()}


def _time_quote(data: bytes) -> str:
    """``time.quote``: ASCII as is (``"`` and ``\\`` escaped), every other byte as ``\\xNN``."""
    out = ['"']
    for b in data:
        if b >= 0x80 or b < 0x20:
            out.append(f"\\x{b:02x}")
        else:
            ch = chr(b)
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


def parse_duration(text: str) -> float:
    """``time.ParseDuration``: seconds (``1h30m``, ``1.5s``, ``-2m``, ``300ms``); a unit on every number."""
    orig = _go_bytes(text)
    s = orig
    invalid = GoError(f"time: invalid duration {_time_quote(orig)}")
    neg = False
    if s[:1] in (b"-", b"+"):
        neg, s = s[:1] == b"-", s[1:]
    if s == b"0":
        return 0.0
    if not s:
        raise invalid
    total = 0
    while s:
        if not (s[:1] == b"." or b"0" <= s[:1] <= b"9"):
            raise invalid
        i, v = 0, 0
        while i < len(s) and 48 <= s[i] <= 57:
            if v > (1 << 63) // 10:
                raise invalid
            v = v * 10 + s[i] - 48
            if v > 1 << 63:
                raise invalid
            i += 1
        pre, s = i > 0, s[i:]
        f, scale, post = 0, 1.0, False
        if s[:1] == b".":
            s = s[1:]
            i, overflow = 0, False
            while i < len(s) and 48 <= s[i] <= 57:
                if not overflow:
                    if f > ((1 << 63) - 1) // 10:
                        overflow = True
                    else:
                        f, scale = f * 10 + s[i] - 48, scale * 10
                i += 1
            post, s = i > 0, s[i:]
        if not pre and not post:
            raise invalid
        i = 0
        while i < len(s) and not (s[i] == 46 or 48 <= s[i] <= 57):
            i += 1
        if i == 0:
            raise GoError(f"time: missing unit in duration {_time_quote(orig)}")
        unit_text, s = s[:i], s[i:]
        unit = _UNIT_BYTES.get(unit_text)
        if unit is None:
            raise GoError(f"time: unknown unit {_time_quote(unit_text)} in duration {_time_quote(orig)}")
        if v > (1 << 63) // unit:
            raise invalid
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > 1 << 63:
                raise invalid
        total += v
        if total > 1 << 63:
            raise invalid
    if not neg and total > (1 << 63) - 1:
        raise invalid
    return (-total if neg else total) / 1e9


# --- encoding/csv: one record, as pflag's readAsCSV reads a stringSlice value -------------------------------

_BARE_QUOTE = 'bare " in non-quoted-field'
_QUOTE = 'extraneous or missing " in quoted-field'


def _csv_error(start: int, line: int, col: int, err: str) -> GoError:
    if start != line:
        return GoError(f"record on line {start}; parse error on line {line}, column {col}: {err}")
    return GoError(f"parse error on line {line}, column {col}: {err}")


def read_csv_record(text: str) -> list[str]:
    """``csv.NewReader(strings.NewReader(text)).Read()``: the first record; ``""`` is no values at all."""
    if text == "":
        return []
    raw = _go_bytes(text)
    lines = raw.splitlines(keepends=True)
    # readLine: the last line may lack "\n"; "\r\n" becomes "\n"; a lone trailing "\r" at EOF is dropped.
    normal: list[bytes] = []
    for ln in lines:
        if ln.endswith(b"\r\n"):
            ln = ln[:-2] + b"\n"
        elif ln.endswith(b"\r") and ln is lines[-1]:
            ln = ln[:-1]
        normal.append(ln)
    index = 0
    num_line = 0
    line = b""
    while index < len(normal):  # skip empty lines
        line = normal[index]
        index += 1
        num_line += 1
        if line not in (b"\n", b""):
            break
    else:
        raise GoError("EOF")
    start = num_line
    fields: list[bytes] = []
    buf = b""
    col = 1
    while True:
        if not line.startswith(b'"'):
            i = line.find(b",")
            field = line[:i] if i >= 0 else line.removesuffix(b"\n")
            j = field.find(b'"')
            if j >= 0:
                raise _csv_error(start, num_line, col + j, _BARE_QUOTE)
            fields.append(field)
            if i >= 0:
                line, col = line[i + 1 :], col + i + 1
                continue
            break
        line, col = line[1:], col + 1
        buf = b""
        while True:
            i = line.find(b'"')
            if i >= 0:
                buf += line[:i]
                line, col = line[i + 1 :], col + i + 1
                if line[:1] == b'"':
                    buf += b'"'
                    line, col = line[1:], col + 1
                    continue
                if line[:1] == b",":
                    line, col = line[1:], col + 1
                    fields.append(buf)
                    break
                if line in (b"\n", b""):
                    fields.append(buf)
                    line = b""
                    break
                raise _csv_error(start, num_line, col - 1, _QUOTE)
            if line:
                buf += line
                col += len(line)
                if index < len(normal):
                    line = normal[index]
                    index += 1
                    num_line += 1
                    col = 1
                    continue
                line = b""
                continue
            raise _csv_error(start, num_line, col, _QUOTE)
        if line == b"":
            break
    return [f.decode("utf-8", "surrogateescape") for f in fields]
