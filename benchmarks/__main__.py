"""Run every benchmark and print one result line each."""

from collections.abc import Callable

from benchmarks import names

#: Each benchmark runs on its own and returns its result line.
BENCHMARKS: list[Callable[[], str]] = [names.run]


def main() -> None:
    for benchmark in BENCHMARKS:
        print(benchmark(), flush=True)


if __name__ == "__main__":
    main()
