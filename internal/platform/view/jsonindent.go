package view

// appendIndent appends src, a valid JSON document, to dst indented by two
// spaces per level: byte for byte what encoding/json's Indent(dst, src, "",
// "  ") writes, without the trailing newline.
//
// Why not encoding/json's own indentation: it runs its validating scanner
// over every byte and costs about seven times the compact encoding (1.9 ms
// against 0.26 ms for describe's 200-topic view, docs/benchmarks.md). Our
// input has just been produced by encoding/json, so it is valid and only the
// structure characters outside strings need attention. Invalid input is not
// detected here; FuzzAppendIndent checks equality with json.Indent.
func appendIndent(dst, src []byte) []byte {
	depth := 0
	open := false // after '{' or '[': the newline waits for the next byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if open && c != '}' && c != ']' {
			open = false
			depth++
			dst = newline(dst, depth)
		}
		switch c {
		case '"':
			// Copy the whole string, escapes included.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				j = len(src) - 1
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			open = true
			dst = append(dst, c)
		case '}', ']':
			if open {
				open = false
			} else {
				depth--
				dst = newline(dst, depth)
			}
			dst = append(dst, c)
		case ',':
			dst = append(dst, ',')
			dst = newline(dst, depth)
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// indents is a newline and 64 levels of indentation; deeper levels take more.
const indents = "\n" + "                                                                " +
	"                                                                "

func newline(dst []byte, depth int) []byte {
	n := 1 + 2*depth
	if n <= len(indents) {
		return append(dst, indents[:n]...)
	}
	dst = append(dst, indents...)
	for n -= len(indents); n > 0; n-- {
		dst = append(dst, ' ')
	}
	return dst
}
