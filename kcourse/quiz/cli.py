"""``kcourse quiz …`` and ``kcourse progress``: the knowledge check in a terminal.

``quiz take`` reads one line per answer from stdin, so it works in a pipe as
well as at a prompt: letters pick options (``b``; ``a c`` for several; ``1b
2a`` to match; ``c a b`` to order), ``?`` shows a hint, ``!`` moves on.
The rules are the widget's (the session's): a wrong answer may be tried
again until the explanation shows (after a second wrong answer), and an
invalid line is explained and asked again without counting.  A progress
file that cannot be used is reported in one line, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from typing import Any, TextIO

from kcourse.quiz.render import LETTERS

__all__ = ["parse_answer", "register"]


def _letter(token: str, choices: tuple[str, ...]) -> str | None:
    token = token.strip().rstrip(")").lower()
    if len(token) == 1 and token in LETTERS[: len(choices)]:
        return choices[LETTERS.index(token)]
    if token.isdigit() and 1 <= int(token) <= len(choices):
        return choices[int(token) - 1]
    return None


def parse_answer(q: Any, lay: Any, line: str) -> Any:
    """Turn one typed line into the answer shape :func:`grade` takes; unparsable text is passed on
    unchanged so that grading explains what is wrong."""
    line = line.strip()
    if q.type == "true_false":
        return {
            "t": True,
            "true": True,
            "y": True,
            "yes": True,
            "f": False,
            "false": False,
            "n": False,
            "no": False,
        }.get(line.lower(), line)
    if q.type == "multiple":
        picked = [_letter(t, lay.options) for t in re.split(r"[\s,]+", line) if t]
        return [p for p in picked if p] if picked and all(picked) else line
    if lay.options:
        return _letter(line, lay.options) or line
    if q.type == "ordering":
        order = [_letter(t, lay.items) for t in re.split(r"[\s,]+", line) if t]
        return order if order and all(order) else line
    if q.type == "matching":
        out = {}
        for left, right in re.findall(r"(\d+)\s*[=:-]?\s*([a-z])", line.lower()):
            i = int(left) - 1
            if 0 <= i < len(lay.lefts):
                out[lay.lefts[i]] = _letter(right, lay.rights)
        return out or line
    return line


def _take(args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    from kcourse.quiz import BankError, QuizSession, load
    from kcourse.quiz.render import question_text

    stdin, out = stdin or sys.stdin, out or sys.stdout
    try:
        session = QuizSession(load(args.chapter), section=args.section, seed=args.seed)
    except (BankError, KeyError) as exc:
        print(str(exc).strip("'\""), file=sys.stderr)
        return 2
    bank = session.bank
    print(f"Knowledge check {bank.chapter}: {bank.title} — {len(session.questions)} questions", file=out)
    print("Answer with letters (a, or a c for several), ? for a hint, ! to skip.", file=out)
    for n, q in enumerate(session.questions, 1):
        print("\n" + question_text(q, n, session.seed), file=out)
        if session.attempts_left(q.id) == 0:
            print("No attempts left.", file=out)
            continue
        problem = session.unavailable(q.id) if q.type == "simulation" else None
        if problem:
            print(problem + " (skipped)", file=out)
            continue
        while True:
            print("> ", end="", file=out, flush=True)
            line = stdin.readline()
            if not line:
                print("\n(end of input)", file=out)
                return _finish(session, out)
            if line.strip() == "!":
                break
            if line.strip() == "?":
                print("Hint: " + (session.hint(q.id) or "no more hints."), file=out)
                continue
            fb = session.check(q.id, parse_answer(q, session.layout(q), line))
            if not fb.valid:
                print(fb.message, "(not counted; try again)", file=out)
                if session.attempts_left(q.id) == 0:
                    break
                continue
            print(f"{fb.message} {fb.score:g} / {fb.points:g}", file=out)
            for text in fb.option_feedback:
                print("  " + text, file=out)
            if not fb.correct:
                for _, right, note in fb.items:
                    print(f"  {'✔' if right else '✘'} {note}", file=out)
            if fb.outcome:
                print(fb.outcome, file=out)
            if fb.key and not fb.correct:
                print("Answer: " + fb.key, file=out)
            if fb.explanation:
                print("Explanation: " + fb.explanation, file=out)
            if fb.correct or fb.explanation or fb.key or session.attempts_left(q.id) == 0:
                break
            print("Try again (? for a hint, ! to move on).", file=out)
    return _finish(session, out)


def _finish(session: Any, out: TextIO) -> int:
    earned, possible = session.score()
    print(f"\nScore: {earned:g} / {possible:g} points", file=out)
    if session.problem:
        print(f"kcourse: {session.problem}", file=sys.stderr)
    return 0


def _lint(args: argparse.Namespace) -> int:
    from kcourse.quiz import banks_dir
    from kcourse.quiz.lint import lint

    problems, banks = lint(args.paths or [str(banks_dir())])
    for p in problems:
        print(p, file=sys.stderr)
    for bank in banks:
        sims = sum(q.type == "simulation" for q in bank.questions)
        print(f"{bank.path}: {len(bank.questions)} questions, {sims} simulation scenarios run")
    return 1 if problems else 0


def _schema(_args: argparse.Namespace) -> int:
    from kcourse.quiz.schema import schema_json

    sys.stdout.write(schema_json())
    return 0


def _progress_rows(progress: Any) -> list[list[str]]:
    """One row per section and one per chapter: answered, points earned, points possible."""
    from kcourse.quiz import BankError, load

    rows = []
    for chapter, entries in sorted(progress.load()["chapters"].items()):
        try:
            bank = load(chapter)
            sections = [(s.id, bank.in_section(s.id)) for s in bank.sections]
            questions = bank.questions
        except BankError:
            bank, sections, questions = None, [], ()
        for sid, qs in sections + [("(all)", questions)]:
            if bank is None and sid == "(all)":
                qids = sorted(entries)
                possible = sum(float(entries[q]["points"]) for q in qids)
            else:
                qids = [q.id for q in qs]
                possible = sum(q.points for q in qs)
            answered = [q for q in qids if q in entries]
            earned = sum(min(float(entries[q]["best"]), float(entries[q]["points"])) for q in answered)
            if sid != "(all)" and not answered:
                continue
            pct = f"{100 * earned / possible:.0f}%" if possible else "-"
            rows.append([chapter, sid, f"{len(answered)}/{len(qids)}", f"{earned:g}/{possible:g}", pct])
    return rows


def _progress(args: argparse.Namespace) -> int:
    from kcourse.quiz.progress import ProgressError

    try:
        return _progress_command(args)
    except ProgressError as exc:
        print(f"kcourse progress: {exc}", file=sys.stderr)
        return 2


def _progress_command(args: argparse.Namespace) -> int:
    from kcourse.quiz.progress import Progress

    progress = Progress(args.file)
    if args.reset:
        progress.reset(args.chapter)
        print(f"progress {'of ' + args.chapter if args.chapter else ''} reset".replace("  ", " "))
        return 0
    if args.export == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(
            ["chapter", "question", "section", "attempts", "best", "points", "correct", "revealed"]
        )
        for chapter, entries in sorted(progress.load()["chapters"].items()):
            if args.chapter and chapter != args.chapter:
                continue
            for qid, e in sorted(entries.items()):
                writer.writerow(
                    [
                        chapter,
                        qid,
                        e.get("section", ""),
                        e["attempts"],
                        f"{e['best']:g}",
                        f"{e['points']:g}",
                        "yes" if e.get("correct") else "no",
                        "yes" if e.get("revealed") else "no",
                    ]
                )
        return 0
    rows = [r for r in _progress_rows(progress) if not args.chapter or r[0] == args.chapter]
    if not rows:
        print(f"No answers recorded yet ({progress.path}).")
        return 0
    table = [["chapter", "section", "answered", "points", "score"]] + rows
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(c.ljust(wd) for c, wd in zip(r, widths)).rstrip())
    return 0


def register(subparsers: Any) -> None:
    """Add the ``quiz`` and ``progress`` command groups."""
    quiz = subparsers.add_parser("quiz", help="knowledge checks: lint banks, take a quiz in the terminal")
    qsub = quiz.add_subparsers(dest="quiz_command", metavar="SUBCOMMAND", required=True)

    p = qsub.add_parser("lint", help="check banks: schema, keys gradable, simulation scenarios run")
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="bank files or directories (default: the shipped banks, or $KCOURSE_QUIZZES)",
    )
    p.set_defaults(func=_lint)

    p = qsub.add_parser("take", help="answer a chapter's questions in the terminal (one line per answer)")
    p.add_argument("chapter", help="chapter name such as ch04, or a bank file")
    p.add_argument("--section", help="only this section's questions")
    p.add_argument("--seed", type=int, help="shuffle seed (default: the bank's)")
    p.set_defaults(func=lambda a: _take(a))

    p = qsub.add_parser("schema", help="print the JSON Schema of question banks")
    p.set_defaults(func=_schema)

    p = subparsers.add_parser("progress", help="scores so far, or export them for a teacher")
    p.add_argument("--export", choices=["csv"], help="print every recorded answer as CSV")
    p.add_argument("--chapter", help="only this chapter")
    p.add_argument("--reset", action="store_true", help="forget recorded answers (of --chapter, or all)")
    p.add_argument("--file", help="progress file (default: $KCOURSE_PROGRESS or ~/.kcourse/progress.json)")
    p.set_defaults(func=_progress)
