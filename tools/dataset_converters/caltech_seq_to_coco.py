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

Only new files are written, each atomically with the permissions ``open()`` gives: every
target is checked before the first write, and one that is (or links to) an input, or an
existing file this converter did not write (``OUT/caltech_seq_to_coco.manifest.json`` lists
what it wrote), stops the run with nothing written; ``--overwrite`` replaces files it wrote.
Malformed input stops with an error naming the file, the record and the field.

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
from typing import Dict, Iterator, Optional, Tuple

from mmped.datasets.parsers import parse_vbb
from mmped.datasets.parsers.coco_writer import json_bytes, records_to_coco
from mmped.datasets.parsers.converter_output import ConverterOutput

CONVERTER = 'caltech_seq_to_coco'

SEQ_HEADER = 1024
_JPEG_SOI = b'\xff\xd8'


def seq_num_frames(path: Path, header: Optional[bytes] = None) -> int:
    """``allocatedFrames`` of a Norpix ``.seq`` header (magic ``0xFEED`` checked).

    Args:
        path (Path): The ``.seq`` file.
        header (bytes, optional): Its first 1024 bytes; default: read them.

    Returns:
        int: The number of frames the header announces.
    """
    if header is None:
        with open(path, 'rb') as f:
            header = f.read(SEQ_HEADER)
    if len(header) < SEQ_HEADER or struct.unpack_from('<I', header, 0)[0] != 0xFEED:
        raise ValueError(f'{path}: record header: field magic: not a Norpix seq file')
    return struct.unpack_from('<I', header, 572)[0]


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
    n_frames = seq_num_frames(path, data[:SEQ_HEADER])
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
    parser.add_argument('--overwrite', action='store_true',
                        help='replace files this converter wrote in OUT (never other files)')
    return parser.parse_args(argv)


def main(argv=None) -> Path:
    try:
        return convert(parse_args(argv))
    except ValueError as e:  # malformed input: the message names file, record and field
        sys.exit(f'error: {e}')


def convert(args: argparse.Namespace) -> Path:
    """Run the conversion described by the parsed arguments (see the module docstring).

    Every target is checked before anything is written: an output that is (or links to) an
    input, or an existing file this converter did not write (``CONVERTER.manifest.json`` in
    OUT lists what it wrote), is refused; files it wrote are replaced only with
    ``--overwrite``.
    """
    root, out = Path(args.root), Path(args.out)
    if args.skip < 1:
        raise ValueError(f'--skip must be >= 1, got {args.skip}')
    vbbs = [v for s in args.sets for v in sorted((root / 'annotations' / f'set{s:02d}').glob(
        '*.vbb'))]
    if not vbbs:
        raise ValueError(f'no .vbb files for sets {args.sets} under {root / "annotations"}')
    videos = []
    for vbb in vbbs:  # read every annotation first: nothing is written on bad input
        seq = root / 'videos' / vbb.parent.name / f'{vbb.stem}.seq'
        if not seq.is_file():
            raise ValueError(f'{seq}: record file: field video: missing video for {vbb}')
        seq_num_frames(seq)
        recs = parse_vbb(vbb, skip=args.skip)
        for r in recs:
            r['file_name'] = f"{r['file_name']}.jpg"
        videos.append((vbb, seq, recs))
    json_rel = f'{args.split}.json'
    output = ConverterOutput(out, CONVERTER, [p for v in videos for p in v[:2]],
                             existing='replace' if args.overwrite else 'error',
                             hint='; --overwrite replaces the files this converter wrote')
    output.plan([f"images/{r['file_name']}" for _, _, recs in videos for r in recs]
                + [json_rel])
    records = []
    for k, (vbb, seq, recs) in enumerate(videos, start=1):
        wanted: Dict[int, dict] = {int(r['file_name'][-9:-4]): r for r in recs}
        seen = set()
        for idx, jpeg in read_seq_jpegs(seq):
            rec = wanted.get(idx)
            if rec is not None:
                output.write(f"images/{rec['file_name']}", jpeg)
                seen.add(idx)
        if len(seen) != len(wanted):
            raise ValueError(f'{seq}: record frame {min(set(wanted) - seen)}: field jpeg: '
                             f'only {len(seen)} of {len(wanted)} annotated frames in the video')
        written = len(seen)
        records.extend(recs)
        print(f'[{k}/{len(vbbs)}] {vbb.parent.name}/{vbb.stem}: {written} frames', flush=True)
    json_path = output.write(json_rel, json_bytes(records_to_coco(records), out / json_rel))
    output.finish()
    print(f'wrote {len(records)} frames to {json_path}')
    return json_path


if __name__ == '__main__':
    main()
