"""The ``executioncore`` commands: demo, run, replay (live, venue and sweep arrive in their own modules).

Exit codes: 0 success; 1 the run finished but an expectation failed, or a replay diverged;
2 bad input (unreadable file, schema error, unknown symbol, bad price), with a message naming
the file, the key or row, and what was expected; 3 the run could not go on (a broker unreachable
at start, an adapter not available, ``routing.give_up_after`` elapsed, an exception inside a
strategy callback: the message names the strategy's file and line). A user's mistake never
prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from executioncore import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CANNOT_GO_ON = 3


class UserError(Exception):
    """A mistake in what the user gave us: printed as one message, exit code 2."""


def scenarios_dir() -> Path:
    """The bundled scenarios (next to the package in a checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "scenarios", Path.cwd() / "scenarios"):
        if (candidate / "demo.yaml").is_file():
            return candidate
    raise UserError("the bundled scenarios are not here: run from a checkout of the project")


class Progress:
    """A one-line progress bar on a terminal (by data time), at most ten redraws a second."""

    def __init__(self, start_ns: int, end_ns: int, stream: TextIO = sys.stderr) -> None:
        self.start = start_ns
        self.span = max(end_ns - start_ns, 1)
        self.stream = stream
        self.t0 = time.perf_counter()
        self.last = 0.0

    def __call__(self, events: int, ts_ns: int) -> None:
        now = time.perf_counter()
        if now - self.last < 0.1:
            return
        self.last = now
        frac = min(max((ts_ns - self.start) / self.span, 0.0), 1.0)
        bar = "#" * int(frac * 30)
        rate = events / max(now - self.t0, 1e-9)
        self.stream.write(f"\r[{bar:<30}] {frac:6.1%}  {events:,} events  {rate:,.0f}/s ")
        self.stream.flush()

    def done(self) -> None:
        self.stream.write("\r" + " " * 78 + "\r")
        self.stream.flush()


def run_command(
    path: Path, seed: int | None, out: Path | None, as_json: bool, progress: bool
) -> int:
    """Run a scenario file; print the summary table (or the summary JSON); write the run folder."""
    from executioncore.runner import prepare

    scenario = _load(path)
    run = prepare(scenario, seed, out)
    bar = (
        Progress(run.start_ns, run.end_ns)
        if progress and not as_json and sys.stderr.isatty()
        else None
    )
    try:
        result = run.execute(bar)
    finally:
        if bar is not None:
            bar.done()
    summary = finish(result)
    if as_json:
        print(json.dumps(summary, sort_keys=False))
    else:
        from executioncore.analytics import compute_stats
        from executioncore.table import summary_table

        print(summary_table(summary, compute_stats(result.record)))
    return result.exit_code


def finish(result: Any) -> dict[str, Any]:
    """Write summary.json and report.html into the run folder; return the summary."""
    from executioncore.analytics import compute_stats
    from executioncore.report import write_report

    summary = result.summary
    stats = compute_stats(result.record)
    report = write_report(result.record, stats, result.run_dir / "report.html")
    summary["report"] = str(report)
    summary["stats"] = {
        k: v for k, v in stats.items() if isinstance(v, (int, float, str, type(None)))
    }
    (result.run_dir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def replay_command(path: Path, as_json: bool) -> int:
    from executioncore.replay import replay

    if not path.exists():
        raise UserError(f"{path}: no such run folder or journal")
    report = replay(path)
    if report.error and report.error.startswith(str(path)) and "not a journal" in report.error:
        raise UserError(report.error)
    if as_json:
        print(json.dumps(report.as_dict()))
    elif report.ok:
        print(
            f"replay of {path}: {report.records:,} records ({report.inputs:,} inputs, "
            f"{report.outputs:,} outputs) reproduced exactly\ndigest {report.replayed_digest}"
        )
    else:
        print(f"replay of {path}: DIVERGED")
        if report.error:
            print(f"  {report.error}")
        if report.divergence:
            d = report.divergence
            print(f"  first divergent record: #{d['record']} ({d['why']})")
            print(f"  recorded: {d['expected']}")
            print(f"  replayed: {d['got']}")
        elif report.recorded_digest != report.replayed_digest:
            print(f"  digest recorded {report.recorded_digest}, replayed {report.replayed_digest}")
    if report.error and "no journal" in report.error:
        return EXIT_BAD_INPUT
    return EXIT_OK if report.ok else EXIT_FAILED


def live_cli(args: argparse.Namespace) -> int:
    from executioncore.live_cmd import live_command

    try:
        result = live_command(
            args.config, args.orders, args.run_for, args.live, args.out, args.fresh
        )
    except Exception as exc:
        partial = getattr(exc, "result", None)
        if partial is not None:  # why: the session shut down cleanly: its report is written
            finish(partial)
        raise
    summary = finish(result)
    if args.json:
        print(json.dumps(summary))
    else:
        from executioncore.analytics import compute_stats
        from executioncore.table import summary_table

        print(summary_table(summary, compute_stats(result.record)))
    return result.exit_code


def venue_cli(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Serve a local venue until interrupted (Ctrl-C)."""
    rest = list(args.venue_args)
    if rest and rest[0] == "ibkr":
        from live.fakes.ibkr.server import main as ibkr_main

        return ibkr_main(rest[1:], prog="executioncore venue ibkr")
    if rest and rest[0] == "binance":
        from live.fakes.binance.server import main as binance_main

        return binance_main(rest[1:], prog="executioncore venue binance")
    if not rest or rest[0] != "alpaca":
        raise UserError(
            "venue: name the venue to run (alpaca, ibkr, binance), e.g. "
            "'executioncore venue alpaca --data FILE'"
        )
    from live.fakes.alpaca.config import ConfigError, FakeAlpacaConfig
    from live.fakes.alpaca.server import run_venue

    venue_parser = FakeAlpacaConfig.cli_parser("executioncore venue alpaca")
    try:
        config = FakeAlpacaConfig.from_args(venue_parser.parse_args(rest[1:]))
    except ConfigError as exc:
        raise UserError(f"venue alpaca: {exc}") from None
    for feed in config.feeds():
        if feed.data is not None and not Path(feed.data).is_file():
            raise UserError(f"{feed.data}: no such data file")
    run_venue(config)
    return EXIT_OK


def _load(path: Path) -> Any:
    from executioncore.scenario import load_scenario

    return load_scenario(path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="executioncore",
        description="ExecutionCore: a deterministic trading kernel. Backtest, replay, trade live.",
    )
    parser.add_argument("--version", action="version", version=f"executioncore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="run the bundled demo scenario on real market data")
    demo.add_argument("--out", type=Path, help="run folder (default runs/<scenario>-<seed>)")
    demo.add_argument("--json", action="store_true", help="print the summary JSON only")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    run = sub.add_parser("run", help="run a scenario file")
    run.add_argument("scenario", type=Path)
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument("--out", type=Path, help="run folder (default runs/<scenario>-<seed>)")
    run.add_argument("--json", action="store_true", help="print the summary JSON only")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    live = sub.add_parser(
        "live", help="run the kernel against the configured brokers (paper by default)"
    )
    live.add_argument("--config", type=Path, required=True, help="executioncore.yaml")
    live.add_argument("--orders", type=Path, help="a YAML file with an orders: list to send")
    live.add_argument("--run-for", help="stop after this long (e.g. 30s, 5m, 2h)")
    live.add_argument("--json", action="store_true", help="print the summary JSON only")
    live.add_argument("--live", action="store_true", help="confirm real money (with paper: false)")
    live.add_argument("--out", type=Path, help="run folder (default runs/live-<name>)")
    live.add_argument("--fresh", action="store_true", help="do not resume an unfinished journal")
    venue = sub.add_parser(
        "venue",
        help="start a local venue that speaks a real broker's protocol (venue alpaca --help)",
        description="Serve a deterministic market from recorded data on 127.0.0.1, speaking a "
        "real broker's protocol. Venues: alpaca, ibkr, binance. 'executioncore venue alpaca --help' lists its "
        "options.",
    )
    # why: the venue's flags live with the venue (live/, aiohttp): parsed only when it runs
    venue.add_argument(
        "venue_args",
        nargs=argparse.REMAINDER,
        metavar="alpaca ...",
        help="the venue and its options, e.g. alpaca --data FILE --symbol S --port N",
    )
    rep = sub.add_parser("replay", help="re-drive a kernel from a journal and compare every output")
    rep.add_argument("journal", type=Path, help="a run folder or its journal file")
    rep.add_argument("--json", action="store_true", help="print the replay report as JSON")
    from executioncore.order_cmd import add_order_parser

    add_order_parser(sub)
    from executioncore.sweep import add_sweep_parser

    add_sweep_parser(sub)
    from executioncore.gym_cmd import add_gym_parser

    add_gym_parser(sub)
    from executioncore.fuzz_cmd import add_fuzz_parser

    add_fuzz_parser(sub)
    from executioncore.accel import add_accel_parser

    add_accel_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        if args.command == "demo":
            return run_command(
                scenarios_dir() / "demo.yaml", None, args.out, args.json, not args.no_progress
            )
        if args.command == "run":
            return run_command(args.scenario, args.seed, args.out, args.json, not args.no_progress)
        if args.command == "replay":
            return replay_command(args.journal, args.json)
        if args.command == "live":
            return live_cli(args)
        if args.command == "venue":
            return venue_cli(args, parser)
        if args.command == "order":
            from executioncore.order_cmd import order_cli

            return order_cli(args)
        if args.command == "sweep":
            from executioncore.sweep import sweep_cli

            return sweep_cli(args)
        if args.command == "gym":
            from executioncore.gym_cmd import gym_cli

            return gym_cli(args)
        if args.command == "fuzz":
            from executioncore.fuzz_cmd import fuzz_cli

            return fuzz_cli(args)
        if args.command == "accel":
            from executioncore.accel import accel_cli

            return accel_cli(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if getattr(exc, "exit_code", None) == EXIT_CANNOT_GO_ON:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_CANNOT_GO_ON
        message = user_message(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    parser.print_help()
    return EXIT_BAD_INPUT


def user_message(exc: BaseException) -> str | None:
    """The one-line message for a user's mistake, or None for a bug (which keeps its traceback)."""
    from executioncore.build import StrategyError
    from executioncore.live_cmd import LiveError
    from executioncore.scenario import ScenarioError
    from executioncore.store import StoreError
    from kernel.orders import InvalidOrder
    from kernel.risk import ConfigError
    from kernel.units import UnitError
    from sim.feeds import DataError

    if isinstance(
        exc,
        (
            UserError,
            LiveError,
            ScenarioError,
            DataError,
            StrategyError,
            ConfigError,
            StoreError,
            UnitError,
            InvalidOrder,
        ),
    ):
        return str(exc)
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return f"{getattr(exc, 'filename', '') or ''}: {exc.strerror}"
    return None
