# CUHK-SYSU person search (Xiao et al., CVPR 2017), read from the original release:
#   data/CUHK-SYSU/Image/SSM/*.jpg, annotation/{Images,Person,pool}.mat,
#   annotation/test/train_test/TestG{50,100,500,1000,2000,4000}.mat
# A COCO-style json with person_id works too (ann_file='*.json'). Pipelines, loaders and the
# metric are those of PRW.
_base_ = './prw.py'

dataset_type = 'CUHKSYSUDataset'
data_root = 'data/CUHK-SYSU/'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotation/Images.mat',
        data_prefix=dict(img='Image/SSM/')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotation/Images.mat',
        # gallery size 100; TestG{50..4000}.mat with the matching gallery_size, -1 = full set
        query_file='annotation/test/train_test/TestG100.mat',
        gallery_size=100,
        data_prefix=dict(img='Image/SSM/')))
test_dataloader = val_dataloader
