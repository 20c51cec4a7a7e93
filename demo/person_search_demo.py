# Copyright (c) mmped contributors. All rights reserved.
"""Person search demo: find a query person (frame + box) in a folder of frames.

Example::

    python demo/person_search_demo.py configs/buff/buff_r50_1xb4-5e_prw.py buff_prw.pth \\
        --query data/PRW/frames/c1s1_001051.jpg --box 1020 410 1140 720 \\
        --gallery data/PRW/frames --topk 5 --out-dir ps_out
    mim run mmped person_search_demo CONFIG CKPT --query Q.jpg --box X1 Y1 X2 Y2 --gallery DIR

The gallery index (boxes, scores and re-ID features of every detected person) is built once
and cached in ``--cache-dir`` (default ``OUT/gallery_cache``); later queries on the same model
and frames reuse it. The query's own frame is excluded. Writes ``OUT/topk.jpg`` (query crop,
then the k best matches with their cosine similarity), ``OUT/<frame>`` with the matches drawn
(green = rank 1, yellow = others) and ``OUT/topk.json``.
"""
import argparse
import json
import os.path as osp
from typing import List

import cv2

from mmped.utils.cli import add_model_args


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mmped person search demo')
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (random weights if omitted)')
    parser.add_argument('--query', required=True, help='frame holding the query person')
    parser.add_argument('--box', required=True, nargs=4, type=float,
                        metavar=('X1', 'Y1', 'X2', 'Y2'), help='query box in that frame')
    parser.add_argument('--gallery', required=True, nargs='+', help='frame folder(s) / frames')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--score-thr', type=float, default=0.5)
    parser.add_argument('--cache-dir', help='gallery index cache (default OUT/gallery_cache)')
    parser.add_argument('--out-dir', default='ps_out')
    add_model_args(parser)
    return parser.parse_args(argv)


def draw_matches(matches: List[dict], out_dir: str) -> List[str]:
    """Write every gallery frame with its matches drawn; returns the written paths."""
    from mmped.utils.fileio import write_bytes_atomic

    frames = {}
    for rank, m in enumerate(matches, 1):
        img = frames.setdefault(m['image'], cv2.imread(m['image']))
        x1, y1, x2, y2 = (int(v) for v in m['bbox'])
        color = (0, 255, 0) if rank == 1 else (0, 255, 255)
        cv2.rectangle(img, (x1, y1), (x2, y2), color, 2)
        cv2.putText(img, f'#{rank} {m["similarity"]:.2f}', (x1, max(12, y1 - 4)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, color, 2)
    written = []
    for path, img in frames.items():
        target = osp.join(out_dir, osp.basename(path))
        write_bytes_atomic(target, cv2.imencode(osp.splitext(path)[1], img)[1].tobytes())
        written.append(target)
    return written


def main(argv=None) -> List[dict]:
    args = parse_args(argv)
    from mmped.apis import draw_topk_strip, init_person_search, search_person
    from mmped.utils.fileio import write_bytes_atomic

    gallery = args.gallery[0] if len(args.gallery) == 1 else args.gallery
    model = init_person_search(args.config, args.checkpoint, args.device, args.cfg_options)
    cache_dir = args.cache_dir or osp.join(args.out_dir, 'gallery_cache')
    matches = search_person(model, args.query, args.box, gallery, args.topk, cache_dir,
                            args.score_thr)
    strip = draw_topk_strip(args.query, args.box, matches, osp.join(args.out_dir, 'topk.jpg'))
    draw_matches(matches, args.out_dir)
    write_bytes_atomic(osp.join(args.out_dir, 'topk.json'),
                       json.dumps(matches, indent=1).encode())
    print(f'{len(matches)} matches drawn in {strip}')
    return matches


if __name__ == '__main__':
    main()
