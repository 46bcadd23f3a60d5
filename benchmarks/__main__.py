"""Run every benchmark and print one result line each."""

from collections.abc import Callable

from benchmarks import memory, names, service

#: Each benchmark runs on its own and returns its result lines; the service
#: benchmark comes last because its final line is the summary.
BENCHMARKS: list[Callable[[], str]] = [names.run, memory.run, service.run]


def main() -> None:
    for benchmark in BENCHMARKS:
        print(benchmark(), flush=True)


if __name__ == "__main__":
    main()
