#!/usr/bin/python3
"""bench/storm/plot.py TODAY.csv SPREAD.csv OUT.png: the power-restore storm curves of
recall-storm --csv (docs/PERFORMANCE.md): answers and drops per second per node, and the share
of the region answered, for today's boot check-in and for the start spread."""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    rows = list(csv.DictReader(open(path, newline="")))
    nodes = sorted({int(r["node"]) for r in rows})
    secs = sorted({int(r["second"]) for r in rows})
    per = {k: {"answered": [0] * len(secs), "dropped": [0] * len(secs)} for k in nodes}
    done = [0] * len(secs)
    for r in rows:
        s, k = int(r["second"]), int(r["node"])
        per[k]["answered"][s] = int(r["answered"])
        per[k]["dropped"][s] = int(r["dropped"])
        done[s] = int(r["devices_answered"])
    cum, t = [], 0
    for d in done:
        t += d
        cum.append(t)
    return secs, per, cum


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: plot.py TODAY.csv SPREAD.csv OUT.png")
    runs = [("today: boot check-in at once", sys.argv[1]), ("start-spread 60 s", sys.argv[2])]
    fig, ax = plt.subplots(3, 2, figsize=(12, 9), sharex=True)
    for c, (title, path) in enumerate(runs):
        secs, per, cum = load(path)
        for k, v in per.items():
            ax[0][c].plot(secs, [x / 1000 for x in v["answered"]], label=f"node {k}")
            ax[1][c].plot(secs, [x / 1000 for x in v["dropped"]], label=f"node {k}")
        n = max(cum) if cum else 1
        ax[2][c].plot(secs, [100.0 * x / n for x in cum], color="k")
        ax[0][c].axhline(309.69, color="grey", linestyle="--", linewidth=1,
                         label="capacity (bench/run)")
        ax[0][c].set_title(title)
        ax[0][c].set_ylabel("answers/s per node (thousands)")
        ax[1][c].set_ylabel("datagrams dropped/s per node (thousands)")
        ax[2][c].set_ylabel("devices answered (%)")
        ax[2][c].set_xlabel("seconds after power returns")
        ax[0][c].legend(fontsize=7)
        for r in range(3):
            ax[r][c].grid(alpha=0.3)
            ax[r][c].set_xlim(0, 90)
    for r in range(2):
        hi = max(ax[r][0].get_ylim()[1], ax[r][1].get_ylim()[1])
        ax[r][0].set_ylim(0, hi)
        ax[r][1].set_ylim(0, hi)
    fig.suptitle("Power restore: 10,000,000 devices, 4 nodes x 309,690 answers/s, "
                 "socket queue 3,640 datagrams, agents start within 5 s")
    fig.tight_layout()
    fig.savefig(sys.argv[3], dpi=100)


if __name__ == "__main__":
    main()
