# MikroTik RouterOS 7: the dictionary, its simulator and its test.
TESTS += tests/integration/routeros.sh
EXTRA_DIST += tests/integration/routeros.sh tests/vnfsim/routeros.py docs/providers/routeros.md
dist_dict_DATA += provider/dictionaries/routeros.yaml
