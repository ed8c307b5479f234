# FortiGate (FortiOS 7.x REST API): the dictionary, its simulator and test.
TESTS += tests/integration/fortigate.sh
EXTRA_DIST += tests/integration/fortigate.sh tests/vnfsim/fortigate.py \
	docs/providers/fortigate.md docs/provider-authoring.md
dist_dict_DATA += provider/dictionaries/fortigate.yaml
