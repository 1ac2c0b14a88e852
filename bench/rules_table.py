"""B4's table: pytest-benchmark's JSON (bench/bench_rules.py) as plans per second.

.venv/bin/python bench/rules_table.py .cache/bench/rules.json
"""

import json
import sys


def main(path):
    data = json.loads(open(path, encoding="utf-8").read())
    machine = data.get("machine_info", {})
    lines = [
        "## B4: the rules engine, plans per second",
        "",
        "`rules.make_plan` for a 3-line mixed amendment (users 10 → 6, phone numbers "
        "4 → 5, an add-on removed) over 2 billed periods, through the pure package "
        "(no Odoo, no database): bench/bench_rules.py with pytest-benchmark "
        f"(Python {machine.get('python_version', '?')}).",
        "",
        "| benchmark | rounds | median | mean | plans per second (1 / median) "
        "| (1 / mean) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for bench in data["benchmarks"]:
        stats = bench["stats"]
        lines.append(
            f"| `{bench['name']}` | {stats['rounds']:,} | {1e6 * stats['median']:.1f} µs "
            f"| {1e6 * stats['mean']:.1f} µs | {1 / stats['median']:,.0f} "
            f"| {1 / stats['mean']:,.0f} |"
        )
    print("\n".join(lines + [""]))


if __name__ == "__main__":
    main(sys.argv[1])
