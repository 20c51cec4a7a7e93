# CUHK-SYSU RB test split as tools/dataset_converters/make_background_influence.py writes it
# into <data_root>/background_influence/RB/ (Table 3 configs; the gallery size 100 protocol).
cuhk_sysu_rb_test = dict(
    ann_file='background_influence/RB/annotations_rb.json',
    query_file='background_influence/RB/TestG100.mat',
    data_prefix=dict(img='background_influence/RB/'))
