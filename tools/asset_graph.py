"""The asset graph as text: every asset with its group and the tables it reads, every check, job, schedule
and sensor. `python tools/asset_graph.py > tests/snapshots/asset_graph.txt` refreshes the snapshot the
tests compare against (exactly); `--mermaid` prints the lineage as a Mermaid diagram for the README."""

from __future__ import annotations

import sys


def graph_lines() -> list[str]:
    from dagster_project.definitions import defs

    repo = defs.get_repository_def()
    graph = repo.asset_graph
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        deps = ", ".join(sorted(p.to_user_string() for p in node.parent_keys))
        lines.append(f"asset {key.to_user_string()} [{node.group_name}] <- {deps}")
    for check in sorted(graph.asset_check_keys, key=lambda c: (c.asset_key.to_user_string(), c.name)):
        lines.append(f"check {check.asset_key.to_user_string()}:{check.name}")
    lines += [f"job {j.name}" for j in sorted(repo.get_all_jobs(), key=lambda j: j.name)]
    lines += [f"schedule {s.name}" for s in sorted(repo.schedule_defs, key=lambda s: s.name)]
    lines += [f"sensor {s.name}" for s in sorted(repo.sensor_defs, key=lambda s: s.name)]
    return lines


def mermaid() -> str:
    from dagster_project.definitions import defs

    graph = defs.get_repository_def().asset_graph
    out = ["flowchart LR"]
    groups: dict[str, list[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, []).append(key.to_user_string())
    for group in ("state", "ingest", "reference", "staging", "core", "targeting", "measures", "outputs"):
        if group in groups:
            out.append(f"  subgraph {group}")
            out += [f"    {name}" for name in sorted(groups[group])]
            out.append("  end")
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        for parent in sorted(graph.get(key).parent_keys, key=lambda k: k.to_user_string()):
            if not parent.to_user_string().startswith("seed_"):
                out.append(f"  {parent.to_user_string()} --> {key.to_user_string()}")
    return "\n".join(out)


if __name__ == "__main__":
    print(mermaid() if "--mermaid" in sys.argv else "\n".join(graph_lines()))
