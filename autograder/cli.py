"""The `convkit` command line (also `python -m autograder`): one small function per verb."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder import __version__, course, results
from autograder.verdicts import Status


def _grade(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from autograder.grading import processes

    processes.start_server()  # Its imports (about a second) overlap the ones below.
    from autograder.grading import batch, report
    from autograder.sandbox import isolation

    options = batch.BatchOptions(out_dir=Path(args.out), jobs=args.jobs, timeout_s=args.timeout,
                                 lenet=args.lenet, resume=args.resume, seed=args.seed,
                                 min_isolation=args.min_isolation, otter=args.otter,
                                 shard=_shard(args.shard))
    console = Console(stderr=True, width=None if Console(stderr=True).is_terminal else 120)
    problem = _data_folder_problem(options.lenet)
    if problem:
        console.print(f"error: {problem}", markup=False)
        return 2
    class_dir = Path(args.class_dir) if args.class_dir else batch.SAMPLE_CLASS
    console.print(f"convkit {__version__}: grading {class_dir} -> {options.out_dir} (jobs {options.jobs})",
                  markup=False)
    console.print(f"settings: {options.settings.header()} (repeat with the same --seed to get the same inputs)",
                  markup=False)
    try:
        _layers, isolation_report = isolation.check_config(options.min_isolation)
    except isolation.IsolationError as error:
        console.print(f"error: {error}", markup=False)
        return 2
    for line in isolation_report.splitlines():
        console.print(line, style="bold yellow" if line.startswith("MISSING") else None, markup=False)
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task("grading", total=None)

        def progress(done, total, result):
            bar.update(task, completed=done, total=total,
                       description=f"graded {result.student}" if result else "grading")
        results = batch.grade_class(class_dir, options, progress)
    report.write_class_report(options.out_dir / batch.REPORT_HTML, results)
    summary = Console()
    report.print_summary(results, summary if summary.is_terminal else Console(width=120))
    console.print(f"wrote {options.out_dir / 'grades.csv'}, {options.out_dir / 'report.html'} and one folder "
                  "per student (results.json, feedback.md)")
    _print_tests_not_run(console, results)
    if options.otter:
        _print_otter_flags(console, options.out_dir / batch.OTTER_CSV, results)
    unfair = [result.student for result in results if Status.parse(result.status) is Status.STARVED]
    if unfair:
        console.print(f"warning: {len(unfair)} student(s) timed out while the machine was too busy to time them "
                      f"fairly ({', '.join(unfair)}); those verdicts do not count: rerun with --resume on a quieter "
                      "machine or with fewer --jobs", markup=False)
    ungraded = [result.student for result in results if Status.parse(result.status) is Status.GRADER_ERROR]
    if ungraded:
        console.print(f"error: {len(ungraded)} submission(s) could not be graded ({', '.join(ungraded)}); "
                      f"see {options.out_dir / batch.GRADER_LOG} and rerun with --resume", markup=False)
        return 1
    return 0


def _data_folder_problem(lenet: str) -> str:
    """Why the MNIST folder the user named cannot serve the LeNet tests, or "" (none named, or it can)."""
    import os

    folder = os.environ.get("CONVKIT_DATA_DIR")
    if lenet == "skip" or not folder:
        return ""
    from exercises import data

    splits = ("test", "train") if lenet == "train" else ("test",)
    try:
        for split in splits:
            data.load_mnist(split, data_dir=folder)
    except (FileNotFoundError, ValueError) as error:
        return (f"CONVKIT_DATA_DIR names {folder}, where the LeNet accuracy tests ({'--lenet ' + lenet}) cannot "
                f"read MNIST: {str(error).splitlines()[0]} Point it at the folder holding mnist/ (with the original "
                "IDX .gz files), or unset it, or grade with --lenet skip.")
    return ""


def _print_tests_not_run(console, results) -> None:
    """One line per reason some tests were not run: how many tests and students, and the reason."""
    from collections import defaultdict

    from autograder.results import NOT_RUN

    hit: dict[str, list[str]] = defaultdict(list)
    for result in results:
        for test in result.tests:
            if test.status == NOT_RUN:
                hit[test.output].append(result.student)
    for reason, students in sorted(hit.items()):
        console.print(f"note: {len(students)} test(s) of {len(set(students))} student(s) count in no total, "
                      f"{reason}", markup=False)


def _print_otter_flags(console, csv_path: Path, results) -> None:
    from autograder.otter import crosscheck as otter_crosscheck

    flagged = [row for result in results for row in otter_crosscheck.compare(result) if row["verdict"] != "agree"]
    compared = sum(len(result.otter) for result in results)
    console.print(f"Otter cross-check: {compared - len(flagged)} of {compared} submitted modules agree; "
                  f"details in {csv_path}")
    for row in flagged:
        console.print(f"  {row['verdict']}: {row['student']} {row['exercise']}: {row['note']}", markup=False)


def _validate(args: argparse.Namespace) -> int:
    from autograder import validate
    return validate.main(mutants=args.mutants)


def _stubs(args: argparse.Namespace) -> int:
    from autograder import stubs
    if args.check:
        stale = stubs.stale_stubs()
        for name in stale:
            print(f"exercises/{name} differs from what solutions/ generates; run `convkit stubs`")
        return 1 if stale else 0
    changed = stubs.write_stubs()
    print("regenerated: " + (", ".join(changed) if changed else "nothing (exercises/ is in sync)"))
    return 0


def _figure(args: argparse.Namespace) -> int:
    from exercises import plots
    from solutions import ex01_convolution
    plots.edge_figure(Path(args.out), correlate=ex01_convolution.correlate2d)
    print(f"wrote {args.out}")
    return 0


def _release(args: argparse.Namespace) -> int:
    from autograder import release
    return release.main(args.out_dir)


def _gradescope(args: argparse.Namespace) -> int:
    from autograder import gradescope
    archive = gradescope.write_zip(Path(args.out_dir), lenet=args.lenet, timeout_s=args.timeout,
                                   visibility=args.visibility)
    print(f"wrote {archive}: upload it as the assignment's autograder (Gradescope: Configure Autograder)")
    return 0


def _otter(args: argparse.Namespace) -> int:
    from autograder.otter import export as otter
    return otter.main(args.out_dir, exercises=args.exercise, seed=args.seed, lenet=args.lenet)


def _add_settings(parser: argparse.ArgumentParser, *names: str) -> None:
    """Add the grading-settings options `names` to `parser`, with the defaults of `course.Settings`."""
    defaults = course.DEFAULTS
    options = {
        "timeout": dict(type=float, default=defaults.timeout_s, dest="timeout",
                        help="seconds per function call (default: %(default)s)"),
        "lenet": dict(choices=course.LENET_MODES, default=defaults.lenet,
                      help=f"LeNet accuracy from {course.WEIGHTS_FILE}, by training, or not run "
                           "(default: %(default)s)"),
        "seed": dict(type=int, default=defaults.seed,
                     help="class-wide seed of the hidden inputs (default: %(default)s)"),
        "min_isolation": dict(choices=course.ISOLATION_LEVELS, default=defaults.min_isolation,
                              help="refuse to grade unless this isolation layer is available (default: %(default)s)"),
    }
    for name in names:
        parser.add_argument("--" + name.replace("_", "-"), **options[name])


def _shard(text):
    from autograder.grading import shard
    return shard.parse(text) if text else None


def _merge(args: argparse.Namespace) -> int:
    from autograder.grading import shard
    results = shard.merge([Path(p) for p in args.shard_dirs], Path(args.out))
    print(f"merged {len(args.shard_dirs)} shard output(s), {len(results)} students, into {args.out}")
    return 0


def _similarity(args: argparse.Namespace) -> int:
    from autograder.grading import report, similarity
    from autograder.results import load_student_result

    out = Path(args.out)
    pairs, sources = similarity.compare_class(Path(args.class_dir))
    similarity.write_page(out / similarity.SIMILARITY_HTML, pairs, sources, top=args.top)
    for rank, pair in enumerate(pairs[:args.top], start=1):
        print(f"{rank:3d}. {pair.score:.2f}  {pair.a} & {pair.b} ({pair.shared} shared fingerprints)")
    print(f"wrote {out / similarity.SIMILARITY_HTML}")
    results = [r for r in (load_student_result(p) for p in sorted(out.glob("*/results.json"))) if r]
    if results and (out / "report.html").is_file():
        report.write_class_report(out / "report.html", results)
    return 0


def _export(args: argparse.Namespace) -> int:
    from autograder.grading import export
    book = export.export(args.kind, Path(args.out_dir), Path(args.file) if args.file else None,
                         Path(args.roster) if args.roster else None, assignment=args.assignment,
                         per_exercise=args.per_exercise, key=args.key)
    print(f"wrote {book.path} ({book.rows} students)")
    if book.unmatched:
        print(f"warning: {len(book.unmatched)} student(s) not in the roster, written under their folder name "
              f"(listed in {book.path.parent / export.UNMATCHED}): {', '.join(book.unmatched)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convkit", description="An autograded course kit on convolutional networks.")
    parser.add_argument("--version", action="version", version=f"convkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade a class folder (default: the bundled sample class)")
    grade.add_argument("class_dir", nargs="?", help="folder with one sub-folder or .zip per student")
    grade.add_argument("--out", default=course.DEFAULT_OUT, help="output folder (default: %(default)s)")
    grade.add_argument("--jobs", type=int, default=1, help="students graded at once (default: %(default)s)")
    _add_settings(grade, "timeout", "lenet")
    grade.add_argument("--resume", action="store_true", help="keep students already graded in --out")
    _add_settings(grade, "seed", "min_isolation")
    grade.add_argument("--otter", action="store_true",
                       help="also grade every module with Otter in the sandbox and flag where it disagrees "
                            "(advisory: convkit's score stands)")
    grade.add_argument("--shard", metavar="K/N",
                       help="grade only shard K (from 0) of N stable slices of the class; combine with `merge`")
    grade.set_defaults(run=_grade)

    validate = commands.add_parser("validate", help="check the hidden suite: solutions 100 %%, stubs 0 %%, mutants")
    validate.add_argument("--no-mutants", dest="mutants", action="store_false", help="skip the mutant catalogue")
    validate.set_defaults(run=_validate)

    stubs = commands.add_parser("stubs", help="regenerate exercises/ from solutions/")
    stubs.add_argument("--check", action="store_true", help="only report stubs that are out of sync")
    stubs.set_defaults(run=_stubs)

    figure = commands.add_parser("figure", help="draw the lesson's edge-kernel figure on a Fashion-MNIST T-shirt")
    figure.add_argument("--out", default="edge_kernel_tshirt.png", help="PNG file to write (default: %(default)s)")
    figure.set_defaults(run=_figure)

    release = commands.add_parser("release", help="write the student bundle (no solutions, no hidden tests)")
    release.add_argument("out_dir", help="new or empty folder for the bundle")
    release.set_defaults(run=_release)

    gradescope = commands.add_parser("gradescope", help="write a Gradescope autograder zip running convkit's grader")
    gradescope.add_argument("out_dir", help="folder for convkit-gradescope.zip")
    _add_settings(gradescope, "lenet", "timeout")
    gradescope.add_argument("--visibility", choices=results.VISIBILITIES, default=results.DEFAULT_VISIBILITY,
                            help="when students see each test's result: always, after the due date, once grades "
                                 "are published, or never (default: %(default)s)")
    gradescope.set_defaults(run=_gradescope)

    otter = commands.add_parser("otter", help="write one Otter-Grader autograder zip per exercise")
    otter.add_argument("out_dir", help="folder for the zips (ex01_convolution.zip ...)")
    otter.add_argument("--exercise", action="append", help="only this exercise (repeatable; default: all six)")
    _add_settings(otter, "seed", "lenet")
    otter.set_defaults(run=_otter)

    export = commands.add_parser("export", help="write an LMS gradebook (Canvas, Moodle, Gradescope CSV) from grades")
    export.add_argument("kind", choices=("canvas", "moodle", "gradescope-csv"))
    export.add_argument("out_dir", help="a graded output folder (holding grades.csv)")
    export.add_argument("--roster", help="CSV exported from the LMS that maps student folder names to LMS users")
    export.add_argument("--file", help="gradebook to write (default: OUT_DIR/KIND-gradebook.csv)")
    export.add_argument("--assignment", default="convkit",
                        help='Canvas column title, with its Canvas id when known: "Homework 3 (1234)"')
    export.add_argument("--per-exercise", action="store_true", help="Canvas: one assignment column per exercise")
    export.add_argument("--key", choices=("username", "email", "idnumber"), default="username",
                        help="Moodle: the user field the key column is mapped to (default: %(default)s)")
    export.set_defaults(run=_export)

    similar = commands.add_parser("similarity", help="rank pairs of submissions sharing unusual code (HTML page)")
    similar.add_argument("class_dir", help="the class folder (one sub-folder or .zip per student)")
    similar.add_argument("--out", default="grading-output", help="folder for similarity.html (default: %(default)s)")
    similar.add_argument("--top", type=int, default=10, help="pairs shown side by side (default: %(default)s)")
    similar.set_defaults(run=_similarity)

    merge = commands.add_parser("merge", help="combine `grade --shard` outputs into one grades.csv and report")
    merge.add_argument("shard_dirs", nargs="+", metavar="OUT", help="the shards' output folders")
    merge.add_argument("--out", required=True, help="folder for the merged output")
    merge.set_defaults(run=_merge)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from autograder.grading.batch import absolute_path_variables

    absolute_path_variables()
    return args.run(args)
