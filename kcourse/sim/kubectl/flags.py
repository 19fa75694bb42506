"""kubectl's command line as cobra and pflag read it: find the command, then parse every flag, typed.

A kubectl command line is read in two steps before anything runs, and a
mistake in either step is answered before any request is sent:

1. **cobra's ``Find``** walks the command tree (``create`` → ``deployment``,
   aliases such as ``deploy``) over the words that are not flags
   (``stripFlags``: a non-bool ``--flag`` or ``-f`` swallows the next word).
   Words left over at the root are an ``unknown command``; a flag before
   the command name is kubectl's plugin error ``flags cannot be placed
   before plugin name``.
2. **pflag's ``Parse``** reads the found command's flags (its own, and the
   global ones of ``kubectl options``) from left to right:
   ``--name=value``, ``--name value``, ``-n value``, ``-nvalue``,
   ``-n=value``, bundled bools (``-it``), ``--`` ending the flags, ``_``
   read as ``-`` (``WordSepNormalizeFunc``).  Each value is converted by its
   type's ``Set`` at once (:mod:`.goparse`), so the first wrong value stops
   the parse with pflag's ``invalid argument "abc" for "--port" flag: …``.

Every error of these steps is a :class:`FlagError` whose text is what
kubectl prints after ``error: ``; a parse error carries kubectl's
``See 'kubectl get --help' for usage.`` (its templater's
``FlagErrorFunc``).  The flags of each command come from
:mod:`.flagdefs`, the v1.32 binary's own definitions.

Sources: ``spf13/pflag`` ``flag.go`` (``parseArgs``, ``parseLongArg``,
``parseSingleShortArg``, ``Set``), ``bool.go``, ``int.go``, ``int32.go``,
``duration.go``, ``string_slice.go``, ``string_array.go``;
``spf13/cobra`` ``command.go`` (``Find``, ``stripFlags``, ``legacyArgs``);
``staging/src/k8s.io/kubectl/pkg/cmd/cmd.go`` (plugin handling) and
``pkg/util/templates/templater.go`` (``FlagErrorFunc``).

Simplified: ``--help`` prints a short usage line instead of cobra's full
help; deprecated and hidden flags are not known; klog's ``-v`` is parsed but
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .flagdefs import TREE
from .goparse import GoError, go_quote, go_quote_rune, parse_bool, parse_duration, parse_int, read_csv_record

__all__ = ["ROOT", "Command", "Flag", "FlagError", "Parsed", "find", "parse_command_line"]


class FlagError(Exception):
    """A command line kubectl refuses before running anything; ``str()`` follows ``error: ``."""

    def __init__(self, message: str, usage: str = ""):
        super().__init__(message)
        self.message, self.usage = message, usage


@dataclass(frozen=True)
class Flag:
    """One pflag flag: ``-o, --output`` of type ``string`` defaulting to ``""``."""

    name: str
    shorthand: str
    type: str
    default_text: str = ""
    no_opt: str = ""  # pflag's NoOptDefVal: the value of ``--flag`` given alone

    @property
    def display(self) -> str:
        """How pflag names the flag in an error: ``-o, --output`` or ``--port``."""
        return f"-{self.shorthand}, --{self.name}" if self.shorthand else f"--{self.name}"

    @property
    def is_list(self) -> bool:
        return self.type in ("stringSlice", "stringArray")

    def convert(self, text: str) -> Any:
        """The value's ``Set``: a Python value, or :class:`GoError` with the Go library's message."""
        t = self.type
        if t == "bool":
            return parse_bool(text)
        if t == "int":
            return parse_int(text, 64)
        if t == "int32":
            return parse_int(text, 32)
        if t == "duration":
            return parse_duration(text)
        if t == "stringSlice":
            return read_csv_record(text)
        if t == "stringArray":
            return [text]
        if t == "klogDuration":  # a Go flag.Duration: Go's flag package hides ParseDuration's message
            try:
                return parse_duration(text)
            except GoError:
                raise GoError("parse error") from None
        if t == "vmodule":
            return _vmodule(text)
        if t == "keyValue":
            return _key_values(text)
        if t == "mapStringString":
            return _map_string_string(text)
        return text

    def default(self) -> Any:
        text = self.default_text
        if self.is_list:
            return []
        if self.type == "bool":
            return text == "true"
        if self.type in ("int", "int32"):
            return int(text or 0)
        if self.type in ("duration", "klogDuration"):
            return parse_duration(text or "0")
        return text


def _vmodule(text: str) -> str:
    """klog's ``moduleSpec.Set``: ``pattern=N`` pairs."""
    for pat in text.split(","):
        if not pat:
            continue
        parts = pat.split("=")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise GoError("syntax error: expect comma-separated list of filename=N")
        try:
            level = parse_int(parts[1], 32) if parts[1].lstrip("+-").isdigit() else None
        except GoError:
            level = None
        if level is None:
            raise GoError("syntax error: expect comma-separated list of filename=N")
        if level < 0:
            raise GoError("negative value for vmodule level")
    return text


def _key_values(text: str) -> dict[str, str]:
    """pflag's ``stringToString.Set``: ``k=v`` pairs, CSV when there are several."""
    n = text.count("=")
    if n == 0:
        raise GoError(f"{text} must be formatted as key=value")
    pairs = [text.strip('"')] if n == 1 else read_csv_record(text)
    out = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq:
            raise GoError(f"{pair} must be formatted as key=value")
        out[key] = value
    return out


def _map_string_string(text: str) -> dict[str, str]:
    """component-base's ``MapStringString.Set``: ``k=v`` pairs split on commas."""
    out = {}
    for pair in text.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, eq, value = pair.partition("=")
        if not eq:
            raise GoError("malformed pair, expect string=string")
        out[key.strip()] = value.strip()
    return out


def _flag(spec: str) -> Flag:
    short, name, type_, *rest = spec.split(" ", 3)
    default = rest[0] if rest else ""
    no_opt = ""
    if "=" in type_:
        type_, no_opt = type_.split("=", 1)
    if type_ == "bool":
        no_opt = "true"
    return Flag(name, "" if short == "-" else short, type_, default, no_opt)


@dataclass
class Command:
    """A node of kubectl's cobra tree: ``kubectl create deployment`` with its aliases and flags."""

    name: str
    path: str
    aliases: tuple[str, ...] = ()
    own: tuple[Flag, ...] = ()
    children: dict[str, Command] = field(default_factory=dict)
    parent: Command | None = None

    def flags(self) -> dict[str, Flag]:
        """The command's flags and kubectl's global ones (the root's persistent flags)."""
        out = {f.name: f for f in GLOBAL}
        out.update({f.name: f for f in self.own})
        out["help"] = HELP
        return out

    def shorthands(self) -> dict[str, Flag]:
        return {f.shorthand: f for f in self.flags().values() if f.shorthand}

    def find_child(self, word: str) -> Command | None:
        """cobra's ``findNext``: a subcommand by name or alias."""
        if word in self.children:
            return self.children[word]
        for child in self.children.values():
            if word in child.aliases:
                return child
        return None

    @property
    def command_path(self) -> str:
        """``kubectl create deployment``: cobra's ``CommandPath`` (names, never aliases)."""
        return f"kubectl {self.path}" if self.path else "kubectl"

    def usage_hint(self) -> str:
        """What kubectl's ``FlagErrorFunc`` appends to a flag error."""
        return f"See '{self.command_path} --help' for usage."


HELP = Flag("help", "h", "bool", "false", "true")
GLOBAL = tuple(_flag(s) for s in TREE["*"][1])


def _build() -> Command:
    root = Command("kubectl", "")
    for path in sorted((p for p in TREE if p != "*"), key=lambda p: p.count(" ")):
        aliases, specs = TREE[path]
        *parents, name = path.split(" ")
        node = root
        for p in parents:
            node = node.children[p]
        node.children[name] = Command(name, path, aliases, tuple(_flag(s) for s in specs), parent=node)
    return root


ROOT = _build()


def _strip_flags(args: list[str], cmd: Command) -> list[str]:
    """cobra's ``stripFlags``: the words that may name subcommands (a non-bool flag takes the next word)."""
    flags = cmd.flags()
    shorts = cmd.shorthands()
    words: list[str] = []
    i = 0
    while i < len(args):
        s = args[i]
        i += 1
        if s == "--":
            break
        takes_next = False
        if s.startswith("--") and "=" not in s:
            f = flags.get(s[2:].replace("_", "-"))
            takes_next = not (f and f.no_opt)
        elif s.startswith("-") and "=" not in s and len(s) == 2:
            f = shorts.get(s[1:])
            takes_next = not (f and f.no_opt)
        if takes_next:
            if len(args) - i <= 1:
                break
            i += 1
            continue
        if s and not s.startswith("-"):
            words.append(s)
    return words


def _minus_first(args: list[str], word: str, cmd: Command) -> list[str]:
    """cobra's ``argsMinusFirstX``: drop the first ``word`` that is not a flag or a flag's value."""
    flags, shorts = cmd.flags(), cmd.shorthands()
    pos = 0
    while pos < len(args):
        s = args[pos]
        if s == "--":
            break
        if s.startswith("--") and "=" not in s:
            f = flags.get(s[2:].replace("_", "-"))
            if not (f and f.no_opt):
                pos += 2
                continue
        elif s.startswith("-") and "=" not in s and len(s) == 2:
            f = shorts.get(s[1:])
            if not (f and f.no_opt):
                pos += 2
                continue
        elif not s.startswith("-") and s == word:
            return args[:pos] + args[pos + 1 :]
        pos += 1
    return args


def find(argv: list[str]) -> tuple[Command, list[str], list[str]]:
    """cobra's ``Find``: the command, the arguments left for its flag parsing, and the subcommand words
    used."""
    cmd, args, used = ROOT, list(argv), []
    while True:
        words = _strip_flags(args, cmd)
        if not words:
            break
        child = cmd.find_child(words[0])
        if child is None:
            break
        args = _minus_first(args, words[0], cmd)
        used.append(words[0])
        cmd = child
    if cmd is ROOT:
        words = _strip_flags(args, cmd)
        if words:
            # kubectl looks for a plugin first: a flag before any word is its error (HandlePluginCommand).
            if args[0].startswith("-"):
                raise FlagError(f"flags cannot be placed before plugin name: {args[0]}", "plugin")
            raise FlagError(words[0], "unknown-command")
    return cmd, args, used


@dataclass
class Parsed:
    """A parsed command line: the command, its positional arguments and the flags the user set (typed)."""

    command: Command
    positional: list[str]
    values: dict[str, Any]
    typed_words: list[str] = field(default_factory=list)  # subcommand words as typed (aliases kept)
    dash_at: int = -1  # how many positional arguments came before ``--``


def parse_flags(cmd: Command, args: list[str]) -> tuple[list[str], dict[str, Any], int]:
    """pflag's ``parseArgs`` over ``args``: positional arguments, the flags set, and ``ArgsLenAtDash``."""
    flags = cmd.flags()
    shorts = cmd.shorthands()
    values: dict[str, Any] = {}
    positional: list[str] = []
    dash_at = -1
    hint = cmd.usage_hint()

    def set_value(flag: Flag, text: str) -> None:
        try:
            value = flag.convert(text)
        except GoError as e:
            raise FlagError(
                f"invalid argument {go_quote(text)} for {go_quote(flag.display)} flag: {e}", hint
            ) from None
        if flag.is_list and flag.name in values:
            values[flag.name].extend(value)
        else:
            values[flag.name] = value

    i = 0
    while i < len(args):
        s = args[i]
        i += 1
        if len(s) < 2 or s[0] != "-":
            positional.append(s)
            continue
        if s[1] == "-":
            if len(s) == 2:
                dash_at = len(positional)
                positional.extend(args[i:])
                break
            name = s[2:]
            if name[0] in "-=":
                raise FlagError(f"bad flag syntax: {s}", hint)
            name, eq, value = name.partition("=")
            flag = flags.get(name.replace("_", "-"))
            if flag is None:
                raise FlagError(f"unknown flag: --{name}", hint)
            if eq:
                pass
            elif flag.no_opt:
                value = flag.no_opt
            elif i < len(args):
                value = args[i]
                i += 1
            else:
                raise FlagError(f"flag needs an argument: {s}", hint)
            set_value(flag, value)
            continue
        shorthands = s[1:]
        consumed = False  # pflag hands every shorthand the same argument list (parseShortArg)
        while shorthands:
            c = shorthands[0]
            flag = shorts.get(c)
            # pflag reads shorthands byte by byte: a non-ASCII letter is reported as its first UTF-8 byte
            code = ord(c) if c.isascii() else c.encode("utf-8", "surrogateescape")[0]
            if flag is None:
                raise FlagError(f"unknown shorthand flag: {go_quote_rune(code)} in -{shorthands}", hint)
            if len(shorthands) > 2 and shorthands[1] == "=":
                value, shorthands = shorthands[2:], ""
            elif flag.no_opt:
                value, shorthands = flag.no_opt, shorthands[1:]
            elif len(shorthands) > 1:
                value, shorthands = shorthands[1:], ""
            elif i < len(args):
                value, shorthands, consumed = args[i], "", True
            else:
                raise FlagError(f"flag needs an argument: {go_quote_rune(code)} in -{shorthands}", hint)
            set_value(flag, value)
        if consumed:
            i += 1
    return positional, values, dash_at


def parse_command_line(argv: list[str]) -> Parsed:
    """Find the command and parse all its flags; :class:`FlagError` for the first mistake."""
    cmd, args, used = find(argv)
    positional, values, dash_at = parse_flags(cmd, args)
    return Parsed(cmd, positional, values, used, dash_at)
