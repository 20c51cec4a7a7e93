# Table VIII row 3 "CA-GDFL w/o channel att.": a single-channel spatial attention per layer.
_base_ = './ca-gdfl_vgg16_2xb4-adam-40e_citypersons.py'

model = dict(neck=dict(channel_adaptive=False))
