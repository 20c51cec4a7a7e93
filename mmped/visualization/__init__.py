# Copyright (c) mmped contributors. All rights reserved.
from .attention import attention_extractor, extract_attention_maps
from .heatmap import (
                      label_image,
                      normalize_maps,
                      overlay_heatmaps,
                      overlay_map_groups,
                      pair_side_by_side,
                      tile_images,
)
from .local_visualizer import PedLocalVisualizer, save_drawing

__all__ = [
    'PedLocalVisualizer', 'save_drawing', 'extract_attention_maps', 'attention_extractor',
    'normalize_maps', 'overlay_heatmaps', 'overlay_map_groups', 'tile_images', 'label_image',
    'pair_side_by_side'
]
