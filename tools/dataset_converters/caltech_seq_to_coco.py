# Copyright (c) mmped contributors. All rights reserved.
"""Caltech Pedestrian: ``.seq`` videos + ``.vbb`` annotations -> JPEG frames + COCO json.

Expected input layout (the official download)::

    ROOT/videos/setXX/VYYY.seq
    ROOT/annotations/setXX/VYYY.vbb

Writes ``OUT/images/setXX_VYYY_IZZZZZ.jpg`` (the JPEG bytes stored in the seq, no
re-encoding) and ``OUT/<split>.json`` (COCO style with ``ignore``, ``height``,
``vis_ratio`` and ``vis_bbox``; read back by ``mmped.datasets.CaltechDataset``). Frames are
sampled like the toolbox: ``skip - 1, 2 * skip - 1, ...`` (0-based), so ``--skip 30`` gives
the standard 4,024 test frames of set06-set10 and ``--skip 3`` the "10x" training set.

Examples::

    python tools/dataset_converters/caltech_seq_to_coco.py data/caltech data/caltech/coco \
        --sets 6 7 8 9 10 --skip 30 --split test
    python tools/dataset_converters/caltech_seq_to_coco.py data/caltech data/caltech/coco \
        --sets 0 1 2 3 4 5 --skip 3 --split train
"""
import argparse
import struct
import sys
from pathlib import Path
from typing import Dict, Iterator, Tuple

from mmped.datasets.parsers import parse_vbb
from mmped.datasets.parsers.coco_writer import (
    check_not_input,
    records_to_coco,
    write_bytes_atomic,
    write_json_atomic,
)

SEQ_HEADER = 1024
_JPEG_SOI = b'\xff\xd8'


def read_seq_jpegs(path: Path) -> Iterator[Tuple[int, bytes]]:
    """Yield ``(frame_index, jpeg_bytes)`` of a Norpix ``.seq`` file with JPEG frames.

    Layout: a 1024-byte header (magic ``0xFEED``; ``allocatedFrames`` at byte 572), then per
    frame a little-endian uint32 size (counting itself), the JPEG data and a timestamp
    trailer (8 or 10 bytes depending on the writer; found by looking for the next frame).

    Args:
        path (Path): The ``.seq`` file.

    Yields:
        tuple[int, bytes]: 0-based frame index and the JPEG bytes.
    """
    data = path.read_bytes()
    if len(data) < SEQ_HEADER or struct.unpack_from('<I', data, 0)[0] != 0xFEED:
        raise ValueError(f'{path}: record header: field magic: not a Norpix seq file')
    n_frames = struct.unpack_from('<I', data, 572)[0]
    pos = SEQ_HEADER
    for i in range(n_frames):
        if pos + 6 > len(data):
            raise ValueError(f'{path}: record frame {i}: field size: file truncated')
        size = struct.unpack_from('<I', data, pos)[0]
        if size < 6 or pos + size > len(data) or data[pos + 4:pos + 6] != _JPEG_SOI:
            raise ValueError(f'{path}: record frame {i}: field jpeg: bad frame at byte {pos}')
        yield i, data[pos + 4:pos + size]
        pos += size
        if i + 1 < n_frames:  # skip the timestamp trailer: find the next size + SOI
            for extra in range(0, 64, 2):
                p = pos + extra
                if p + 6 <= len(data) and data[p + 4:p + 6] == _JPEG_SOI:
                    pos = p
                    break
            else:
                raise ValueError(f'{path}: record frame {i + 1}: field size: next frame not '
                                 f'found after byte {pos}')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Caltech seq + vbb -> frames + COCO json')
    parser.add_argument('root', help='folder with videos/ and annotations/')
    parser.add_argument('out', help='output folder (images/ and <split>.json)')
    parser.add_argument('--sets', type=int, nargs='+', default=[6, 7, 8, 9, 10])
    parser.add_argument('--skip', type=int, default=30, help='keep every skip-th frame')
    parser.add_argument('--split', default='test', help='json name')
    return parser.parse_args(argv)


def main(argv=None) -> Path:
    try:
        return convert(parse_args(argv))
    except ValueError as e:  # malformed input: the message names file, record and field
        sys.exit(f'error: {e}')


def convert(args: argparse.Namespace) -> Path:
    """Run the conversion described by the parsed arguments (see the module docstring)."""
    root, out = Path(args.root), Path(args.out)
    vbbs = [v for s in args.sets for v in sorted((root / 'annotations' / f'set{s:02d}').glob(
        '*.vbb'))]
    if not vbbs:
        sys.exit(f'error: no .vbb files for sets {args.sets} under {root / "annotations"}')
    json_path = out / f'{args.split}.json'
    check_not_input(json_path, [root])
    (out / 'images').mkdir(parents=True, exist_ok=True)
    records = []
    for k, vbb in enumerate(vbbs, start=1):
        seq = root / 'videos' / vbb.parent.name / f'{vbb.stem}.seq'
        if not seq.exists():
            sys.exit(f'error: {seq}: missing video for {vbb}')
        recs = parse_vbb(vbb, skip=args.skip)
        wanted: Dict[int, dict] = {int(r['file_name'][-5:]): r for r in recs}
        written = 0
        for idx, jpeg in read_seq_jpegs(seq):
            rec = wanted.get(idx)
            if rec is None:
                continue
            rec['file_name'] = f"{rec['file_name']}.jpg"
            write_bytes_atomic(out / 'images' / rec['file_name'], jpeg)
            written += 1
        if written != len(wanted):
            sys.exit(f'error: {seq}: only {written} of {len(wanted)} annotated frames found')
        records.extend(recs)
        print(f'[{k}/{len(vbbs)}] {vbb.parent.name}/{vbb.stem}: {written} frames', flush=True)
    write_json_atomic(json_path, records_to_coco(records), inputs=[root])
    print(f'wrote {len(records)} frames to {json_path}')
    return json_path


if __name__ == '__main__':
    main()
