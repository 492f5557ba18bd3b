package provision

import "github.com/kctl/kctl/internal/ui"

var plainStyles = ui.Styles{}
