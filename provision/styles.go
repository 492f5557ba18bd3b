package provision

// Styles colour the text of a plan or of an apply's result: each method
// returns its argument marked up (or as it is). kctl's own terminal styles
// satisfy it; code outside kctl passes Plain, or its own colours.
type Styles interface {
	OK(string) string
	Bad(string) string
	Warn(string) string
	Bold(string) string
	Dim(string) string
	Add(string) string
	Change(string) string
	Remove(string) string
}

// Plain is Styles that leave text as it is.
type Plain struct{}

func (Plain) OK(s string) string     { return s }
func (Plain) Bad(s string) string    { return s }
func (Plain) Warn(s string) string   { return s }
func (Plain) Bold(s string) string   { return s }
func (Plain) Dim(s string) string    { return s }
func (Plain) Add(s string) string    { return s }
func (Plain) Change(s string) string { return s }
func (Plain) Remove(s string) string { return s }
