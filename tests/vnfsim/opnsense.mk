# OPNsense: the dictionary, its API simulator and its test.
TESTS += tests/integration/opnsense.sh
EXTRA_DIST += tests/integration/opnsense.sh tests/vnfsim/opnsense.py docs/providers/opnsense.md
dist_dict_DATA += provider/dictionaries/opnsense.yaml
