# VyOS: the dictionary, its simulator and its test.
TESTS += tests/integration/vyos.sh
EXTRA_DIST += tests/integration/vyos.sh tests/vnfsim/vyos.py docs/providers/vyos.md
dist_dict_DATA += provider/dictionaries/vyos.yaml
