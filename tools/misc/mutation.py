# Copyright (c) mmped contributors. All rights reserved.
"""Mutation check of the protocol, loss and module code with mutmut, one module at a time.

Each module in :data:`MODULES` is mutated in its own scratch folder
(``.mutation/<module>/``, git-ignored), so that mutmut's configuration, its copy of the
sources and its results stay per module, and each mutant runs only the tests that exercise
the mutated function among that module's test files (mutmut records which test reaches which
function in a first, clean run). Nothing in the checkout is modified.

Usage::

    python tools/misc/mutation.py                       # every module, one after the other
    python tools/misc/mutation.py losses parsers        # some modules
    python tools/misc/mutation.py --report              # print the tables of the last runs
    python tools/misc/mutation.py --survivors losses    # list (and diff) the surviving mutants

``make mutation`` runs the first form under ``nice``. Results stay in
``.mutation/<module>/summary.json``; a second run of a module reuses mutmut's cache and only
tests mutants whose code or tests changed (``--fresh`` starts over).
"""
import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional

ROOT = Path(__file__).resolve().parents[2]
SCRATCH = ROOT / '.mutation'
# files and folders the tests read besides mmped/ and tests/ (configs, tools, ...)
ALSO_COPY = ['configs', 'tools', 'demo', 'benchmarks', 'model-index.yml', 'setup.py', 'README.md']
# pytest options of every mutant run (mutmut adds -x -q): one process, no cache writes
# boundary and reference-value tests (tests/test_boundaries), selected for every module
NEW_TESTS = 'tests/test_boundaries'
PYTEST_ARGS = ['-n', '0', '-p', 'no:cacheprovider', '-m', 'not slow', '--timeout', '300']


class Module(NamedTuple):
    """One mutated folder and the tests that guard it.

    Args:
        path (str): Folder under the repository root whose ``*.py`` files are mutated.
        tests (list[str]): Test files or folders run against its mutants.
    """
    path: str
    tests: List[str]


MODULES: Dict[str, Module] = {
    'evaluation': Module('mmped/evaluation/functional', [
        'tests/test_det_benchmarks/test_miss_rate.py',
        'tests/test_det_benchmarks/test_mr_loop_reference.py',
        'tests/test_det_benchmarks/test_caltech_reference.py',
        'tests/test_det_benchmarks/test_mot_kitti_reference.py',
        'tests/test_det_benchmarks/test_mot_devkit_ties.py',
        'tests/test_det_benchmarks/test_mot_devkit_stored.py',
        'tests/test_det_benchmarks/test_kitti_devkit_stored.py',
        'tests/test_det_benchmarks/test_review_fixes.py',
        'tests/test_det_benchmarks/test_parsers_tools.py',
        'tests/test_det_benchmarks/test_metric_dataset.py',
        'tests/test_attr_reid/test_attribute_metrics.py',
        'tests/test_attr_reid/test_reid_metrics.py',
        'tests/test_person_search/test_metric.py',
        'tests/test_person_search/test_metric_review.py',
        'tests/test_person_search/test_metric_reference.py',
        'tests/test_person_search/test_metric_seqnet_stored.py',
    ]),
    'losses': Module('mmped/models/losses', [
        'tests/test_dcrl/test_losses.py',
        'tests/test_person_search/test_oim_loss.py',
        'tests/test_attr_reid/test_models.py',
        'tests/test_dahar/test_blocks.py',
        'tests/test_gdfl/test_components.py',
        'tests/test_attr_reid/test_weighted_bce_protocol.py',
        'tests/test_gdfl/test_zizom_attention.py',
    ]),
    'task_modules': Module('mmped/models/task_modules', [
        'tests/test_models/test_box_masks.py',
        'tests/test_gdfl/test_components.py',
        'tests/test_gdfl/test_review_fixes.py',
        'tests/test_dcrl/test_anchor_coverage.py',
    ]),
    'necks': Module('mmped/models/necks', [
        'tests/test_gdfl/test_components.py',
        'tests/test_gdfl/test_neck_strides.py',
        'tests/test_gdfl/test_zizom_attention.py',
        'tests/test_gdfl/test_detector.py',
        'tests/test_dahar/test_blocks.py',
    ]),
    'layers': Module('mmped/models/layers', [
        'tests/test_dcrl/test_layers.py',
        'tests/test_hpnet/test_mda.py',
        'tests/test_gdfl/test_components.py',
        'tests/test_dahar/test_blocks.py',
        'tests/test_attr_reid/test_models.py',
        'tests/test_person_search/test_models.py',
        'tests/test_person_search/test_build_checks.py',
        'tests/test_hpnet/test_authors_layout.py',
        'tests/test_gdfl/test_zizom_attention.py',
    ]),
    'parsers': Module('mmped/datasets/parsers', [
        'tests/test_det_benchmarks/test_parsers_tools.py',
        'tests/test_det_benchmarks/test_metric_dataset.py',
        'tests/test_det_benchmarks/test_real_data.py',
        'tests/test_det_benchmarks/test_caltech_json.py',
        'tests/test_det_benchmarks/test_caltech_converter_outputs.py',
        'tests/test_det_benchmarks/test_caltech_reference.py',
        'tests/test_det_benchmarks/test_review_fixes.py',
        'tests/test_det_benchmarks/test_mot_devkit_ties.py',
        'tests/test_det_benchmarks/test_mot_kitti_reference.py',
        'tests/test_det_benchmarks/test_mot_devkit_stored.py',
        'tests/test_det_benchmarks/test_kitti_devkit_stored.py',
        'tests/test_det_benchmarks/test_cli_misuse.py',
        'tests/test_gdfl/test_configs_and_data.py',
        'tests/test_gdfl/test_mot17det_split.py',
        'tests/test_gdfl/test_splits.py',
        'tests/test_dcrl/test_data.py',
        'tests/test_dcrl/test_anchor_coverage.py',
        'tests/test_person_search/test_datasets.py',
    ]),
}


def _toml_list(items: List[str]) -> str:
    return '[' + ', '.join(json.dumps(i) for i in items) + ']'


def prepare(name: str, fresh: bool, source_root: Path = ROOT) -> Path:
    """Lay out the scratch folder of one module: links to the sources and its mutmut config.

    Args:
        name (str): Key of :data:`MODULES`.
        fresh (bool): Remove earlier results of this module first.
        source_root (Path): Checkout whose ``mmped/`` and ``tests/`` are mutated and run
            (default: this one; another one measures an older state, e.g. a baseline).

    Returns:
        Path: The scratch folder, where ``mutmut run`` is started.
    """
    module = MODULES[name]
    work = SCRATCH / name
    if fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    for entry in ['mmped', 'tests', 'setup.cfg'] + ALSO_COPY:
        link = work / entry
        if link.is_symlink():
            link.unlink()
        if (source_root / entry).exists():
            link.symlink_to(source_root / entry)
    (source_root / NEW_TESTS).mkdir(exist_ok=True)
    _refresh_unmutated(work / 'mutants', source_root, module.path)
    # the boundary tests of every area run for every module (they are fast, and a mutant runs
    # only the tests that reach its function); a fixed list keeps mutmut's cache valid
    tests = [NEW_TESTS] + module.tests
    config = (source_root / 'pyproject.toml').read_text()
    # the whole package is copied (so that the mutated copy is the one imported), only the
    # module's folder is mutated
    config += '\n'.join([
        '',
        '[tool.mutmut]',
        'source_paths = ["mmped"]',
        f'only_mutate = {_toml_list([module.path + "/*"])}',
        f'also_copy = {_toml_list(ALSO_COPY)}',
        f'pytest_add_cli_args = {_toml_list(PYTEST_ARGS)}',
        f'pytest_add_cli_args_test_selection = {_toml_list(tests)}',
        'process_isolation = "fork"',
        'use_git_change_detection = false',
        '',
    ])
    (work / 'pyproject.toml').write_text(config)
    return work


def _refresh_unmutated(mutants: Path, source_root: Path, module_path: str) -> None:
    """Update mutmut's copy of the files it does not mutate (mutmut copies them only once).

    Lets a later run (e.g. ``--rerun-survivors`` after a baseline on another checkout) test
    the current helpers (``mmped/testing``...) against the same mutants.
    """
    if not (mutants / 'mmped').is_dir():
        return
    for src in (source_root / 'mmped').rglob('*.py'):
        rel = src.relative_to(source_root)
        if rel.as_posix().startswith(module_path + '/'):
            continue
        dst = mutants / rel
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _env() -> dict:
    env = dict(os.environ)
    # the tests import mmped from mutmut's copy, whose parent folder has no ../shared
    env.setdefault('MMPED_SHARED_DATA', str(ROOT.parent / 'shared' / 'data'))
    env.setdefault('OMP_NUM_THREADS', '1')
    env.setdefault('MKL_NUM_THREADS', '1')
    env.pop('PYTHONPATH', None)
    return env


def _mutmut() -> str:
    return str(Path(sys.executable).with_name('mutmut'))


# mutmut's exit codes of a mutant run, grouped the way the report counts them
KILLED = {1, 3, -24, 24, 36, 152, 255, -11, -9, 37}  # test failure, timeout, crash, type check
SURVIVED = {0}
NO_TESTS = {33, 5}


def summarize(name: str) -> dict:
    """Count the mutants of one module from mutmut's per-file result files.

    Args:
        name (str): Key of :data:`MODULES`.

    Returns:
        dict: ``total``, ``killed``, ``survived``, ``no_tests``, ``not_run`` (counts),
        ``score`` (killed / (total - not_run), %), ``survivors`` (mutant names) and
        ``files`` (per-file counts).
    """
    root = SCRATCH / name / 'mutants'
    out = dict(module=MODULES[name].path, total=0, killed=0, survived=0, no_tests=0, not_run=0,
               survivors=[], no_test_mutants=[], files={})
    for meta in sorted(root.rglob('*.py.meta')):
        codes = json.loads(meta.read_text())['exit_code_by_key']
        rel = str(meta.relative_to(root))[:-len('.meta')]
        counts = dict(total=len(codes), killed=0, survived=0, no_tests=0, not_run=0)
        for key, code in codes.items():
            if code is None:
                kind = 'not_run'
            elif code in SURVIVED:
                kind = 'survived'
                out['survivors'].append(key)
            elif code in NO_TESTS:
                kind = 'no_tests'
                out['no_test_mutants'].append(key)
            else:
                kind = 'killed'
            counts[kind] += 1
            out[kind] += 1
        out['total'] += counts['total']
        out['files'][rel] = counts
    tried = out['total'] - out['not_run']
    out['score'] = round(100.0 * out['killed'] / tried, 1) if tried else None
    return out


def run(name: str, jobs: int, fresh: bool, source_root: Path = ROOT,
        rerun_survivors: bool = False, only: Optional[List[str]] = None) -> dict:
    """Run mutmut on one module and write ``.mutation/<module>/summary.json``.

    Args:
        name (str): Key of :data:`MODULES`.
        jobs (int): Mutants tested in parallel.
        fresh (bool): Start without earlier results.
        source_root (Path): See :func:`prepare`.
        rerun_survivors (bool): Test again the survivors (and untested mutants) of the last
            run, e.g. after tests were added; other verdicts are kept.
        only (list[str], optional): mutmut name patterns restricting the run, e.g.
            ``mmped.evaluation.functional.kitti_ap.*`` (the other mutants stay not run; with
            ``rerun_survivors``, only the survivors matching a pattern are tested again).

    Returns:
        dict: The summary (see :func:`summarize`).
    """
    names = []
    if rerun_survivors and (SCRATCH / name / 'mutants').is_dir():
        last = summarize(name)
        names = last['survivors'] + last['no_test_mutants']
        if only:
            names = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in only)]
        if not names:
            print(f'[mutation] {name}: no survivors to test again', flush=True)
            return last
    names = names or list(only or [])
    if rerun_survivors:
        names += _drop_changed_sources(name, source_root)
    work = prepare(name, fresh, source_root)
    earlier = _exit_codes(name) if names else {}
    print(f'[mutation] {name}: mutating {MODULES[name].path} in {work}', flush=True)
    code = subprocess.call([_mutmut(), 'run', '--max-children', str(jobs)] + names, cwd=work,
                           env=_env())
    _keep_earlier_verdicts(name, earlier)
    summary = summarize(name)
    summary['mutmut_exit_code'] = code
    summary['source_root'] = str(source_root)
    (work / 'summary.json').write_text(json.dumps(summary, indent=2))
    if source_root != ROOT:  # a baseline: keep its table apart from later runs
        (work / 'summary_baseline.json').write_text(json.dumps(summary, indent=2))
    _record_sources(name, source_root)
    return summary


def _exit_codes(name: str) -> Dict[str, Dict[str, Optional[int]]]:
    """mutmut's exit code of every mutant, per result file of one module."""
    root = SCRATCH / name / 'mutants'
    return {str(meta.relative_to(root)): json.loads(meta.read_text())['exit_code_by_key']
            for meta in sorted(root.rglob('*.py.meta'))}


def _keep_earlier_verdicts(name: str, earlier: Dict[str, Dict[str, Optional[int]]]) -> None:
    """Put back the verdicts of mutants a restricted run did not test.

    mutmut rewrites a file's results with only the mutants it was asked to run (the others
    become "not run"); after ``--rerun-survivors`` / ``--only`` the verdicts of the earlier
    run stay valid for every mutant whose function did not change (changed files were
    dropped by :func:`_drop_changed_sources` and have no earlier entry).
    """
    root = SCRATCH / name / 'mutants'
    for rel, codes in earlier.items():
        meta = root / rel
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        now = data['exit_code_by_key']
        restored = {k: c for k, c in codes.items() if now.get(k) is None and c is not None}
        if restored:
            now.update(restored)
            meta.write_text(json.dumps(data))


def _source_hashes(name: str, source_root: Path) -> Dict[str, str]:
    import hashlib
    root = source_root / MODULES[name].path
    return {p.relative_to(source_root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob('*.py'))}


def _record_sources(name: str, source_root: Path) -> None:
    (SCRATCH / name / 'sources.json').write_text(
        json.dumps(_source_hashes(name, source_root), indent=2))


def _drop_changed_sources(name: str, source_root: Path) -> List[str]:
    """Forget the mutants of module files changed since the last run (mutmut keeps its first
    copy): their copies are removed, regenerated by the next run, and returned as patterns."""
    record = SCRATCH / name / 'sources.json'
    if not record.exists():
        return []
    old = json.loads(record.read_text())
    patterns = []
    for rel, digest in _source_hashes(name, source_root).items():
        if old.get(rel) == digest:
            continue
        for suffix in ('', '.meta'):
            stale = SCRATCH / name / 'mutants' / (rel + suffix)
            if stale.exists():
                stale.unlink()
        patterns.append(rel[:-len('.py')].replace('/', '.') + '.*')
        print(f'[mutation] {name}: {rel} changed since the last run, its mutants are redone')
    return patterns


def table(summaries: List[dict], target: float = 90.0) -> str:
    """Markdown table of module summaries with the target per module (docs/testing.md)."""
    lines = ['| module | mutants | killed | survived | no tests | not run | killed % | target |',
             '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |']
    for s in summaries:
        score = '-' if s['score'] is None else f"{s['score']:.1f}"
        met = s['score'] is not None and s['score'] >= target
        lines.append(f"| `{s['module']}` | {s['total']} | {s['killed']} | {s['survived']} | "
                     f"{s['no_tests']} | {s['not_run']} | {score} | "
                     f"{target:.0f} % {'met' if met else 'not met'} |")
    return '\n'.join(lines)


def file_table(summary: dict) -> str:
    """Markdown table of one module's files (mutants, killed, survived, killed %)."""
    lines = ['| file | mutants | killed | survived | killed % |',
             '| --- | ---: | ---: | ---: | ---: |']
    for rel, c in summary['files'].items():
        tried = c['total'] - c['not_run']
        if not c['total']:
            continue
        score = f"{100.0 * c['killed'] / tried:.1f}" if tried else '-'
        lines.append(f"| `{rel}` | {c['total']} | {c['killed']} | {c['survived']} | {score} |")
    return '\n'.join(lines)


def show_survivors(name: str) -> None:
    """Print the diff of every surviving (and untested) mutant of one module."""
    summary = summarize(name)
    for key in summary['survivors'] + summary['no_test_mutants']:
        out = subprocess.run([_mutmut(), 'show', key], cwd=SCRATCH / name, env=_env(),
                             capture_output=True, text=True)
        print(f'# {key}\n{out.stdout}')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('modules', nargs='*', default=[],
                        help=f'modules to check, of {", ".join(MODULES)} (default: all)')
    parser.add_argument('--jobs', type=int, default=int(os.environ.get('MUTATION_JOBS', 1)),
                        help='mutants tested in parallel (default 1, $MUTATION_JOBS)')
    parser.add_argument('--fresh', action='store_true', help='discard earlier results')
    parser.add_argument('--source-root', type=Path, default=ROOT,
                        help='checkout to mutate and test (default: this one)')
    parser.add_argument('--rerun-survivors', action='store_true',
                        help='test only the survivors of the last run again (after new tests)')
    parser.add_argument('--only', nargs='+', default=None, metavar='PATTERN',
                        help='mutmut name patterns, e.g. "mmped.models.losses.oim_loss.*"')
    parser.add_argument('--report', action='store_true', help='only print the last results')
    parser.add_argument('--survivors', action='store_true',
                        help='print the surviving mutants of the given modules')
    parser.add_argument('--min-score', type=float, default=90.0,
                        help='exit non-zero when a module kills fewer (%%, default 90)')
    args = parser.parse_args(argv)
    names = args.modules or list(MODULES)
    unknown = sorted(set(names) - set(MODULES))
    if unknown:
        parser.error(f'unknown modules {unknown}; choose from {list(MODULES)}')
    if args.survivors:
        for name in names:
            show_survivors(name)
        return 0
    summaries = []
    for name in names:
        if args.report:
            if not (SCRATCH / name / 'mutants').is_dir():
                print(f'[mutation] {name}: not run')
                continue
            summaries.append(summarize(name))
        else:
            summaries.append(run(name, args.jobs, args.fresh, args.source_root.resolve(),
                                 args.rerun_survivors, args.only))
    print(table(summaries, args.min_score))
    for s in summaries:
        if len([c for c in s['files'].values() if c['total']]) > 1:
            print(file_table(s))
    below = [s['module'] for s in summaries if s['score'] is None or s['score'] < args.min_score]
    if below:
        print(f'[mutation] below {args.min_score:.0f} % killed: {", ".join(below)}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
