dist_man_MANS += docs/vnf-brokerd.8 docs/vnf-broker.yaml.5
# The control API: its client, reference and OpenAPI document.
dist_man_MANS += docs/vnf-brokerctl.8
EXTRA_DIST += docs/api.md docs/api/openapi.yaml
EXTRA_DIST += docs/README.md
EXTRA_DIST += docs/privsep.md docs/targets.md docs/ssh-jump-host.md
