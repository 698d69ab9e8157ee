package hook

import "strings"

// SplitParams splits DEB_MAINT_PARAMS into the maintainer script's arguments.
//
// Kernel packages export the arguments space-joined ("configure 7.2.13-1"); some
// quote each one ("'configure' '7.2.13-1'", the form update-grub's hook strips).
// SplitParams accepts both: fields are separated by blanks, a single-quoted run is
// taken literally and a backslash outside quotes escapes the next byte, as in the
// shell. An unterminated quote runs to the end. It never fails.
func SplitParams(s string) []string {
	var (
		fields []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				cur.WriteString(s[i+1:])
				i = len(s)
				break
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '\\' && i+1 < len(s):
			inWord = true
			cur.WriteByte(s[i+1])
			i++
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				fields = append(fields, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		fields = append(fields, cur.String())
	}
	return fields
}

// SplitTriggers splits the second argument of "postinst triggered": the names of
// the activated triggers (named triggers and file-trigger paths), space-separated.
func SplitTriggers(s string) []string { return strings.Fields(s) }
