# Cisco IOS-XE: the dictionary, its simulated router (CLI behind sshd,
# RESTCONF over HTTPS, one shared configuration) and its test.
TESTS += tests/integration/cisco-iosxe.sh
EXTRA_DIST += tests/integration/cisco-iosxe.sh tests/vnfsim/iosxe_cli.py \
	tests/vnfsim/iosxe_restconf.py tests/vnfsim/iosxe_state.py \
	docs/providers/cisco-iosxe.md
dist_dict_DATA += provider/dictionaries/cisco-iosxe.yaml
