# Symbols that moved with the layers (issue 26.1); run after layers.sed, then goimports adds/removes
# the imports (internal/platform/view, topology) and `go build ./...` names anything left:
#   git ls-files -z '*.go' | xargs -0 sed -E -i -f scripts/layers-symbols.sed
#   go run golang.org/x/tools/cmd/goimports@latest -w $(git ls-files '*.go')   # or fix what `go vet ./...` names
s/\bui\.Styles\{\}/view.Plain{}/g
s/\bui\.(Format|Text|JSON|YAML|ParseFormat|Print|PrintJSON|PrintYAML|Printable|Styles|Table|WithText|TextWriter)\b/view.\1/g
s/\bprovision\.(QuotaValueText|YAMLNumber)\b/topology.\1/g
s/\brecords\.EncodeBytes\b/codec.EncodeBytes/g
