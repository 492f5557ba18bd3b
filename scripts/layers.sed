# Import path rewrite for the layered tree (issue 26.1). Apply to Go files, docs, scripts:
#   git ls-files -z '*.go' '*.md' '*.sh' Makefile '*.txtar' | xargs -0 sed -E -i -f scripts/layers.sed && gofmt -w $(git ls-files '*.go')
s#github.com/kctl/kctl/internal/backoff([/"])#github.com/kctl/kctl/internal/platform/backoff\1#g
s#github.com/kctl/kctl/internal/human([/"])#github.com/kctl/kctl/internal/platform/human\1#g
s#github.com/kctl/kctl/internal/kafka([/"])#github.com/kctl/kctl/internal/platform/kafka\1#g
s#github.com/kctl/kctl/internal/ui([/"])#github.com/kctl/kctl/internal/platform/ui\1#g
s#github.com/kctl/kctl/internal/testnet([/"])#github.com/kctl/kctl/internal/platform/testnet\1#g
s#github.com/kctl/kctl/internal/devcluster([/"])#github.com/kctl/kctl/internal/platform/devcluster\1#g
s#github.com/kctl/kctl/internal/lockfile([/"])#github.com/kctl/kctl/internal/platform/lockfile\1#g
s#github.com/kctl/kctl/internal/errs([/"])#github.com/kctl/kctl/internal/platform/errs\1#g
s#github.com/kctl/kctl/internal/observe([/"])#github.com/kctl/kctl/internal/platform/observe\1#g
s#github.com/kctl/kctl/internal/groups([/"])#github.com/kctl/kctl/internal/feature/groups\1#g
s#github.com/kctl/kctl/internal/inspect([/"])#github.com/kctl/kctl/internal/feature/inspect\1#g
s#github.com/kctl/kctl/internal/lag([/"])#github.com/kctl/kctl/internal/feature/groups/lag\1#g
s#github.com/kctl/kctl/internal/records([/"])#github.com/kctl/kctl/internal/feature/records\1#g
# Bare paths in comments, docs and scripts (`internal/kafka`, `./internal/lag`); import paths above.
s#(^|[^A-Za-z0-9_/.-]|\./)internal/(backoff|human|kafka|ui|testnet|devcluster|lockfile|errs|observe)\b#\1internal/platform/\2#g
s#(^|[^A-Za-z0-9_/.-]|\./)internal/lag\b#\1internal/feature/groups/lag#g
s#(^|[^A-Za-z0-9_/.-]|\./)internal/(groups|inspect|records)\b#\1internal/feature/\2#g
# Symbols that moved: scripts/layers-symbols.sed rewrites them (then fix the imports it names):
#   provision.{QuotaValueText,YAMLNumber} -> topology;  records.EncodeBytes -> internal/platform/codec
#   ui.{Format,Text,JSON,YAML,ParseFormat,Print,PrintJSON,PrintYAML,Printable,Table,WithText,TextWriter} -> internal/platform/view
#   ui.Styles (struct) -> view.Styles (interface; st.Color -> st.Color()), ui.Styles{} -> view.Plain{}
# internal/observe (s-observe, merged on main after this branch began) moves whole: git mv internal/observe internal/platform/observe
