"""Races: run one function in many threads released together and keep what each one ended with.

A thread's exception is its outcome, never swallowed: the test names which failures it expects of
the losers (a 409, ``Conflict``, a serialization failure), so a deadlock or a bug fails the test.
"""
import threading
from dataclasses import dataclass


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None


def race(n: int, work) -> list[Outcome]:
    """``work(i)`` for i in 0..n-1, each in its own thread, all released at one barrier."""
    barrier = threading.Barrier(n)
    outcomes = [Outcome() for _ in range(n)]

    def run(i):
        barrier.wait()
        try:
            outcomes[i].value = work(i)
        except BaseException as error:  # kept as the outcome; the test decides whether it was expected
            outcomes[i].error = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing thread never finished (deadlock?)"
    return outcomes


def values(outcomes: list[Outcome]) -> list:
    """The values, after checking that no thread failed."""
    failed = [repr(o.error) for o in outcomes if o.error is not None]
    assert not failed, f"threads failed: {failed}"
    return [o.value for o in outcomes]
