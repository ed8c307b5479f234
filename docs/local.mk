dist_man_MANS += docs/vnf-brokerd.8 docs/vnf-broker.yaml.5
EXTRA_DIST += docs/README.md
EXTRA_DIST += docs/privsep.md docs/targets.md
