"""The hold model of sim.BenchmarkEngineHold, in SimPy 2 (Debian's python3-simpy).

N processes each wait an exponential delay (mean 1 ms) and wait again, so
N events stay pending: pop one, push one a random delay later. Prints
events per wall second after the pending events reached steady state.

    apt-get install python3-simpy     # Debian packages SimPy 2.3
    /usr/bin/python3 docs/bench/simpy_hold.py 1000 2000000
"""
import random
import sys
import time

import SimPy.Simulation as S


class Hold(S.Process):
    def run(self, rnd, counter):
        while True:
            yield S.hold, self, rnd.expovariate(1000.0)
            counter[0] += 1


class Mark(S.Process):
    """Records the event count and the wall clock when the warmup ends."""

    def run(self, at, counter, mark):
        yield S.hold, self, at
        mark.extend([counter[0], time.perf_counter()])


def main():
    pending = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rnd = random.Random(1)
    S.initialize()
    counter, mark = [0], []
    for _ in range(pending):
        p = Hold()
        S.activate(p, p.run(rnd, counter))
    # Reach steady state first (about one event per pending process, as the
    # Go benchmark does), then measure: pending processes make 1,000 events
    # per simulated second each.
    warmup = pending / 1e6
    m = Mark()
    S.activate(m, m.run(warmup, counter, mark))
    S.simulate(until=warmup + events / pending / 1000.0)
    wall = time.perf_counter() - mark[1]
    n = counter[0] - mark[0]
    print(f"SimPy 2 hold: pending={pending} events={n} wall={wall:.2f}s events/s={n / wall:.0f}")


if __name__ == "__main__":
    main()
