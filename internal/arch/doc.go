// Package arch holds kctl's architecture test (arch_test.go): the layers
// the folders name, checked on the import graph `go list` reports. From the
// bottom up:
//
//   - internal/platform/*: platform packages (Kafka client options, errors,
//     durations, printers, the dev cluster, …). They import only the
//     standard library, third-party modules and other platform packages;
//     internal/platform/observe, which reads a cluster into the model, may
//     also import topology.
//   - topology: the model of topics.yaml. It imports only platform
//     packages and nothing of franz-go, not even indirectly.
//   - features: provision (+ provision/reassign), services/* (one family:
//     they may import each other), internal/feature/<name> (+ its
//     sub-packages, e.g. groups/lag). A feature imports platform, topology
//     and its own family, never another feature: what two features share
//     goes to internal/platform (or to topology when it is the model).
//     Features return views and print with internal/platform/view; none
//     imports internal/platform/ui or lipgloss.
//   - app: internal/cli (the commands; the only importer of cobra and pflag,
//     and of internal/platform/ui) and smoke (which does not import
//     internal/cli).
//   - cmd/kctl: main, importing only internal/cli.
//
// Only internal/platform/ui imports lipgloss. Tests (package foo's
// _test.go files) follow the same rules, except that a feature's test may
// import another feature to build a fixture on a cluster. Tools (scripts/*,
// this package) are checked for nothing but must not be imported.
package arch
