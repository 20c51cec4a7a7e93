# Table VIII row 2 "GDFL w channel att.": an SE channel attention after each spatial attention.
_base_ = './gdfl_vgg16_2xb4-adam-40e_citypersons.py'

model = dict(neck=dict(channel_attention=True))
