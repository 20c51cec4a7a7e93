# Copyright (c) mmped contributors. All rights reserved.
from .caltech import CaltechDataset
from .citypersons import CityPersonsDataset
from .cuhk03 import CUHK03Dataset
from .cuhk_sysu import CUHKSYSUDataset
from .inria import INRIADataset
from .kaist import KAISTDataset
from .kitti import KITTIPedestrianDataset
from .market1501 import Market1501Dataset, read_market1501_label_vectors
from .market1501_attribute import DukeMTMCAttributeDataset, Market1501AttributeDataset
from .mot17det import MOT17DetDataset
from .nightowls import NightOwlsDataset
from .pa100k import PA100KDataset
from .pedestrian_attribute_base import BaseAttributeDataset, dataset_positive_ratio
from .pedestrian_det import PedestrianDetDataset
from .person_search import UNLABELLED_ID, PersonSearchDataset
from .peta import PETADataset
from .prw import PRWDataset
from .rap import RAPDataset
from .reid_base import BaseReIDDataset
from .reid_concat_dataset import ReIDConcatDataset
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .viper import VIPeRDataset
from .wider_attribute import CropPersonBox, WIDERAttributeDataset

__all__ = ['PersonSearchDataset', 'PRWDataset', 'CUHKSYSUDataset', 'UNLABELLED_ID']
__all__ += [
    'BaseAttributeDataset', 'dataset_positive_ratio', 'PA100KDataset', 'PETADataset', 'RAPDataset',
    'WIDERAttributeDataset',
    'CropPersonBox', 'Market1501AttributeDataset', 'DukeMTMCAttributeDataset', 'BaseReIDDataset',
    'Market1501Dataset', 'read_market1501_label_vectors', 'CUHK03Dataset', 'VIPeRDataset'
]
__all__ += [
    'PedestrianDetDataset', 'CityPersonsDataset', 'CaltechDataset', 'INRIADataset',
    'KITTIPedestrianDataset', 'MOT17DetDataset'
]
__all__ += ['KAISTDataset', 'NightOwlsDataset']
__all__ += ['ReIDConcatDataset']
