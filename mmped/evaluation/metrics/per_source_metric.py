# Copyright (c) mmped contributors. All rights reserved.
"""Evaluate one source dataset of a concatenated evaluation set with any metric."""
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric

from mmped.registry import METRICS


@METRICS.register_module()
class PerSourceMetric(BaseMetric):
    """Run ``metric`` on the samples whose metainfo ``source`` equals ``source``.

    Used with :class:`mmped.datasets.ReIDConcatDataset` to report each test set of a joint
    (JSTL) model on its own protocol: one ``PerSourceMetric`` per member in ``val_evaluator``,
    each with the member's protocol and the prefix ``source`` (keys ``market1501/R1``...).

    Args:
        metric (dict): Config of the wrapped metric (e.g. ``ReIDMetric``).
        source (str): Source name (``ReIDConcatDataset.names``).
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Key prefix. Defaults to ``source``.
    """

    def __init__(self, metric: dict, source: str, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix or source)
        self.source = source
        self.metric = METRICS.build(metric)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Pass the samples of ``source`` to the wrapped metric and keep its results."""
        mine = [ds for ds in data_samples if ds.get('source') == self.source]
        if not mine:
            return
        self.metric.process(data_batch, mine)
        self.results.extend(self.metric.results)
        self.metric.results.clear()

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """The wrapped metric's values on the samples of ``source``.

        Raises:
            ValueError: When no sample came from ``source``.
        """
        if not results:
            raise ValueError(f'PerSourceMetric: no evaluated sample has source '
                             f'{self.source!r} (metainfo "source" of ReIDConcatDataset)')
        return self.metric.compute_metrics(results)
