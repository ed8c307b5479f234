# pfSense (REST API package v2): the dictionary, its API simulator and its test.
TESTS += tests/integration/pfsense.sh
EXTRA_DIST += tests/integration/pfsense.sh tests/vnfsim/pfsense.py docs/providers/pfsense.md
dist_dict_DATA += provider/dictionaries/pfsense.yaml
