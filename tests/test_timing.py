import time

from cnnstudy.timing import median_seconds, seconds


def test_the_median_of_the_timed_calls_after_the_warm_up():
    calls = []

    def work():
        calls.append(len(calls))
        time.sleep(0.05 if len(calls) <= 2 else 0.001)  # two slow warm-up calls, then fast ones

    took = median_seconds(work, repeats=5, warmup=2)
    assert len(calls) == 7 and took < 0.04  # the slow warm-up calls are not counted
    assert seconds(lambda: time.sleep(0.02)) >= 0.02
