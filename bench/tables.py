"""Markdown tables of bench/odoo_bench.py's results, with the issue's targets."""

import statistics

B1_TARGETS = {"wizard_each": 0.25, "wizard_batch": 0.5, "floor": 2.0}
B2_GROWTH_TARGET = 0.20
B3_P50_TARGET_MS = 50.0
B5_P50_TARGET_MS = 200.0


def verdict(ok):
    return "met" if ok else "**NOT met**"


def b1_table(rows, n, setup_seconds):
    labels = {
        "ours": "ours: `amendments.action_apply()`, one batch, posted",
        "wizard_each": "Odoo reversal wizard, one call per invoice, + post",
        "wizard_batch": "Odoo reversal wizard, one call for all, + post",
        "floor": "floor: one `create` + one `action_post` of the credit notes",
        "floor_core": "the floor with core's pairing by position (before this version)",
    }
    ours = rows["ours"]
    lines = [
        f"## B1: {n:,} downgrade amendments against Odoo's own credit-note paths",
        "",
        f"{n:,} running subscriptions, 3 lines each (users 10 → 6, phone numbers 4 → 2, "
        "an add-on removed), each with one posted monthly invoice billed through "
        "subscription_oca's `generate_invoice` (billed period stamped). Every path "
        f"ends with {n:,} posted credit notes (`out_refund`, `reversed_entry_id` set), "
        "checked; each runs in its own transaction on the same records, rolled back "
        "afterwards, after one warm-up of every path on 10 other subscriptions. Run as "
        "the admin user (access rules apply), tracking on; flushes included.",
        "",
        "| path | wall time | per credit note | SQL queries per credit note | ours / this | target | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for key in ("ours", "wizard_each", "wizard_batch", "floor", "floor_core"):
        if key not in rows:
            continue
        row = rows[key]
        ratio = ours.seconds / row.seconds
        target = B1_TARGETS.get(key)
        lines.append(
            f"| {labels[key]} | {row.seconds:.2f} s | {1000 * row.seconds / n:.1f} ms "
            f"| {row.queries / n:.1f} | {ratio:.2f} "
            f"| {f'≤ {target:.2f}' if target else ''} "
            f"| {verdict(ratio <= target) if target else ''} |"
        )
    lines.append("")
    if "ours_create" in rows:
        create = rows["ours_create"]
        total = create.seconds + ours.seconds
        ratios = ", ".join(
            f"{total / rows[key].seconds:.2f} against {key.replace('_', ' ')}"
            for key in ("wizard_each", "wizard_batch", "floor")
            if key in rows
        )
        lines += [
            f"Creating the {n:,} draft amendments (one `create`, not in the figures "
            f"above) took {create.seconds:.2f} s, {create.queries / n:.1f} queries per "
            f"amendment; counting it too ({total:.2f} s), the ratios are {ratios}.",
            "",
        ]
    lines += [
        "Notes. The wizard's one-call-per-invoice loop flushes (as the commit of "
        "each request would) and clears the record cache between calls, as separate "
        "requests do; its credit notes are posted in the same call. Every posting "
        "path, the floor's and the wizards' included, goes through this addon's "
        "`_reconcile_reversed_moves` (models/account_move.py): each credit note is "
        "matched with its own invoice, and the receivable groups of the whole batch "
        "are reconciled in one plan; *the floor with core's pairing* patches core's "
        "method back in (each pair reconciled in a call of its own, paired by "
        "position), as every posting path ran before this version. Building the "
        "fixtures (one "
        "`generate_invoice` per subscription, then one `action_post` of all the "
        f"invoices, committed) took {setup_seconds:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def b2_table(result):
    results, (fields_by_model, counts) = result
    lines = [
        "## B2: SQL queries to apply one amendment, by number of lines",
        "",
        "One subscription of N lines, one posted invoice, one amendment reducing all N "
        "lines (one credit note of N lines, posted). Measured after a warm-up amendment.",
        "",
        "| lines | queries to apply | queries to create the amendment |",
        "| ---: | ---: | ---: |",
    ]
    for size, (create, apply) in results.items():
        lines.append(f"| {size} | {apply.queries} | {create.queries} |")
    sizes = list(results)
    first, last = results[sizes[0]][1].queries, results[sizes[-1]][1].queries
    growth = (last - first) / first
    lines += [
        "",
        f"Growth from {sizes[0]} to {sizes[-1]} lines: {growth:+.0%} "
        f"(target ≤ {B2_GROWTH_TARGET:.0%}: {verdict(growth <= B2_GROWTH_TARGET)}).",
        "",
        "The addon's computed fields, read (`read()`, cache cleared) on 10 records and "
        "on all of B1's: the same number of queries, none per record.",
        "",
        "| model | fields | queries for 10 records | for all | records |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for model, names in fields_by_model.items():
        small, large = sorted(size for name, size in counts if name == model)
        lines.append(
            f"| `{model}` | {', '.join(names)} | {counts[model, small]} "
            f"| {counts[model, large]} | {large:,} |"
        )
    lines.append("")
    return "\n".join(lines)


def b3_table(result):
    lines = [
        "## B3: contracts whose notice deadline falls in the next 30 days",
        "",
        f"{result['total']:,} subscriptions in the table, {result['found']:,} match "
        "`[('notice_deadline', '>=', today), ('notice_deadline', '<=', today + 30)]`. "
        "The rows were bulk-inserted in one `INSERT … SELECT … FROM generate_series` "
        "with the values the computes store (12-month terms started within the last "
        "year, renewal one year after the start, 30 notice days), followed by "
        f"`ANALYZE sale_subscription` ({result['insert_seconds']:.1f} s), and rolled "
        "back after the measure. ORM calls as the admin user (record rules apply), "
        "record cache cleared before each call.",
        "",
        "| call | runs | p50 | p95 | target | |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, samples in result["timings"].items():
        ms, p50, p95 = percentiles(samples)
        target = label.startswith("search (all")
        lines.append(
            f"| `{label}` | {len(ms)} | {p50:.1f} ms | {p95:.1f} ms "
            f"| {f'p50 ≤ {B3_P50_TARGET_MS:.0f} ms' if target else ''} "
            f"| {verdict(p50 <= B3_P50_TARGET_MS) if target else ''} |"
        )
    lines += ["", "PostgreSQL's plan for the search:", "", "```"]
    lines += result["plan"]
    lines += ["```", ""]
    return "\n".join(lines)


def percentiles(samples):
    """``samples`` (seconds) → (sorted milliseconds, p50, p95)."""
    ms = sorted(1000 * sample for sample in samples)
    return ms, statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def b5_table(result):
    lines = [
        "## B5: the revenue-movements graph over 100,000 movements",
        "",
        f"{result['total']:,} revenue movements in the table, bulk-inserted in one "
        "`INSERT … SELECT … FROM generate_series` (two years of dates, the five kinds "
        "in turn, over the B1 subscriptions), followed by `ANALYZE "
        f"sale_subscription_mrr_movement` ({result['insert_seconds']:.1f} s), and "
        "rolled back after the measure. The call is the graph view's: "
        "`web_read_group(domain, ['delta_company:sum'], ['date:month', 'kind'], "
        "lazy=False)` with `fill_temporal`, as the admin user (record rules apply), "
        "record cache cleared before each call.",
        "",
        "| domain | groups | runs | p50 | p95 | target | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, samples in result["timings"].items():
        ms, p50, p95 = percentiles(samples)
        lines.append(
            f"| {label} | {result['groups'][label]} | {len(ms)} | {p50:.1f} ms "
            f"| {p95:.1f} ms | p50 ≤ {B5_P50_TARGET_MS:.0f} ms "
            f"| {verdict(p50 <= B5_P50_TARGET_MS)} |"
        )
    lines += [
        "",
        "PostgreSQL's plan for the query of the call over all movements "
        "(`EXPLAIN (ANALYZE, BUFFERS)`):",
        "",
        "```",
    ]
    lines += result["plan"]
    lines += ["```", ""]
    return "\n".join(lines)
